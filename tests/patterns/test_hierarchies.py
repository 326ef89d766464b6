"""The `hierarchy` extension on a real MariaDB: the WITH RECURSIVE view's paths, depths and roots
equal a plain Python walk over the raw rows (tests/patterns/reference.py), for generated trees
with cycles, self-parents, dangling parents, NULL names and chains longer than max_depth."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from migrator.findings import Severity
from tests.patterns import contracts as c
from tests.patterns.support import (SETTINGS, TEXT, PatternDB, categories, entity_views, keys, model, products,
                                    ref_to)

SEPARATORS = st.sampled_from(["/", " > ", "'", "\\", "汉", "%s", ", "]) | TEXT.filter(bool)
CHAIN = [{"id": i, "name": f"level {i}", "parent_id": i - 1 if i > 1 else None, "department_id": None}
         for i in range(1, 8)]


@SETTINGS
@given(tree=categories(), separator=SEPARATORS, max_depth=st.integers(1, 5))
@example(tree=CHAIN, separator="/", max_depth=7)          # exactly as deep as allowed: every path whole
@example(tree=CHAIN, separator="/", max_depth=6)          # one too deep: the deepest has no value
@example(tree=[{"id": 1, "name": "loop", "parent_id": 1, "department_id": None},
               {"id": 2, "name": None, "parent_id": 3, "department_id": None},
               {"id": 3, "name": "b", "parent_id": 2, "department_id": None},
               {"id": 4, "name": "x", "parent_id": 99, "department_id": None}], separator="/", max_depth=5)
def test_paths_depths_and_roots_of_a_tree(pdb: PatternDB, tree: list[dict[str, Any]], separator: str,
                                          max_depth: int) -> None:
    findings = pdb.check(c.hierarchy_table(separator, max_depth), {"categories": tree})
    assert not [f for f in findings if f.severity is Severity.ERROR]


@SETTINGS
@given(data=st.data())
def test_the_walk_starts_at_another_tables_foreign_key(pdb: PatternDB, data: st.DataObject) -> None:
    tree = data.draw(categories(), "categories")
    items = data.draw(products(category_id=ref_to(keys(tree))), "products")
    pdb.check(c.product_paths_table(), {"categories": tree, "products": items})


def test_a_tree_of_five_thousand_rows_loses_none(pdb: PatternDB) -> None:
    """Big enough that a recursive CTE's working table would leave memory (where MariaDB and MySQL
    have dropped rows: see migrator/compile/hierarchies.py); every path, depth and root exact."""
    tree = [{"id": i, "name": f"node {i} " + "x" * 40, "parent_id": None if i == 1 else (i - 2) // 4 + 1,
             "department_id": None} for i in range(1, 5_001)]
    pdb.check(c.hierarchy_table(" / ", 32), {"categories": tree})


def _codes(pdb: PatternDB, table_doc: dict[str, Any]) -> set[tuple[str, str]]:
    table, _ = model(table_doc)
    return {(f.code, f.path) for _, _, _, findings in entity_views(table, pdb.schema, pdb.server)
            for f in findings if f.severity is Severity.ERROR}


def test_walks_that_cannot_be_compiled_say_why(pdb: PatternDB) -> None:
    path = "$.tables[0].attributes[1]"
    text_start = c.single("TextStart", "products", [
        c.attr("id", "N", "products", "id"),
        c.attr("p", "S", "products", "name", hierarchy=c.hierarchy("path", path_column="name"))])
    assert _codes(pdb, text_start) == {("hierarchy.id_types", f"{path}.hierarchy")}
    not_the_key = c.single("NotTheKey", "categories", [
        c.attr("id", "N", "categories", "id"),
        c.attr("p", "S", "categories", "id", hierarchy=c.hierarchy("depth", id_column="department_id"))])
    assert _codes(pdb, not_the_key) == {("hierarchy.id_column", f"{path}.hierarchy.id_column")}
    too_deep = c.single("TooDeep", "categories", [
        c.attr("id", "N", "categories", "id"),
        c.attr("p", "N", "categories", "id", hierarchy=c.hierarchy("depth", max_depth=30)),
        c.attr("q", "N", "categories", "parent_id", hierarchy=c.hierarchy("depth", max_depth=30))])
    assert _codes(pdb, too_deep) == {("hierarchy.max_depth", "$.tables[0].attributes[2].hierarchy.max_depth")}

    # A chain that fits, then joins of other attributes past the limit: the view as a whole is refused.
    crowded = c.single("Crowded", "categories", [
        c.attr("id", "N", "categories", "id"),
        c.attr("p", "N", "categories", "id", hierarchy=c.hierarchy("depth", max_depth=50)),
        *[c.attr(f"up{n}", "S", "categories", "parent_id",
                 join={"type": "self-join", "join_alias": f"up{n}", "join_condition": f"up{n}.id = categories.parent_id",
                       "select_column": f"up{n}.name"}) for n in range(10)]])
    assert _codes(pdb, crowded) == {("view.too_many_tables", "$.tables[0]")}
