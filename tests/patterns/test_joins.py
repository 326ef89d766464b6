"""The seven join types on a real MariaDB: the view's rows equal the reference computed from the raw rows.

Generated rows include NULL and dangling foreign keys, missing partners, unicode, quotes,
backslashes, commas, semicolons and empty strings.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from migrator.findings import Severity
from tests.patterns import contracts as c
from tests.patterns.reference import expected_rows
from tests.patterns.support import (FEW_IDS, REGIONS, SETTINGS, TEXT, PatternDB, addresses, categories, customers,
                                    departments, employees, entity_views, keys, model, order_items, orders, products,
                                    ref_to, statuses)


ODD = "Zoë \"the\" 'first'; \\ , 汉字 🚀"
_NO_ORDER = dict(amount=None, created=None, shipped=None, due=None, delay_days=None)
ORDERS = [dict(id=1, customer_id=1, billing_address_id=1, shipping_address_id=2, status_code=1, kind=1, qty=2,
               status="paid", note=ODD, **_NO_ORDER),
          dict(id=2, customer_id=None, billing_address_id=9, shipping_address_id=None, status_code=None, kind=0,
               qty=None, status=None, note="", **_NO_ORDER)]
CUSTOMER = dict(id=1, name=ODD, email="", tier=None, country=None, region_code=None, created=None, born=None,
                balance=None, signup_epoch=None, signup_ms=None, prefs=None)


@SETTINGS
@given(data=st.data())
def test_foreign_key_null_dangling_and_three_joins_to_one_table(pdb: PatternDB, data: st.DataObject) -> None:
    people, places = data.draw(customers(), "customers"), data.draw(addresses(), "addresses")
    rows = data.draw(orders(customer_id=ref_to(keys(people)), billing_address_id=ref_to(keys(places)),
                            shipping_address_id=ref_to(keys(places))), "orders")
    pdb.check(c.foreign_key_table(), {"orders": rows, "customers": people, "addresses": places})


@SETTINGS
@given(data=st.data())
def test_lookup_table(pdb: PatternDB, data: st.DataObject) -> None:
    codes = data.draw(statuses(), "order_statuses")
    rows = data.draw(orders(status_code=ref_to(keys(codes, "code"))), "orders")
    pdb.check(c.lookup_table(), {"orders": rows, "order_statuses": codes})


@SETTINGS
@given(customers=customers(), regions=REGIONS)
def test_multi_column(pdb: PatternDB, customers: Any, regions: Any) -> None:
    pdb.check(c.multi_column_table(), {"customers": customers, "regions": regions})


@SETTINGS
@given(employees=employees(), null_value=TEXT)
def test_self_join_with_alias_and_null_value(pdb: PatternDB, employees: Any, null_value: str) -> None:
    pdb.check(c.self_join_table(null_value), {"employees": employees})


@SETTINGS
@given(categories=categories())
def test_source_table_joined_to_itself_without_alias(pdb: PatternDB, categories: Any) -> None:
    """`categories.id = categories.parent_id`: the side naming the primary key is the joined row (a warning);
    `condition` is over the source row."""
    findings = pdb.check(c.self_reference_table(), {"categories": categories})
    warned = {f.path for f in findings if f.severity is Severity.WARNING}
    table, _ = model(c.self_reference_table())
    for attribute in table.attributes[1:]:
        assert attribute.join is not None
        assert any(p.startswith(attribute.join.path) for p in warned), \
            f"no warning about the ambiguous self-reference at {attribute.join.path}: {sorted(warned)}"


@SETTINGS
@given(data=st.data(), else_text=st.none() | TEXT, threshold=st.sampled_from(["0", "100.50", "-20", "499.99"]))
def test_conditional_else_branch_and_missing_partner(pdb: PatternDB, data: st.DataObject, else_text: str | None,
                                                     threshold: str) -> None:
    people = data.draw(customers(), "customers")
    rows = data.draw(orders(customer_id=ref_to(keys(people))), "orders")
    pdb.check(c.conditional_table(else_text, threshold), {"orders": rows, "customers": people})


@SETTINGS
@given(data=st.data(), sep=TEXT, sep2=st.sampled_from([", ", "#", "", " > ", "'", "\\", "🚀;"]))
def test_chain_with_and_without_separator(pdb: PatternDB, data: st.DataObject, sep: str, sep2: str) -> None:
    """Each step may miss its partner (NULL or dangling key) or find a NULL value."""
    depts = data.draw(departments(), "departments")
    cats = data.draw(categories(department_id=ref_to(keys(depts))), "categories")
    prods = data.draw(products(category_id=ref_to(keys(cats))), "products")
    items = data.draw(order_items(product_id=ref_to(keys(prods))), "order_items")
    pdb.check(c.chain_table(sep, sep2), {"order_items": items, "products": prods, "categories": cats,
                                         "departments": depts})


@SETTINGS
@given(data=st.data(), limit=st.none() | st.integers(1, 3))
def test_json_construction_array_and_object(pdb: PatternDB, data: st.DataObject, limit: int | None) -> None:
    """order_by ties broken by the primary key, NULLs first ascending, limit, [] when none, NULLs inside,
    unicode and quotes in values and keys, object absent when none."""
    rows = data.draw(orders(ids=FEW_IDS), "orders")
    items = data.draw(order_items(order_id=ref_to(keys(rows))), "order_items")
    pdb.check(c.json_construction_table(limit), {"orders": rows, "order_items": items})


def test_hand_made_foreign_keys(pdb: PatternDB) -> None:
    """A partner, a NULL key and a dangling key, with odd text."""
    pdb.check(c.foreign_key_table(), {"orders": ORDERS, "customers": [CUSTOMER], "addresses": [
        dict(id=1, city=ODD, street=None), dict(id=2, city="", street="x")]})


def test_json_array_orders_nulls_first_then_ties_by_primary_key(pdb: PatternDB) -> None:
    """order_by `rank_no, qty DESC`: MySQL puts the NULL rank first; the qty tie goes by id; limit 3."""
    items = [dict(id=i, order_id=1, product_id=None, qty=q, price=None, added=None, label=lab, rank_no=r)
             for i, q, lab, r in ((3, 1, ODD, 0), (1, 1, None, 0), (2, 2, "", 0), (4, None, "x", None))]
    rows = {"orders": ORDERS, "order_items": items}
    pdb.load(rows)
    first, second = expected_rows(pdb.sources(), c.json_construction_table(3))
    assert [o["id"] for o in json.loads(first["items"])] == [4, 2, 1]
    assert second["items"] == "[]" and second["first_item"] is None
    pdb.check(c.json_construction_table(3), rows)
    pdb.check(c.json_construction_table(None), {"orders": ORDERS, "order_items": []})


def test_chain_skips_null_parts(pdb: PatternDB) -> None:
    """A chain whose later steps find no partner keeps the parts it has (CONCAT_WS skips NULLs)."""
    items = [dict(id=1, order_id=None, product_id=1, qty=None, price=None, added=None, label=None, rank_no=None)]
    prods = [dict(id=1, name="Zoë's \"P\"", category_id=None, price=None)]
    rows = {"order_items": items, "products": prods}
    pdb.load(rows)
    (expected,) = expected_rows(pdb.sources(), c.chain_table(" > ", ", "))
    assert expected == {"id": 1, "path": "Zoë's \"P\"", "department": None, "product_and_category": "1",
                        "category_name": None}
    pdb.check(c.chain_table(" > ", ", "), rows)


@SETTINGS
@given(employees=employees(), sep=st.sampled_from([" > ", "", "'"]))
def test_chain_back_to_its_own_table_is_constrained_step_by_step(pdb: PatternDB, employees: Any, sep: str) -> None:
    """employees -> manager -> manager's mentor: each step joins the row of the step before it (one
    alias per step), so the view keeps one row per employee; both same-table steps are read by the
    primary key, with a warning each."""
    findings = pdb.check(c.revisiting_chain_table(sep), {"employees": employees})
    assert len(pdb.rows["employees"]) == len(expected_rows(pdb.sources(), c.revisiting_chain_table(sep)))
    warned = {f.path for f in findings if f.severity is Severity.WARNING and f.code == "join.self_reference"}
    assert any(p.endswith("joins[0].join_condition") for p in warned), warned
    assert any(p.endswith("joins[1].join_condition") for p in warned), warned


@SETTINGS
@given(data=st.data())
def test_chain_through_a_table_twice_then_another(pdb: PatternDB, data: st.DataObject) -> None:
    depts = data.draw(departments(), "departments")
    cats = data.draw(categories(department_id=ref_to(keys(depts))), "categories")
    pdb.check(c.grandparent_chain_table(), {"categories": cats, "departments": depts})


def _chain_errors(pdb: PatternDB, source: str, steps: list[dict[str, str]]) -> list[tuple[str, str]]:
    table, _ = model(c.single("Chained", source, [c.attr("id", "N", source, "id"), c.attr(
        "value", "S", source, "id", join={"type": "chain", "joins": steps})]))
    ((_, _, spec, findings),) = entity_views(table, pdb.schema, pdb.server)
    errors = [(f.path, f.sentence()) for f in findings if f.severity is Severity.ERROR]
    assert (spec is None) == bool(errors), errors
    return errors


def test_a_chain_step_not_tied_to_the_row_before_it_is_an_error_at_the_step(pdb: PatternDB) -> None:
    step = "$.tables[0].attributes[1].join.joins[{}].join_condition"
    first = [{"target_table": "departments", "join_condition": "departments.id = 1", "select_column": "name"}]
    (error,) = _chain_errors(pdb, "categories", first)
    assert error[0] == step.format(0) and "does not name a column of categories (the entity's own row)" in error[1]
    untied = [CHAIN_STEP, {"target_table": "categories", "join_condition": "products.category_id IS NOT NULL",
                           "select_column": "categories.name"}]
    (error,) = _chain_errors(pdb, "order_items", untied)
    assert error[0] == step.format(1) and "does not name a column of categories, the table this step joins" in error[1]
    skipping = [CHAIN_STEP, {"target_table": "categories", "join_condition": "categories.id = order_items.product_id",
                             "select_column": "categories.name"}]
    (error,) = _chain_errors(pdb, "order_items", skipping)
    assert error[0] == step.format(1) and "not constrained by the step before it" in error[1], error
    assert not _chain_errors(pdb, "order_items", [CHAIN_STEP, {**skipping[1], "join_condition":
                                                               "categories.id = products.category_id"}])


def test_a_step_joining_its_previous_table_undecided_by_the_primary_key_is_an_error(pdb: PatternDB) -> None:
    undecided = [{"target_table": "categories", "join_condition": "categories.id = categories.parent_id",
                  "select_column": "name"},
                 {"target_table": "categories", "join_condition": "categories.department_id = categories.parent_id",
                  "select_column": "name"}]
    (error,) = _chain_errors(pdb, "categories", undecided)
    assert error[0].endswith("joins[1].join_condition") and "cannot be decided" in error[1], error
    assert "join_alias" not in error[1]      # a later step has no alias to give; the fix is the primary key


CHAIN_STEP = {"target_table": "products", "join_condition": "products.id = order_items.product_id",
              "select_column": "products.name"}
