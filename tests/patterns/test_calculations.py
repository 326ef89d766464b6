"""The four calculations on a real MariaDB: aggregate, case, concat, date-math against the reference."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from migrator.findings import Severity
from tests.patterns import contracts as c
from tests.patterns.reference import expected_rows, sql_literal
from tests.patterns.support import (REGIONS, SETTINGS, TEXT, PatternDB, categories, customers, keys, orders,
                                    products, ref_to)

UNITS = ["SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]


@SETTINGS
@given(data=st.data())
def test_aggregate_count_sum_avg_min_max(pdb: PatternDB, data: st.DataObject) -> None:
    """COUNT of nothing is 0, the others absent; AVG with 4 more decimals; a join beside them keeps the rows."""
    people, regions = data.draw(customers(), "customers"), data.draw(REGIONS, "regions")
    rows = data.draw(orders(customer_id=ref_to(keys(people))), "orders")
    pdb.check(c.aggregate_table(), {"customers": people, "orders": rows, "regions": regions})


@SETTINGS
@given(data=st.data())
def test_aggregate_children_count_of_self_reference(pdb: PatternDB, data: st.DataObject) -> None:
    """`categories.parent_id = categories.id` in an aggregate counts the children (and says so as a warning)."""
    cats = data.draw(categories(), "categories")
    prods = data.draw(products(category_id=ref_to(keys(cats))), "products")
    findings = pdb.check(c.children_table(), {"categories": cats, "products": prods})
    assert any(f.severity is Severity.WARNING and f.path.startswith("$.tables[0].attributes[1].calculation")
               for f in findings), [f.sentence() for f in findings]


@SETTINGS
@given(orders=orders(), threshold=st.sampled_from(["0", "100", "-12.50", "250.25"]),
       thens=st.lists(TEXT, min_size=3, max_size=3), otherwise=st.none() | TEXT)
def test_case(pdb: PatternDB, orders: Any, threshold: str, thens: list[str], otherwise: str | None) -> None:
    pdb.check(c.case_table(threshold, thens, otherwise), {"orders": orders})


def _literal(text: str, double: bool) -> str:
    if double:
        return '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'
    return sql_literal(text)


PART_NAMES = ["name", "email", "created", "born", "balance", "tier", "signup_epoch", "tier_label"]


@st.composite
def concat_parts(draw: st.DrawFn) -> list[str]:
    choices = st.one_of(st.sampled_from(PART_NAMES), st.builds(_literal, TEXT, st.booleans()))
    return draw(st.lists(choices, min_size=1, max_size=6))


@SETTINGS
@given(customers=customers(), parts=concat_parts(), separator=st.none() | TEXT)
def test_concat_null_parts_and_quoted_literals(pdb: PatternDB, customers: Any, parts: list[str],
                                               separator: str | None) -> None:
    pdb.check(c.concat_table(parts, separator), {"customers": customers})


@SETTINGS
@given(orders=orders(), unit=st.sampled_from(UNITS), value=st.integers(-40, 40), unit2=st.sampled_from(UNITS),
       value2=st.integers(-40, 40), unit3=st.sampled_from(UNITS), unit4=st.sampled_from(UNITS))
def test_date_math_add_subtract_diff(pdb: PatternDB, orders: Any, unit: str, value: int, unit2: str, value2: int,
                                     unit3: str, unit4: str) -> None:
    pdb.check(c.date_math_table(unit, value, unit2, value2, unit3, unit4), {"orders": orders})


@SETTINGS
@given(orders=orders(), unit=st.sampled_from(UNITS),
       start=st.sampled_from(["2024-01-31 10:00:00", "2024-02-29 09:00:00", "1999-12-31 23:59:59"]))
def test_date_math_diff_from_a_constant_date(pdb: PatternDB, orders: Any, unit: str, start: str) -> None:
    """`value` as the date a diff counts from (the schema's description of date-math)."""
    pdb.check(c.date_diff_constant_table(unit, start), {"orders": orders})


def test_avg_rounding_matches_mysql(pdb: PatternDB) -> None:
    """A hand-made check of the reference's AVG: 1, 2, 2 -> 1.6667; -1, -2, -2 -> -1.6667 (half away from 0)."""
    base = dict(billing_address_id=None, shipping_address_id=None, status_code=None, kind=None, amount=None,
                status=None, note=None, created=None, shipped=None, due=None, delay_days=None)
    rows = [dict(id=i, customer_id=cid, qty=q, **base) for i, cid, q in
            ((1, 1, 1), (2, 1, 2), (3, 1, 2), (4, 2, -1), (5, 2, -2), (6, 2, -2))]
    people = [dict(id=i, name=None, email=None, tier=None, country=None, region_code=None, created=None, born=None,
                   balance=None, signup_epoch=None, signup_ms=None, prefs=None) for i in (1, 2, 3)]
    pdb.check(c.aggregate_table(), {"customers": people, "orders": rows})
    with pdb.conn.cursor() as cur:
        cur.execute("SELECT AVG(qty) FROM orders GROUP BY customer_id ORDER BY customer_id")
        assert [r[0] for r in cur.fetchall()] == [Decimal("1.6667"), Decimal("-1.6667")]


def test_concat_skips_null_parts_and_writes_iso_datetimes(pdb: PatternDB) -> None:
    person = dict(id=1, name="Zoë", email=None, tier=None, country=None, region_code=None,
                  created=dt.datetime(2024, 4, 2, 15, 30, 45, 123456), born=dt.date(1990, 1, 2),
                  balance=Decimal("-1.5000"), signup_epoch=None, signup_ms=None, prefs=None)
    rows = {"customers": [person]}
    pdb.load(rows)
    doc = c.concat_table(["name", "' | '", "email", "created", "born", "balance", "tier_label"], ",")
    (expected,) = expected_rows(pdb.sources(), doc)
    assert expected["display"] == "Zoë, | ,2024-04-02T15:30:45.123Z,1990-01-02,-1.5000,basic"
    assert expected["name_email"] == "Zoë <>"
    pdb.check(doc, rows)
