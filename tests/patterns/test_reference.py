"""The reference's models of MySQL semantics agree with MariaDB's own functions.

These checks run hand-written SQL (never the compiler's) on the server, so a failing
pattern test points at the compiler, not at a wrong model of MySQL in the reference.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.patterns import reference as ref
from tests.patterns.support import DATE, DATETIME6, EDGE_DATETIME, SETTINGS, PatternDB, decimals

UNITS = ["SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]


def _one(pdb: PatternDB, sql: str, params: tuple[Any, ...]) -> Any:
    with pdb.conn.cursor() as cur:
        cur.execute(sql, params or None)
        return cur.fetchone()[0]


@SETTINGS
@given(value=DATETIME6 | EDGE_DATETIME | DATE, amount=st.integers(-40, 40), unit=st.sampled_from(UNITS))
def test_date_add(pdb: PatternDB, value: dt.date, amount: int, unit: str) -> None:
    cast = "DATETIME(6)" if isinstance(value, dt.datetime) else "DATE"
    got = _one(pdb, f"SELECT DATE_ADD(CAST(%s AS {cast}), INTERVAL %s {unit})", (value, amount))
    assert got == ref.date_add(value, amount, unit)
    assert type(got) is type(ref.date_add(value, amount, unit))


@SETTINGS
@given(a=DATETIME6 | EDGE_DATETIME, b=DATETIME6 | EDGE_DATETIME, unit=st.sampled_from(UNITS))
def test_timestampdiff(pdb: PatternDB, a: dt.datetime, b: dt.datetime, unit: str) -> None:
    got = _one(pdb, f"SELECT TIMESTAMPDIFF({unit}, CAST(%s AS DATETIME(6)), CAST(%s AS DATETIME(6)))", (a, b))
    assert got == ref.timestampdiff(unit, a, b)


@SETTINGS
@given(value=decimals(4, 99), places=st.integers(0, 3))
def test_round_half_away_from_zero(pdb: PatternDB, value: Decimal, places: int) -> None:
    got = _one(pdb, "SELECT ROUND(CAST(%s AS DECIMAL(12,4)), %s)", (value, places))
    assert got == ref.number_format(value, places, None, "N")


@SETTINGS
@given(value=DATETIME6, epoch=st.integers(0, 2_000_000_000), millis=st.integers(0, 2_000_000_000_999))
def test_iso_text_and_epochs(pdb: PatternDB, value: dt.datetime, epoch: int, millis: int) -> None:
    got = _one(pdb, "SELECT CONCAT(DATE_FORMAT(CAST(%s AS DATETIME(6)), '%%Y-%%m-%%dT%%H:%%i:%%s.'), "
                    "LPAD(FLOOR(MICROSECOND(CAST(%s AS DATETIME(6))) / 1000), 3, '0'), 'Z')", (value, value))
    assert got == ref.iso(value)
    assert _one(pdb, "SELECT FROM_UNIXTIME(%s)", (epoch,)) == ref.EPOCH + dt.timedelta(seconds=epoch)
    assert ref.date_format(millis, "YYYY-MM-DD HH:mm:ss.SSS", "epoch_millis") == \
        _one(pdb, "SELECT DATE_FORMAT(FROM_UNIXTIME(%s / 1000), '%%Y-%%m-%%d %%H:%%i:%%s.%%f')", (millis,))[:-3]


@SETTINGS
@given(rows=st.lists(st.tuples(st.none() | st.integers(0, 2), st.none() | st.integers(0, 2)), max_size=6))
def test_order_by_nulls_and_ties(pdb: PatternDB, rows: list[tuple[int | None, int | None]]) -> None:
    """MySQL sorts NULL first ascending and last descending; ties go by the primary key."""
    items = [dict(id=i + 1, order_id=1, product_id=None, qty=q, price=None, added=None, label=None, rank_no=r)
             for i, (r, q) in enumerate(rows)]
    base = dict(customer_id=None, billing_address_id=None, shipping_address_id=None, status_code=None, kind=None,
                amount=None, qty=None, status=None, note=None, created=None, shipped=None, due=None,
                delay_days=None)
    pdb.load({"order_items": items, "orders": [dict(id=1, **base)]})
    with pdb.conn.cursor() as cur:
        cur.execute("SELECT id FROM order_items ORDER BY rank_no, qty DESC, id")
        mysql_order = [r[0] for r in cur.fetchall()]
    doc = {"type": "single-entity", "source_table": "orders", "attributes": [
        {"name": "ids", "type": "L", "source_table": "orders", "source_column": "id",
         "join": {"type": "json-construction", "target_table": "order_items",
                  "join_condition": "order_items.order_id = orders.id",
                  "construction": {"type": "array", "select_columns": {"id": "id"},
                                   "order_by": "rank_no, qty DESC"}}}]}
    (row,) = ref.expected_rows(pdb.sources(), doc)
    assert row["ids"] == "[" + ", ".join(f'{{"id": {i}}}' for i in mysql_order) + "]"


def test_fragment_literals_follow_mysql(pdb: PatternDB) -> None:
    for text in ["it's", "a\\b", 'q"d', "", "汉 🚀", "%_", "\\%"]:
        literal = ref.sql_literal(text)
        assert ref.sql_string(literal) == text
        assert _one(pdb, f"SELECT {literal}", ()) == text
    assert _one(pdb, "SELECT CONCAT_WS(',', NULL, NULL)", ()) == ""   # the value the docs' CONCAT_WS gives
