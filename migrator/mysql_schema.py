"""What migrator knows about a MySQL source: the server, its schema, a user's grants and
the rows of a query, as typed values.

The MySQL adapters (`migrator.mcp.adapters`) build them; the compiler reads the schema to
type-check views and joins. A bottom module: it imports nothing of migrator, so the
compiler does not depend on the MCP client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: the server's own databases: never granted to the sandbox user, never migrated from
SYSTEM_DATABASES = frozenset({"mysql", "information_schema", "performance_schema", "sys"})

_JSON_CHECK = re.compile(r"json_valid\(`((?:[^`]|``)+)`\)", re.IGNORECASE)


def json_check_column(check_clause: str | None) -> str | None:
    """The column a MariaDB JSON check guards (`json_valid(`col`)`), else None. MariaDB stores a
    JSON column as LONGTEXT with that check; the schema readers report such a column as MySQL
    does (data_type "json"), so the type table (compile/types.py) treats both servers alike."""
    match = _JSON_CHECK.fullmatch((check_clause or "").strip())
    return match.group(1).replace("``", "`") if match else None


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the cell kind: one of migrator.protocol.cells.KINDS


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def dicts(self) -> list[dict[str, Any]]:
        names = self.names
        return [dict(zip(names, row)) for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows and self.rows[0] else None


@dataclass(frozen=True)
class ServerInfo:
    version: str
    flavour: str  # mysql | mariadb
    version_number: tuple[int, ...]
    sql_mode: str
    only_full_group_by: bool
    time_zone: str
    database: str
    current_user: str


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    data_type: str
    column_type: str
    nullable: bool
    key: str = ""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    name: str
    kind: str  # table | view
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_estimate: int | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class ViewInfo:
    name: str
    definition: str


@dataclass(frozen=True)
class SchemaInfo:
    database: str
    tables: Mapping[str, TableInfo]
    views: Mapping[str, ViewInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Grants:
    user: str
    privileges: frozenset[str]

    @property
    def can_select(self) -> bool:
        return "SELECT" in self.privileges

    @property
    def can_create_view(self) -> bool:
        return "CREATE VIEW" in self.privileges

    @property
    def can_drop(self) -> bool:
        return "DROP" in self.privileges


def server_info_from_doc(d: Mapping[str, Any]) -> ServerInfo:
    """The `server_info` tool's answer as the typed ServerInfo (the one reader of that document)."""
    return ServerInfo(version=d["version"], flavour=d["flavour"], version_number=tuple(d["version_number"]),
                      sql_mode=d["sql_mode"], only_full_group_by=d["only_full_group_by"], time_zone=d["time_zone"],
                      database=d["database"] or "", current_user=d["current_user"])


def schema_from_doc(doc: Mapping[str, Any]) -> SchemaInfo:
    """The schema from its JSON form (the built-in MySQL server's `describe_schema`, and saved schemas)."""
    tables = {}
    for t in doc["tables"]:
        tables[t["name"]] = TableInfo(
            name=t["name"], kind=t["type"], row_estimate=t.get("row_estimate"),
            columns=tuple(ColumnInfo(c["name"], c["data_type"], c["column_type"], bool(c["nullable"]), c.get("key") or "")
                          for c in t["columns"]),
            primary_key=tuple(t.get("primary_key", ())),
            foreign_keys=tuple(ForeignKey(f["name"], tuple(f["columns"]), f["referenced_table"],
                                          tuple(f["referenced_columns"])) for f in t.get("foreign_keys", ())))
    views = {v["name"]: ViewInfo(v["name"], v.get("definition") or "") for v in doc.get("views", ())}
    return SchemaInfo(database=doc["database"], tables=tables, views=views)
