"""How a MySQL cell travels between the built-in MySQL server and its clients.

A query result names each column's kind; the cell is JSON and the kind says how to read it:

    integer   JSON number                     decimal   exact text ("1.50"), never a float
    float     JSON number                     string    text
    datetime  ISO-8601, UTC session           date      "YYYY-MM-DD"
    time      "[-]HH:MM:SS[.ffffff]"          binary    base64 (BIT too)
    json      text                            null, unknown: as sent

`encode_cell` is the server's half, `decode_cell` the client's.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any

from migrator.runtime.mysql_time import time_text

__all__ = ["KINDS", "decode_cell", "encode_cell", "time_text"]

KINDS = ("integer", "decimal", "float", "string", "binary", "date", "datetime", "time", "json", "null", "unknown")


def encode_cell(value: Any) -> Any:
    """One cell as JSON (what pymysql returned; the column's kind says how to read it back)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return time_text(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def decode_cell(kind: str, value: Any) -> Any:
    """A cell as Python: exact Decimal, datetime, bytes — never a float for a DECIMAL."""
    if value is None:
        return None
    if kind == "integer":
        return int(value)
    if kind == "decimal":
        return decimal.Decimal(str(value))
    if kind == "float":
        return float(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value).replace(" ", "T"))
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "binary":
        return base64.b64decode(value)
    return value


def json_attribute_value(value: Any) -> Any:
    """A DynamoDB-JSON attribute value fit for JSON: B and BS bytes as base64 text (M, L recursed)."""
    if not isinstance(value, dict) or len(value) != 1:
        return value
    (kind, inner), = value.items()
    if kind == "B" and isinstance(inner, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(inner)).decode("ascii")}
    if kind == "BS" and isinstance(inner, list):
        return {"BS": [base64.b64encode(bytes(v)).decode("ascii") if isinstance(v, (bytes, bytearray)) else v
                       for v in inner]}
    if kind == "M" and isinstance(inner, dict):
        return {"M": {k: json_attribute_value(v) for k, v in inner.items()}}
    if kind == "L" and isinstance(inner, list):
        return {"L": [json_attribute_value(v) for v in inner]}
    return value


def json_item(item: Any) -> dict[str, Any]:
    return {name: json_attribute_value(value) for name, value in dict(item).items()}
