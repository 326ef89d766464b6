"""migrator.runtime.items: every supported value maps to the documented encoding.

Expectations are computed independently of the implementation (string arithmetic,
strptime, a separate JSON walker), mostly as hypothesis properties. No I/O here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Context, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.runtime.decode import item_key, item_python, python_value
from migrator.runtime.items import RowRejected, to_attribute_value, to_item
from migrator.runtime.spec import TYPES, AttributeSpec, ItemSpec, SpecError

UTC = dt.UTC
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")
CLOCK = re.compile(r"(-?)(\d{2,}):(\d{2}):(\d{2})(?:\.(\d{3}))?\Z")
WIDE = Context(prec=5000, Emin=-10**9, Emax=10**9)
MS = dt.timedelta(milliseconds=1)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # this file only


def rejected(value: Any, type_: str) -> RowRejected:
    with pytest.raises(RowRejected) as info:
        to_attribute_value(value, type_)
    return info.value


def n_text(value: Any) -> str:
    av = to_attribute_value(value, "N")
    assert av is not None and list(av) == ["N"] and isinstance(av["N"], str)
    return av["N"]


# ----------------------------------------------------------------------------- N


@SETTINGS
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_is_exact_or_rejected_by_dynamodb_limits(d: Decimal) -> None:
    if d.is_zero():
        s = n_text(d)
        assert Decimal(s) == 0 and not s.startswith("-")
        return
    normal = d.normalize(WIDE)               # trailing zeros gone, nothing rounded
    digits, adjusted = len(normal.as_tuple().digits), normal.adjusted()
    if digits > 38:
        assert rejected(d, "N").reason == "number_too_precise"
    elif not -130 <= adjusted <= 125:
        assert rejected(d, "N").reason == "number_out_of_range"
    else:
        s = n_text(d)
        assert Decimal(s) == d
        if -20 <= adjusted <= 39:
            assert "E" not in s.upper()
            exponent = d.as_tuple().exponent
            if isinstance(exponent, int) and exponent <= 0:   # the source scale is kept: 1.50 stays "1.50"
                assert Decimal(s).as_tuple().exponent == exponent


@SETTINGS
@given(st.integers(min_value=-10**45, max_value=10**45) | st.integers())
def test_integers(i: int) -> None:
    significant = str(abs(i)).rstrip("0") or "0"
    if len(significant) > 38:
        assert rejected(i, "N").reason == "number_too_precise"
        return
    s = n_text(i)
    assert Decimal(s) == i
    if len(str(abs(i))) <= 40:
        assert s == str(i)


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_go_through_repr_never_binary(f: float) -> None:
    magnitude = abs(Decimal(repr(f)))
    if f != 0 and not Decimal("1E-130") <= magnitude < Decimal("1E+126"):
        assert rejected(f, "N").reason == "number_out_of_range"
        return
    s = n_text(f)
    assert float(s) == f
    assert Decimal(s) == Decimal(repr(f))


def test_float_examples() -> None:
    assert n_text(0.1) == "0.1"
    assert n_text(1.0) == "1.0"
    assert n_text(-0.0) == "0.0"
    assert n_text(1e20) == "100000000000000000000"
    assert n_text(1.5e100) == "1.5E+100"
    assert n_text(Decimal("1.50")) == "1.50"
    assert n_text(Decimal("-0.00")) == "0.00"


@SETTINGS
@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**20, max_value=10**20),
       st.sampled_from(["", " ", "\t", "  \n"]))
def test_numeric_text_and_bytes(d: Decimal, pad: str) -> None:
    text = pad + str(d) + pad
    assert Decimal(n_text(text)) == d
    assert Decimal(n_text(text.encode())) == d


@pytest.mark.parametrize("value", ["", " ", "abc", "1,5", "1 000", "NaN", "nan", "Infinity", "-inf", "1_000",
                                   "0x10", "1e", ".", "+", "12abc", "١٢", float("nan"), float("inf"),
                                   Decimal("NaN"), Decimal("-Infinity"), dt.date(2024, 1, 1), [1], {"a": 1}])
def test_non_numbers_reject_the_row(value: Any) -> None:
    assert rejected(value, "N").reason == "not_a_number"


def test_booleans_as_numbers() -> None:
    assert n_text(True) == "1" and n_text(False) == "0"


def test_number_limits_examples() -> None:
    assert n_text(Decimal("9.9999999999999999999999999999999999999E+125")).startswith("9.999")
    assert n_text(Decimal("1E-130")) == "1E-130"
    assert rejected(Decimal("1E+126"), "N").reason == "number_out_of_range"
    assert rejected(Decimal("1E-131"), "N").reason == "number_out_of_range"
    assert n_text(Decimal("1" * 38)) == "1" * 38
    assert n_text(int("1" * 36 + "000")) == "1" * 36 + "000"     # trailing zeros are not significant
    assert n_text(int("1" * 38 + "000")) == "1." + "1" * 37 + "E+40"   # past 10**40: scientific
    assert rejected(int("1" * 39), "N").reason == "number_too_precise"


# ----------------------------------------------------------------------------- S: temporal values

offsets = st.builds(dt.timezone, st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59),
                                               max_value=dt.timedelta(hours=23, minutes=59)))


@SETTINGS
@given(st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31),
                    timezones=st.none() | offsets))
def test_datetimes_become_iso_utc_milliseconds(value: dt.datetime) -> None:
    av = to_attribute_value(value, "S")
    assert av is not None
    s = av["S"]
    assert ISO.match(s), s
    parsed = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    instant = value if value.tzinfo is not None else value.replace(tzinfo=UTC)   # naive = UTC
    assert parsed <= instant < parsed + MS


def test_datetime_examples() -> None:
    assert to_attribute_value(dt.datetime(2024, 4, 2, 15, 30, 45), "S") == {"S": "2024-04-02T15:30:45.000Z"}
    paris = dt.timezone(dt.timedelta(hours=2))
    assert to_attribute_value(dt.datetime(2024, 4, 2, 17, 30, 45, 999999, tzinfo=paris), "S") == \
        {"S": "2024-04-02T15:30:45.999Z"}
    far = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(-dt.timedelta(hours=5)))
    assert rejected(far, "S").reason == "invalid_temporal"


@SETTINGS
@given(st.dates())
def test_dates(value: dt.date) -> None:
    assert to_attribute_value(value, "S") == {"S": value.isoformat()}


def parse_clock(s: str) -> dt.timedelta:
    m = CLOCK.match(s)
    assert m, s
    sign, h, mi, se, ms = m.groups()
    if ms is not None:
        assert ms != "000"          # the fraction is written only when it is not zero
    td = dt.timedelta(hours=int(h), minutes=int(mi), seconds=int(se), milliseconds=int(ms or 0))
    return -td if sign else td


@SETTINGS
@given(st.timedeltas(min_value=-dt.timedelta(hours=838, minutes=59, seconds=59),
                     max_value=dt.timedelta(hours=838, minutes=59, seconds=59)))
def test_mysql_time_as_timedelta(value: dt.timedelta) -> None:
    s = to_attribute_value(value, "S")["S"]  # type: ignore[index]
    back = parse_clock(s)
    truncated = (abs(value) // MS) * MS
    assert back == (-truncated if value < dt.timedelta(0) else truncated)


@SETTINGS
@given(st.times())
def test_times(value: dt.time) -> None:
    s = to_attribute_value(value, "S")["S"]  # type: ignore[index]
    as_delta = dt.timedelta(hours=value.hour, minutes=value.minute, seconds=value.second,
                            microseconds=value.microsecond)
    assert parse_clock(s) == (as_delta // MS) * MS


# ----------------------------------------------------------------------------- S: text and others


@SETTINGS
@given(st.text())
def test_text_stays_text(value: str) -> None:
    assert to_attribute_value(value, "S") == {"S": value}
    assert to_attribute_value(value.encode("utf-8"), "S") == {"S": value}


def test_empty_and_null_text_stay() -> None:
    specs = [AttributeSpec("PK", "S", key=True), AttributeSpec("a", "S"), AttributeSpec("b", "S")]
    assert to_item({"PK": "k", "a": "", "b": "null"}, specs) == {"PK": {"S": "k"}, "a": {"S": ""}, "b": {"S": "null"}}


@SETTINGS
@given(st.integers() | st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**12,
                                   min_value=-10**12))
def test_numbers_as_text(value: Any) -> None:
    s = to_attribute_value(value, "S")["S"]  # type: ignore[index]
    assert Decimal(s) == value


def test_other_text_conversions() -> None:
    assert to_attribute_value(True, "S") == {"S": "true"}
    assert to_attribute_value(Decimal("12.50"), "S") == {"S": "12.50"}
    assert rejected(b"\xff\xfe", "S").reason == "not_utf8"
    assert rejected({"a": 1}, "S").reason == "unsupported_value"
    assert rejected(float("nan"), "S").reason == "not_a_number"


# ----------------------------------------------------------------------------- NULL, keys


@pytest.mark.parametrize("type_", [t for t in TYPES if t != "NULL"])
def test_sql_null_is_absent(type_: str) -> None:
    assert to_attribute_value(None, type_) is None
    specs = [AttributeSpec("PK", "S", key=True), AttributeSpec("x", type_)]
    assert to_item({"PK": "k", "x": None}, specs) == {"PK": {"S": "k"}}
    assert to_item({"PK": "k"}, specs) == {"PK": {"S": "k"}}      # a missing column counts as NULL


@pytest.mark.parametrize("value", [None, 0, "", "x", [1]])
def test_null_type_is_always_null(value: Any) -> None:
    assert to_attribute_value(value, "NULL") == {"NULL": True}


@SETTINGS
@given(st.sampled_from(["S", "N", "B"]), st.sampled_from([None, "", b""]), st.text(min_size=1))
def test_null_or_empty_table_key_rejects_the_row(type_: str, bad: Any, other: str) -> None:
    specs = [AttributeSpec("note", "S"), AttributeSpec("PK", type_, key=True)]
    with pytest.raises(RowRejected) as info:
        to_item({"PK": bad, "note": other}, specs)
    assert info.value.attribute == "PK"
    expected = {None: "key_null", "": "key_empty" if type_ != "N" else "not_a_number",
                b"": "key_empty" if type_ != "N" else "not_a_number"}[bad]
    assert info.value.reason == expected


def test_messages_never_contain_values() -> None:
    secret = "s3cr3t-value-é"
    for value, type_ in [(secret, "N"), (secret, "BOOL"), (secret, "M"), (secret.encode("latin-1"), "S")]:
        assert secret not in str(rejected(value, type_))


def test_key_is_checked_before_other_attributes() -> None:
    specs = [AttributeSpec("flag", "BOOL"), AttributeSpec("PK", "S", key=True)]
    with pytest.raises(RowRejected) as info:
        to_item({"PK": None, "flag": "maybe"}, specs)
    assert (info.value.reason, info.value.attribute) == ("key_null", "PK")


def test_index_key_may_be_null_but_not_empty() -> None:
    specs = [AttributeSpec("PK", "S", key=True), AttributeSpec("GSI1PK", "S", index_key=True)]
    assert to_item({"PK": "a", "GSI1PK": None}, specs) == {"PK": {"S": "a"}}
    with pytest.raises(RowRejected) as info:
        to_item({"PK": "a", "GSI1PK": ""}, specs)
    assert (info.value.reason, info.value.attribute) == ("key_empty", "GSI1PK")


def test_size_limits() -> None:
    specs = [AttributeSpec("PK", "S", key=True), AttributeSpec("blob", "B")]
    with pytest.raises(RowRejected) as info:
        to_item({"PK": "x" * 2049}, specs)
    assert info.value.reason == "key_too_long"
    assert to_item({"PK": "x" * 2048}, specs)["PK"] == {"S": "x" * 2048}
    with pytest.raises(RowRejected) as info:
        to_item({"PK": "a", "blob": b"\0" * (400 * 1024)}, specs)
    assert (info.value.reason, info.value.attribute) == ("item_too_large", None)


def test_item_keeps_spec_order_and_attribute_names() -> None:
    specs = [AttributeSpec("b", "N"), AttributeSpec("PK", "S", key=True), AttributeSpec("a", "BOOL")]
    item = to_item({"a": 1, "b": 2, "PK": "k", "ignored": "x"}, specs)
    assert list(item) == ["b", "PK", "a"]


def test_specs_are_validated() -> None:
    with pytest.raises(ValueError):
        AttributeSpec("PK", "BOOL", key=True)
    with pytest.raises(ValueError):
        AttributeSpec("x", "STRING")
    spec = ItemSpec.from_json('{"format": 1, "view": "v", "table": "T", "keys": ["PK"], '
                              '"attributes": [{"name": "PK", "type": "S"}, {"name": "n", "type": "N"}]}')
    assert spec.attributes == (AttributeSpec("PK", "S", True), AttributeSpec("n", "N"))
    assert ItemSpec.from_json(spec.to_json()) == spec
    with pytest.raises(SpecError, match="repeat"):
        ItemSpec.of("v", "T", [AttributeSpec("a", "S"), AttributeSpec("a", "N")], ["a"])
    for doc, words in (({"keys": []}, "one or two"), ({"keys": ["PK", "n", "x"]}, "one or two"),
                       ({"keys": ["nope"]}, "nope"), ({"attributes": [{"name": "PK", "type": "S", "key": True}]},
                                                      "must be an object with"),
                       ({"extra": 1}, "unknown: extra"), ({"view": ""}, "a view and a table")):
        with pytest.raises(SpecError, match=words):
            ItemSpec.from_doc({**spec.to_doc(), **doc})


# ----------------------------------------------------------------------------- BOOL and B


@pytest.mark.parametrize("value,expected", [
    (True, True), (False, False), (1, True), (0, False), (Decimal("1"), True), (Decimal("0.0"), False),
    ("1", True), ("0", False), ("true", True), ("FALSE", False), (" True ", True), (b"\x01", True),
    (b"\x00", False), (b"1", True), (b"0", False)])
def test_bool_accepts_mysql_booleans(value: Any, expected: bool) -> None:
    assert to_attribute_value(value, "BOOL") == {"BOOL": expected}


@pytest.mark.parametrize("value", [2, -1, Decimal("0.5"), "yes", "", "t", b"\x02", dt.date(2024, 1, 1)])
def test_bool_refuses_to_guess(value: Any) -> None:
    assert rejected(value, "BOOL").reason == "not_boolean"


@SETTINGS
@given(st.binary())
def test_binary(value: bytes) -> None:
    av = to_attribute_value(value, "B")
    assert av == {"B": value}
    assert python_value(av) == value  # type: ignore[arg-type]
    import base64
    assert python_value({"B": base64.b64encode(value).decode()}) == value   # DynamoDB JSON's base64 too


@SETTINGS
@given(st.text())
def test_text_as_binary_is_utf8(value: str) -> None:
    assert to_attribute_value(value, "B") == {"B": value.encode("utf-8")}


# ----------------------------------------------------------------------------- M and L


finite_floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: f == 0 or Decimal("1E-130") <= abs(Decimal(repr(f))) < Decimal("1E+126"))
scalars = st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30) | finite_floats | st.text()
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)


def assert_encodes(av: Any, value: Any) -> None:
    """An independent walk: `av` is the documented encoding of the parsed JSON `value`."""
    assert isinstance(av, dict) and len(av) == 1
    (kind, inner), = av.items()
    if value is None:
        assert av == {"NULL": True}
    elif isinstance(value, bool):
        assert av == {"BOOL": value}
    elif isinstance(value, (int, float)):
        assert kind == "N"
        assert Decimal(inner) == (Decimal(repr(value)) if isinstance(value, float) else value)
    elif isinstance(value, str):
        assert av == {"S": value}
    elif isinstance(value, list):
        assert kind == "L" and len(inner) == len(value)
        for a, v in zip(inner, value):
            assert_encodes(a, v)
    else:
        assert kind == "M" and sorted(inner) == sorted(value)
        for k, v in value.items():
            assert_encodes(inner[k], v)


@SETTINGS
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5), st.booleans())
def test_map_from_json_text(value: dict, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert_encodes(to_attribute_value(text, "M"), value)
    assert_encodes(to_attribute_value(text.encode("utf-8"), "M"), value)
    assert_encodes(to_attribute_value(value, "M"), value)          # already parsed


@SETTINGS
@given(st.lists(json_values, max_size=5))
def test_list_from_json_text(value: list) -> None:
    assert_encodes(to_attribute_value(json.dumps(value), "L"), value)


def test_nested_unicode_and_quotes() -> None:
    text = ('{"name": "Zoë \\"the\\" \\\\ o\'brien", "emoji": "😀", "empty": "", "null_text": "null",'
            ' "nested": {"list": [1, "two", null, false, 3.250, -0.0, 1e2]}}')
    assert to_attribute_value(text, "M") == {"M": {
        "name": {"S": "Zoë \"the\" \\ o'brien"}, "emoji": {"S": "😀"}, "empty": {"S": ""},
        "null_text": {"S": "null"},
        "nested": {"M": {"list": {"L": [{"N": "1"}, {"S": "two"}, {"NULL": True}, {"BOOL": False},
                                        {"N": "3.250"}, {"N": "0.0"}, {"N": "100"}]}}}}}


def test_json_numbers_are_exact() -> None:
    av = to_attribute_value('[0.1, 12345678901234567890.123456789, 1E-5]', "L")
    assert av == {"L": [{"N": "0.1"}, {"N": "12345678901234567890.123456789"}, {"N": "0.00001"}]}


@pytest.mark.parametrize("text,type_,reason", [
    ("[1, 2]", "M", "wrong_json_type"), ('{"a": 1}', "L", "wrong_json_type"), ('"text"', "M", "wrong_json_type"),
    ("", "M", "invalid_json"), ("{a: 1}", "M", "invalid_json"), ('{"a": NaN}', "M", "invalid_json"),
    ("[Infinity]", "L", "invalid_json"), ("[1e999]", "L", "number_out_of_range"),
    ("[" * 33 + "]" * 33, "L", "too_deep"), (12, "L", "invalid_json")])
def test_bad_documents_reject(text: Any, type_: str, reason: str) -> None:
    assert rejected(text, type_).reason == reason


def test_depth_32_is_allowed() -> None:
    av = to_attribute_value("[" * 32 + "]" * 32, "L")
    depth = 0
    while av["L"]:  # type: ignore[index]
        av, depth = av["L"][0], depth + 1  # type: ignore[index]
    assert depth == 31


# ----------------------------------------------------------------------------- sets


@SETTINGS
@given(st.lists(st.text(), max_size=8))
def test_string_sets(values: list) -> None:
    for source in (values, json.dumps(values), tuple(values), set(values)):
        av = to_attribute_value(source, "SS")
        assert av == ({"SS": sorted(set(values))} if values else None)


@SETTINGS
@given(st.lists(st.integers(min_value=-10**6, max_value=10**6), max_size=8))
def test_number_sets_dedupe_by_value(values: list) -> None:
    doubled = [str(v) for v in values] + [f"{v}.0" for v in values]
    av = to_attribute_value(json.dumps(doubled), "NS")
    if not values:
        assert av is None
        return
    assert av is not None
    assert [Decimal(x) for x in av["NS"]] == sorted({Decimal(v) for v in values})


@SETTINGS
@given(st.lists(st.binary(), max_size=6))
def test_binary_sets(values: list) -> None:
    av = to_attribute_value(values, "BS")
    assert av == ({"BS": sorted(set(values))} if values else None)


@pytest.mark.parametrize("value,type_", [('["a", null]', "SS"), ('{"a": 1}', "SS"), ('[[1]]', "NS"),
                                         ('["x"]', "NS"), ("a,b", "SS")])
def test_bad_sets_reject(value: str, type_: str) -> None:
    assert rejected(value, type_).reason in {"invalid_set", "not_a_number", "invalid_json"}


# ----------------------------------------------------------------------------- reading back


def test_python_value_and_item_key() -> None:
    item: dict[str, Any] = {"PK": {"S": "a"}, "SK": {"N": "1.0"}, "m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": True}]}}},
            "ss": {"SS": ["x"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x00"]}}
    assert item_key(item, ["PK", "SK"]) == item_key({"PK": {"S": "a"}, "SK": {"N": "1"}}, ["PK", "SK"])
    assert hash(item_key(item, ["PK", "SK"])) == hash(("a", Decimal(1)))
    assert item_python(item) == {"PK": "a", "SK": Decimal(1), "m": {"l": [None, True]}, "ss": {"x"},
                                       "ns": {Decimal(1), Decimal("2.5")}, "bs": {b"\x00"}}
    with pytest.raises(KeyError):
        item_key(item, ["PK", "nope"])


@SETTINGS
@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9, max_value=10**9),
       st.text(min_size=1))
def test_to_item_then_python_value_round_trips(d: Decimal, key: str) -> None:
    specs = [AttributeSpec("PK", "S", key=True), AttributeSpec("amount", "N")]
    item = to_item({"PK": key, "amount": d}, specs)
    assert item_python(item) == {"PK": key, "amount": d}


# ----------------------------------------------------------------------------- encodings (compile/types.py)


def test_set_split_turns_a_mysql_set_into_its_members() -> None:
    assert to_attribute_value("b,a,c d", "SS", "set-split") == {"SS": ["a", "b", "c d"]}
    assert to_attribute_value(b"quiet,wifi", "SS", "set-split") == {"SS": ["quiet", "wifi"]}
    assert to_attribute_value({"x", "y"}, "SS", "set-split") == {"SS": ["x", "y"]}   # a driver that split it
    assert to_attribute_value("", "SS", "set-split") is None                          # the empty set: absent
    assert to_attribute_value(None, "SS", "set-split") is None
    assert to_attribute_value("10,2,1", "NS", "set-split") == {"NS": ["1", "2", "10"]}
    with pytest.raises(RowRejected) as exc:
        to_attribute_value("a,c d", "SS")   # without the encoding: JSON array text, as before
    assert exc.value.reason == "invalid_json"


def test_specs_carry_the_encoding_and_the_sort_key_role() -> None:
    specs = ItemSpec.of("v", "T", [AttributeSpec("PK", "S"), AttributeSpec("SK", "S"),
                                   AttributeSpec("tags", "SS", encoding="set-split")], ["PK", "SK"]).attributes
    assert specs[1].max_key_bytes == 1024 and specs[0].max_key_bytes == 2048
    assert specs[2].encoding == "set-split"
    item = to_item({"PK": "p", "SK": "s", "tags": "b,a"}, specs)
    assert item["tags"] == {"SS": ["a", "b"]}
    with pytest.raises(ValueError, match="does not apply to S"):
        AttributeSpec("x", "S", encoding="set-split")
    with pytest.raises(ValueError, match="does not apply"):
        AttributeSpec("x", "SS", encoding="rot13")
