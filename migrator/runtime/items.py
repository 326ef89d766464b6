"""MySQL row -> DynamoDB item: the one mapping shared by the Glue job and by validation.

What each attribute is (type, key role, encoding) comes from the item spec (spec.py), decided
by the plan; reading items back for comparisons is decode.py.

Items come out in the shape boto3's low-level client takes and returns ("DynamoDB JSON"
such as ``{"S": "x"}``, ``{"N": "1.50"}``), with one boto3 convention: binary values
(``B``, ``BS``) are ``bytes``; boto3 base64-encodes them on the wire. A SQL NULL (None)
means the attribute is absent from the item.

Encoding by the attribute's DynamoDB type (anything else rejects the row):

S     str as is ("" and "null" stay); int -> decimal text; bool -> "true"/"false";
      Decimal/float -> number text (see N, without its limits); bytes -> UTF-8 text;
      datetime -> "YYYY-MM-DDTHH:MM:SS.mmmZ" (naive = UTC, because the source session runs
      at +00:00; aware values are converted; sub-milliseconds truncated);
      date -> "YYYY-MM-DD"; time/timedelta (MySQL TIME) -> "[-]HH:MM:SS" (+ ".mmm" when
      the milliseconds are not zero; hours may exceed 24).
N     int, Decimal, bool (1/0), float (via repr, so 0.1 stays 0.1), numeric text/bytes
      (surrounding whitespace ignored). Exact text, never through float: fixed-point
      while the decimal exponent is in [-20, 39] (the source scale is kept: 1.50 ->
      "1.50"), scientific ("1.5E+100") outside it; -0 becomes 0. NaN, infinities,
      non-numeric text, more than 38 significant digits or a magnitude outside
      1E-130 .. 9.99..E+125 reject the row (DynamoDB would refuse the whole batch).
B     bytes as is; str -> its UTF-8 bytes.
BOOL  True/False, 0/1 (int, Decimal, float), "0"/"1"/"true"/"false" (any case),
      BIT(1) bytes b"\\x00"/b"\\x01". Any other value (2, "yes") rejects: never guess.
NULL  always {"NULL": True}, whatever the value (even SQL NULL).
M, L  JSON text (str/bytes) or an already parsed dict/list. M needs an object, L an
      array. Nested: null -> NULL, true/false -> BOOL, numbers -> N (exact, same limits),
      strings -> S, objects -> M, arrays -> L; at most 32 levels.
SS, NS, BS  a JSON array text or a Python list/tuple/set. Elements convert as S, N, B
      (null elements reject the row). Duplicates are removed (NS by numeric value),
      elements sorted (code points, numeric value, bytes) for determinism, and an empty
      set is absent (DynamoDB has no empty sets). Comma-separated text is not accepted:
      commas inside values make it ambiguous, except under the set-split encoding.

Encodings (``AttributeSpec.encoding``) are decided at plan time (compile/types.py) for what
the view cannot express; the only one applied here is ``set-split``: a MySQL SET value
("a,c" text, bytes or an already split set) becomes the SS/NS of its members (SET members
cannot contain commas; "" is the empty set, so the attribute is absent).

Keys: a table key attribute (``key=True``) that is NULL or empty ("" or b"") rejects the
row; so does a key longer than DynamoDB allows: 2,048 bytes for a partition key, 1,024 for
a sort key (``sort_key=True``: of the table or of an index), key_too_long. A GSI key
attribute (``index_key=True``) may be NULL (the item is then simply not in that sparse
index) but not empty, since DynamoDB refuses empty index keys. A row whose item would
exceed 400 KB is rejected too. Each is a counted rejected row: DynamoDB would refuse the
whole batch carrying it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence

from migrator.runtime import mysql_time
from migrator.runtime.spec import ENCODINGS, SET_SPLIT, AttributeSpec

# Reason codes of RowRejected (stable: they key the load result's rejected_by_reason).
KEY_NULL = "key_null"
KEY_EMPTY = "key_empty"
KEY_TOO_LONG = "key_too_long"
NOT_A_NUMBER = "not_a_number"
NUMBER_TOO_PRECISE = "number_too_precise"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
NOT_BOOLEAN = "not_boolean"
INVALID_JSON = "invalid_json"
WRONG_JSON_TYPE = "wrong_json_type"
TOO_DEEP = "too_deep"
INVALID_SET = "invalid_set"
NOT_UTF8 = "not_utf8"
INVALID_TEMPORAL = "invalid_temporal"
UNSUPPORTED_VALUE = "unsupported_value"
ITEM_TOO_LARGE = "item_too_large"
VERSION_NULL = "version_null"
ITEM_REFUSED = "item_refused"   # DynamoDB refused the item for a reason no check here predicted (writer)

MAX_DIGITS = 38
MIN_EXPONENT = -130          # smallest positive magnitude 1E-130
MAX_EXPONENT = 125           # largest magnitude 9.99..E+125 (38 digits)
FIXED_NOTATION = (-20, 39)   # adjusted exponents written without an exponent
MAX_DEPTH = 32
MAX_ITEM_BYTES = 400 * 1024

_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")  # ASCII digits only
_TRUE_TEXT = frozenset({"1", "true"})
_FALSE_TEXT = frozenset({"0", "false"})
_MILLISECOND = dt.timedelta(milliseconds=1)
_BYTES = (bytes, bytearray, memoryview)


class RowRejected(Exception):
    """A row that cannot become a valid item; `reason` is a stable code, `attribute` the culprit.

    The message never contains the offending value: rows may hold personal data.
    """

    def __init__(self, reason: str, attribute: Optional[str] = None, detail: str = "") -> None:
        self.reason = reason
        self.attribute = attribute
        self.detail = detail
        where = f"attribute {attribute!r}" if attribute else "the item"
        super().__init__(f"{where}: {reason}" + (f" ({detail})" if detail else ""))


# ----------------------------------------------------------------------------- numbers


def _significant(d: Decimal) -> str:
    """The significant digits of a finite non-zero Decimal (DynamoDB trims both ends)."""
    return "".join(str(x) for x in d.as_tuple().digits).strip("0")


def _format_number(d: Decimal) -> str:
    """Exact text of a finite Decimal, fixed-point for ordinary magnitudes, else scientific."""
    if d.is_zero():
        return format(d.copy_abs(), "f")
    adjusted = d.adjusted()
    if FIXED_NOTATION[0] <= adjusted <= FIXED_NOTATION[1]:
        return format(d, "f")
    digits = _significant(d)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if d.is_signed() else ''}{mantissa}E{adjusted:+d}"


def _parse_number_text(text: str) -> Decimal:
    stripped = text.strip()
    if not _NUMBER_TEXT.match(stripped):
        raise RowRejected(NOT_A_NUMBER, detail="text is not a decimal number")
    return Decimal(stripped)


def _to_decimal(value: Any) -> Decimal:
    """Any numeric value as an exact Decimal (floats through repr, so 0.1 stays 0.1)."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RowRejected(NOT_A_NUMBER, detail="NaN or infinity")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RowRejected(NOT_A_NUMBER, detail="NaN or infinity")
        return Decimal(repr(value))
    if isinstance(value, str):
        return _parse_number_text(value)
    if isinstance(value, _BYTES):
        return _parse_number_text(_utf8(value))
    raise RowRejected(NOT_A_NUMBER, detail=f"a {type(value).__name__} is not a number")


def number_text(value: Any) -> str:
    """The N text of a value, within DynamoDB's limits (else RowRejected)."""
    d = _to_decimal(value)
    if not d.is_zero():
        if len(_significant(d)) > MAX_DIGITS:
            raise RowRejected(NUMBER_TOO_PRECISE, detail=f"more than {MAX_DIGITS} significant digits")
        if not MIN_EXPONENT <= d.adjusted() <= MAX_EXPONENT:
            raise RowRejected(NUMBER_OUT_OF_RANGE, detail="magnitude outside 1E-130 .. 9.99E+125")
    return _format_number(d)


# ----------------------------------------------------------------------------- text


def _utf8(value: Any) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise RowRejected(NOT_UTF8, detail="bytes are not valid UTF-8") from None


def iso_datetime(value: dt.datetime) -> str:
    """ISO-8601 UTC with milliseconds and Z; naive values are UTC (sessions run at +00:00)."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        try:
            value = value.astimezone(dt.timezone.utc)
        except OverflowError:
            raise RowRejected(INVALID_TEMPORAL, detail="datetime outside years 1..9999 in UTC") from None
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (value.year, value.month, value.day, value.hour,
                                                    value.minute, value.second, value.microsecond // 1000)


def string_text(value: Any) -> str:
    """The S text of a non-NULL value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(Decimal(value)) if value.bit_length() > 10_000 else str(value)
    if isinstance(value, (Decimal, float)):
        return _format_number(_to_decimal(value))
    if isinstance(value, _BYTES):
        return _utf8(value)
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date):
        return "%04d-%02d-%02d" % (value.year, value.month, value.day)
    if isinstance(value, (dt.time, dt.timedelta)):
        return mysql_time.time_text(value, digits=3)
    raise RowRejected(UNSUPPORTED_VALUE, detail=f"a {type(value).__name__} cannot become S")


def binary_value(value: Any) -> bytes:
    if isinstance(value, _BYTES):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise RowRejected(UNSUPPORTED_VALUE, detail=f"a {type(value).__name__} cannot become B")


def bool_value(value: Any) -> bool:
    """MySQL booleans are 0/1 (TINYINT or BIT(1)); anything else is refused, not guessed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        if value == 0 or value == 1:
            return value == 1
        raise RowRejected(NOT_BOOLEAN, detail="number other than 0 or 1")
    if isinstance(value, _BYTES):
        raw = bytes(value)
        if raw in (b"\x00", b"\x01"):
            return raw == b"\x01"
        value = _utf8(raw)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT or text in _FALSE_TEXT:
            return text in _TRUE_TEXT
        raise RowRejected(NOT_BOOLEAN, detail="text other than 0, 1, true, false")
    raise RowRejected(NOT_BOOLEAN, detail=f"a {type(value).__name__} is not a boolean")


# ----------------------------------------------------------------------------- documents and sets


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(value: Any) -> Any:
    """JSON text (numbers as exact Decimal/int) or an already parsed dict/list."""
    if isinstance(value, (dict, list, tuple)):
        return value
    if isinstance(value, _BYTES):
        value = _utf8(value)
    if not isinstance(value, str):
        raise RowRejected(INVALID_JSON, detail=f"a {type(value).__name__} is not JSON text")
    try:
        return json.loads(value, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise RowRejected(TOO_DEEP, detail="JSON nested too deeply") from None
    except ValueError as exc:
        raise RowRejected(INVALID_JSON, detail=str(exc).split(":")[0]) from None


def document_value(value: Any, depth: int = 1, path: str = "$") -> Dict[str, Any]:
    """A parsed JSON value as an attribute value, recursively."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        try:
            return {"N": number_text(value)}
        except RowRejected as exc:
            raise RowRejected(exc.reason, detail=f"at {path}: {exc.detail}") from None
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, _BYTES):
        return {"B": bytes(value)}
    if isinstance(value, (dict, list, tuple)) and depth > MAX_DEPTH:
        raise RowRejected(TOO_DEEP, detail=f"at {path}: more than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise RowRejected(UNSUPPORTED_VALUE, detail=f"at {path}: map keys must be strings")
            out[k] = document_value(v, depth + 1, f"{path}.{k}")
        return {"M": out}
    if isinstance(value, (list, tuple)):
        return {"L": [document_value(v, depth + 1, f"{path}[{i}]") for i, v in enumerate(value)]}
    raise RowRejected(UNSUPPORTED_VALUE, detail=f"at {path}: a {type(value).__name__} is not a JSON value")


def _set_elements(value: Any) -> List[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        elements = list(value)
    else:
        parsed = parse_json(value)
        if not isinstance(parsed, list):
            raise RowRejected(INVALID_SET, detail="a set needs a JSON array")
        elements = parsed
    if any(e is None for e in elements):
        raise RowRejected(INVALID_SET, detail="null element in a set")
    if any(isinstance(e, (dict, list, tuple)) for e in elements):
        raise RowRejected(INVALID_SET, detail="nested element in a set")
    return elements


def set_value(value: Any, kind: str) -> Optional[Dict[str, Any]]:
    """SS/NS/BS: deduplicated, sorted; None (absent) when empty."""
    elements = _set_elements(value)
    if not elements:
        return None
    if kind == "SS":
        return {"SS": sorted({string_text(e) for e in elements})}
    if kind == "BS":
        return {"BS": sorted({binary_value(e) for e in elements})}
    by_value: Dict[Decimal, str] = {}
    for e in elements:
        text = number_text(e)
        d = Decimal(text)
        by_value[d] = min(text, by_value.get(d, text))
    return {"NS": [by_value[d] for d in sorted(by_value)]}


# ----------------------------------------------------------------------------- attributes and items


def set_members(value: Any) -> List[Any]:
    """The members of a MySQL SET value: "a,c" (text or bytes) split on commas, "" none; a driver
    that already split it (a Python set) gives them as they are."""
    if isinstance(value, (set, frozenset, list, tuple)):
        return list(value)
    text = string_text(value) if isinstance(value, (str,) + _BYTES) else None
    if text is None:
        raise RowRejected(INVALID_SET, detail=f"a {type(value).__name__} is not a SET value")
    return text.split(",") if text else []


def to_attribute_value(value: Any, type: str, encoding: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """One value as a DynamoDB attribute value; None (absent) for SQL NULL. May raise RowRejected."""
    if type == "NULL":
        return {"NULL": True}
    if value is None:
        return None
    if encoding == SET_SPLIT and type in ("SS", "NS"):
        return set_value(set_members(value), type)
    if encoding is not None and encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}")
    if type == "S":
        return {"S": string_text(value)}
    if type == "N":
        return {"N": number_text(value)}
    if type == "B":
        return {"B": binary_value(value)}
    if type == "BOOL":
        return {"BOOL": bool_value(value)}
    if type in ("M", "L"):
        parsed = parse_json(value)
        wanted = dict if type == "M" else (list, tuple)
        if not isinstance(parsed, wanted):
            raise RowRejected(WRONG_JSON_TYPE, detail="M needs a JSON object" if type == "M"
                              else "L needs a JSON array")
        return document_value(parsed)
    if type in ("SS", "NS", "BS"):
        return set_value(value, type)
    raise ValueError(f"unknown DynamoDB type {type!r}")


def _value_size(av: Mapping[str, Any]) -> int:
    """Approximate stored size per the DynamoDB item-size rules (an upper bound in practice)."""
    (kind, v), = av.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        return (len(_significant(Decimal(v))) + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(e.encode("utf-8")) for e in v)
    if kind == "NS":
        return sum(_value_size({"N": e}) for e in v)
    if kind == "BS":
        return sum(len(e) for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + _value_size(e) + 1 for k, e in v.items())
    return 3 + sum(_value_size(e) + 1 for e in v)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode("utf-8")) + _value_size(av) for name, av in item.items())


def _check_key(spec: AttributeSpec, av: Optional[Mapping[str, Any]]) -> None:
    if av is None:
        if spec.key:
            raise RowRejected(KEY_NULL, spec.name, "a table key attribute is NULL")
        return
    size = _value_size(av)
    if size == 0 and spec.type in ("S", "B"):
        raise RowRejected(KEY_EMPTY, spec.name, "a key attribute is empty")
    limit = spec.max_key_bytes
    if size > limit:
        role = "sort" if spec.sort_key else "partition"
        raise RowRejected(KEY_TOO_LONG, spec.name, f"a {role} key attribute is longer than {limit} bytes")


def to_item(row: Mapping[str, Any], specs: Sequence[AttributeSpec]) -> Dict[str, Dict[str, Any]]:
    """The item of one row (column name = attribute name); RowRejected when it cannot be loaded.

    Key attributes are converted first, so a row with a NULL key always reports key_null.
    A column missing from the row counts as NULL.
    """
    item: Dict[str, Dict[str, Any]] = {}
    ordered = [s for s in specs if s.key or s.index_key] + [s for s in specs if not (s.key or s.index_key)]
    for spec in ordered:
        try:
            av = to_attribute_value(row.get(spec.name), spec.type, spec.encoding)
        except RowRejected as exc:
            raise RowRejected(exc.reason, spec.name, exc.detail) from None
        if spec.key or spec.index_key:
            _check_key(spec, av)
        if av is not None:
            item[spec.name] = av
    if item_size(item) > MAX_ITEM_BYTES:
        raise RowRejected(ITEM_TOO_LARGE, None, f"more than {MAX_ITEM_BYTES} bytes")
    return {s.name: item[s.name] for s in specs if s.name in item}


def load_item(row: Mapping[str, Any], specs: Sequence[AttributeSpec],
              version_column: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
    """The item a load writes for `row`: to_item, and under version_guarded a version in every row
    (an unversioned item could never be guarded). The load, the sample and the full verify share
    it, so what validation expects is what the load does."""
    item = to_item(row, specs)
    if version_column is not None and version_column not in item:
        raise RowRejected(VERSION_NULL, version_column, "a version_guarded load needs a version in every row")
    return item
