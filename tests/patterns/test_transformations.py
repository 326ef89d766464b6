"""The four transformations on a real MariaDB: string-format, date-format, number-format, json-parse."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tests.patterns import contracts as c
from tests.patterns.reference import expected_rows
from tests.patterns.support import CHARS, SETTINGS, TEXT, PatternDB, customers, decimals, nullable, orders

#: literal text of a template (braces would be placeholders)
LITERAL = st.text(alphabet=st.sampled_from([ch for ch in CHARS if ch not in "{}"]), max_size=6)


@SETTINGS
@given(orders=orders(), customers=customers(), prefix=LITERAL, constant=LITERAL | st.just("#META"))
def test_string_format_placeholders_attributes_columns_temporal_and_constant(
        pdb: PatternDB, orders: Any, customers: Any, prefix: str, constant: str) -> None:
    pdb.check(c.string_format_table(prefix, constant), {"orders": orders, "customers": customers})


TOKENS = ["YYYY", "MM", "DD", "HH", "mm", "ss", "SSS"]
SEPARATORS = ["-", "/", ".", ":", " ", "T", "#", "_", "%", "年", "'", "\\"]
FORMAT = st.lists(st.sampled_from(TOKENS + SEPARATORS), min_size=1, max_size=8).map("".join)


_MOMENT = dict(id=1, name=None, email=None, tier=None, country=None, region_code=None,
               created=dt.datetime(2024, 4, 2, 15, 30, 45, 123456), born=dt.date(1999, 12, 31), balance=None,
               signup_epoch=1_712_071_845, signup_ms=1_712_071_845_123, prefs=None)


@SETTINGS
@given(customers=customers(), formats=st.lists(FORMAT, min_size=5, max_size=5))
@example(customers=[_MOMENT], formats=["MMmm", "DD.MM.YYYY", "SSSss", "YYYY%MM'\\", "HHmmssSSS"])
def test_date_format_tokens_iso8601_and_epoch_sources(pdb: PatternDB, customers: Any, formats: list[str]) -> None:
    pdb.check(c.date_format_table(formats), {"customers": customers})


HALVES = st.sampled_from([Decimal(x) for x in ("2.5000", "-2.5000", "0.0050", "-0.0050", "1.2345", "-0.0049",
                                                 "9.9950", "-99.9999", "0.0000")])


@SETTINGS
@given(customers=customers(balance=nullable(decimals(4, 99) | HALVES),
                           tier=nullable(st.integers(-1_234_567, 1_234_567) | st.integers(-9, 9))),
       d1=st.integers(0, 3), d2=st.integers(0, 3), p1=st.integers(1, 8), d3=st.integers(0, 3),
       p2=st.integers(1, 6), p3=st.integers(1, 6))
def test_number_format_decimals_and_pad_incl_negative(pdb: PatternDB, customers: Any, d1: int, d2: int, p1: int,
                                                      d3: int, p2: int, p3: int) -> None:
    pdb.check(c.number_format_table(d1, d2, p1, d3, p2, p3), {"customers": customers})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | TEXT
    | st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(lambda d: float(d)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
JSON_TEXT = st.builds(lambda v, ascii_only: json.dumps(v, ensure_ascii=ascii_only), JSON_VALUES, st.booleans())


@SETTINGS
@given(customers=customers(prefs=st.none() | JSON_TEXT | st.sampled_from(["", "null", "{not json", "[1,"])))
def test_json_parse_leaves_the_text_unchanged(pdb: PatternDB, customers: Any) -> None:
    """The view hands the column's text to the runtime unchanged (which parses it; invalid JSON rejects the row)."""
    pdb.check(c.json_parse_table(), {"customers": customers})


def test_pad_keeps_values_longer_than_the_width(pdb: PatternDB) -> None:
    """pad 3: 12345 stays 12345 (never cut), -7 becomes -007, 5 becomes 005."""
    base = dict(name=None, email=None, country=None, region_code=None, created=None, born=None, balance=None,
                signup_epoch=None, signup_ms=None, prefs=None)
    rows = {"customers": [dict(id=i, tier=t, **base) for i, t in ((1, 12345), (2, -7), (3, 5), (4, -12345))]}
    pdb.load(rows)
    doc = c.number_format_table(2, 1, 3, 2, 6, 4)
    assert [r["tier_padded"] for r in expected_rows(pdb.sources(), doc)] == ["12345", "-007", "005", "-12345"]
    pdb.check(doc, rows)
