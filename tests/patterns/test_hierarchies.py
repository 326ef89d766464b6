"""The `hierarchy` extension on a real MariaDB: the WITH RECURSIVE view's paths, depths and roots
equal a plain Python walk over the raw rows (tests/patterns/reference.py), for generated trees
with cycles, self-parents, dangling parents, NULL names and chains longer than max_depth."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from migrator.findings import Severity
from tests.patterns import contracts as c
from tests.patterns.support import SETTINGS, TEXT, PatternDB, categories, keys, products, ref_to

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
