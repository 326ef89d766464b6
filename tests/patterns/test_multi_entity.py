"""Multi-entity tables on a real MariaDB: one view per entity, keys from templates or explicit attributes."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from migrator.compile.names import view_name
from tests.patterns import contracts as c
from tests.patterns.support import (SETTINGS, PatternDB, addresses, customers, entity_views, keys, model, orders,
                                    ref_to)



@SETTINGS
@given(data=st.data())
def test_two_entities_of_different_source_tables_with_templates(pdb: PatternDB, data: st.DataObject) -> None:
    """Placeholders name the entity's attributes first (`{name}` is the formatted attribute, `{order_no}` the
    padded one), then its columns; temporal parts are ISO-8601; a NULL part makes the key NULL."""
    people = data.draw(customers(), "customers")
    rows = data.draw(orders(customer_id=ref_to(keys(people))), "orders")
    pdb.check(c.multi_entity_table(), {"customers": people, "orders": rows})


@SETTINGS
@given(people=customers(), places=addresses())
def test_entity_defining_its_key_attribute_wins_over_the_template(pdb: PatternDB, people: Any,
                                                                   places: Any) -> None:
    pdb.check(c.explicit_key_table(), {"customers": people, "addresses": places})


def test_one_view_per_entity_named_after_table_and_entity(pdb: PatternDB) -> None:
    table, _ = model(c.multi_entity_table())
    views = entity_views(table, pdb.schema, pdb.server)
    assert [(e, n) for e, n, _, _ in views] == [("CUSTOMER", view_name("Shop", "CUSTOMER")),
                                                ("ORDER", view_name("Shop", "ORDER"))]
    assert [n for _, n, _, _ in views] == ["ddb_shop__customer_view", "ddb_shop__order_view"]
