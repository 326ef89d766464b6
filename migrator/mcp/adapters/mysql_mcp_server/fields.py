"""A query's columns as the adapter reads them: the facade's name and kind, the SQL type, and
how each value travels inside JSON_ARRAY so that it decodes exactly as the built-in server's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from migrator.mysql_schema import Column
from migrator.protocol import decode_cell

#: the kind of a text column (and of a column whose type is not one of `_SQL_TYPES`)
STRING = "string"

_SQL_TYPES: dict[str, str] = {
    **dict.fromkeys(("tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"), "integer"),
    **dict.fromkeys(("decimal", "numeric"), "decimal"), **dict.fromkeys(("float", "double", "real"), "float"),
    "date": "date", "datetime": "datetime", "timestamp": "datetime", "time": "time", "json": "json",
    **dict.fromkeys(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit"), "binary"),
}


def column_kind(data_type: str) -> str:
    return _SQL_TYPES.get(data_type.lower(), STRING)


@dataclass(frozen=True)
class Field:
    """One column of a query as this adapter reads it: the facade's name and kind, and the SQL type."""
    name: str
    kind: str
    data_type: str = ""
    hidden: bool = False  # an ORDER BY value the adapter added; never returned

    @property
    def column(self) -> Column:
        return Column(self.name, self.kind)

    @property
    def is_text(self) -> bool:
        return self.kind in ("string", "json", "binary")


@dataclass(frozen=True)
class KnownRead:
    """A query whose column kinds are known (information_schema, variables), so it needs no probe view."""
    sql: str
    columns: Sequence[tuple[str, str]]   # (name, kind) per output column
    key: Sequence[str] | None = None     # keyset order, for reads that may span pages
    hidden: Sequence[str] = ()           # columns read for the key only

    @property
    def fields(self) -> list[Field]:
        return [Field(n, t, "varchar" if t == STRING else t, hidden=n in self.hidden) for n, t in self.columns]


def select_expr(col: str, f: Field) -> str:
    """How one value travels inside JSON_ARRAY so that it decodes exactly."""
    if f.data_type.lower() == "bit":
        return f"HEX(CAST({col} AS BINARY))"  # HEX() of a BIT is the hex of its number, not of its bytes
    if f.kind == "binary":
        return f"HEX({col})"
    if f.kind == "datetime":
        return f"DATE_FORMAT({col}, '%Y-%m-%d %H:%i:%s.%f')"
    if f.kind in ("string", "json"):
        # MariaDB embeds a JSON column's value as JSON (not as its text); CAST keeps the text exactly.
        return f"CAST({col} AS CHAR)"
    return col


def decode_json_cell(f: Field, value: Any) -> Any:
    """One JSON_ARRAY value (as `select_expr` sent it) as the built-in adapter would return it."""
    if value is None:
        return None
    if f.kind == "binary":
        return bytes.fromhex(value)
    if f.kind == "time":
        whole, _, frac = str(value).partition(".")
        frac = frac.ljust(6, "0")[:6]
        return whole + (f".{frac}" if frac.strip("0") else "")
    if f.kind in ("string", "json") and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return decode_cell(f.kind, value)
