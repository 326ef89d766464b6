"""The database's tables, columns, keys and views, read from information_schema.

The reads page by binary names (information_schema compares names case-insensitively:
`Casey` and `casey` are two tables) and their rows become the document the built-in server
returns, so both adapters describe a schema through `schema_from_doc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrator.mysql_schema import schema_from_doc
from migrator.mcp.adapters.mysql_mcp_server.fields import STRING as _T
from migrator.mcp.adapters.mysql_mcp_server.fields import KnownRead
from migrator.mysql_schema import SchemaInfo, json_check_column

Row = Mapping[str, Any]

TABLE_NAMES = KnownRead(
    "SELECT TABLE_NAME AS n, TABLE_TYPE AS t, CAST(TABLE_NAME AS BINARY) AS nb "
    "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    [("n", _T), ("t", _T), ("nb", "binary")], key=["nb"], hidden=["nb"])

TABLES = KnownRead(
    "SELECT TABLE_NAME AS n, TABLE_TYPE AS t, ENGINE AS e, TABLE_ROWS AS r, CAST(TABLE_NAME AS BINARY) AS nb "
    "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    [("n", _T), ("t", _T), ("e", _T), ("r", "integer"), ("nb", "binary")], key=["nb"], hidden=["nb"])

COLUMNS = KnownRead(
    "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, ORDINAL_POSITION AS o, DATA_TYPE AS d, COLUMN_TYPE AS ct, "
    "IS_NULLABLE AS nl, COLUMN_KEY AS k, CAST(TABLE_NAME AS BINARY) AS tb "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
    [("t", _T), ("c", _T), ("o", "integer"), ("d", _T), ("ct", _T), ("nl", _T), ("k", _T), ("tb", "binary")],
    key=["tb", "o"], hidden=["tb"])

KEYS = KnownRead(
    "SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS n, c.CONSTRAINT_TYPE AS ty, k.COLUMN_NAME AS c, "
    "k.ORDINAL_POSITION AS o, k.REFERENCED_TABLE_NAME AS rt, k.REFERENCED_COLUMN_NAME AS rc, "
    "CAST(k.TABLE_NAME AS BINARY) AS tb, CAST(k.CONSTRAINT_NAME AS BINARY) AS nb, "
    "CAST(c.CONSTRAINT_TYPE AS BINARY) AS tyb "
    "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS c "
    # information_schema compares names case-insensitively: `Casey` and `casey` are two tables
    "ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND CAST(c.TABLE_NAME AS BINARY) = CAST(k.TABLE_NAME AS BINARY) "
    "AND CAST(c.CONSTRAINT_NAME AS BINARY) = CAST(k.CONSTRAINT_NAME AS BINARY) WHERE k.TABLE_SCHEMA = DATABASE()",
    [("t", _T), ("n", _T), ("ty", _T), ("c", _T), ("o", "integer"), ("rt", _T), ("rc", _T), ("tb", "binary"),
     ("nb", "binary"), ("tyb", "binary")], key=["tb", "nb", "tyb", "o"], hidden=["tb", "nb", "tyb"])

VIEWS = KnownRead(
    "SELECT TABLE_NAME AS n, VIEW_DEFINITION AS d, CAST(TABLE_NAME AS BINARY) AS nb "
    "FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
    [("n", _T), ("d", _T), ("nb", "binary")], key=["nb"], hidden=["nb"])

#: MariaDB only: its JSON columns are LONGTEXT with a JSON_VALID check
JSON_CHECKS = KnownRead(
    "SELECT TABLE_NAME AS t, CHECK_CLAUSE AS cc, CAST(TABLE_NAME AS BINARY) AS tb, "
    "CAST(CONSTRAINT_NAME AS BINARY) AS nb FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE()", [("t", _T), ("cc", _T), ("tb", "binary"), ("nb", "binary")],
    key=["tb", "nb"], hidden=["tb", "nb"])


def table_kind(table_type: str) -> str:
    """information_schema's TABLE_TYPE as the facade says it."""
    return "view" if table_type == "VIEW" else "table"


def describe(database: str, trows: Sequence[Row], crows: Sequence[Row], krows: Sequence[Row], vrows: Sequence[Row],
             jrows: Sequence[Row], tables: Sequence[str] | None) -> SchemaInfo:
    """The schema those reads describe (only `tables` and the views among them, when given)."""
    json_columns = {(r["t"], json_check_column(r["cc"])) for r in jrows}
    wanted = set(tables) if tables else None
    doc: dict[str, Any] = {"database": database, "tables": [], "views": []}
    by_name: dict[str, dict[str, Any]] = {}
    for r in trows:
        if wanted is None or r["n"] in wanted:
            t = {"name": r["n"], "type": table_kind(r["t"]), "row_estimate": r["r"],
                 "columns": [], "primary_key": [], "foreign_keys": []}
            by_name[r["n"]] = t
            doc["tables"].append(t)
    for r in crows:
        if r["t"] in by_name:
            is_json = r["d"] == "longtext" and (r["t"], r["c"]) in json_columns   # MariaDB's JSON
            by_name[r["t"]]["columns"].append({"name": r["c"], "data_type": "json" if is_json else r["d"],
                                               "column_type": "json" if is_json else r["ct"],
                                               "nullable": r["nl"] == "YES", "key": r["k"]})
    fks: dict[tuple[str, str], dict[str, Any]] = {}
    for r in krows:
        owner = by_name.get(r["t"])
        if owner is None:
            continue
        if r["ty"] == "PRIMARY KEY":
            owner["primary_key"].append(r["c"])
        elif r["ty"] == "FOREIGN KEY":
            fk = fks.setdefault((r["t"], r["n"]), {"name": r["n"], "columns": [], "referenced_table": r["rt"],
                                                   "referenced_columns": []})
            if not fk["columns"]:
                owner["foreign_keys"].append(fk)
            fk["columns"].append(r["c"])
            fk["referenced_columns"].append(r["rc"])
    doc["views"] = [{"name": r["n"], "definition": r["d"]} for r in vrows if wanted is None or r["n"] in wanted]
    return schema_from_doc(doc)
