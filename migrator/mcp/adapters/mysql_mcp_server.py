"""Adapter for the workshop's MySQL server: PyPI `mysql-mcp-server` 0.4.4, tool `execute_sql`.

That server answers in unquoted comma-separated text (NULL prints as nothing, a comma in
a value shifts the columns), refuses any `;` even inside a string literal, opens a new
connection per call and reports errors as ordinary text. So this adapter:

- asks for JSON instead: `SELECT JSON_ARRAYAGG(JSON_OBJECT(...))` over the wanted rows;
  the one cell comes back intact because JSON escapes commas and newlines;
- pages under MariaDB's silent 1 MiB cut (`group_concat_max_len`) by keyset pagination
  (or a row number over all columns when no key is given), halving a page that came back
  cut, with a `ROW_NUMBER()` so the SQL order survives the aggregation;
- learns an arbitrary query's column names and types from a short-lived probe view
  (`information_schema.COLUMNS`), so values decode like the built-in server's;
- writes string literals as hex (`X'..'`) so a `;` in data never trips the server;
- recognises its error texts and maps them onto error codes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from mcp.types import CallToolResult

from migrator.mcp.adapters.base import Adapter, result_text
from migrator.mcp.adapters.builtin import quote_ident, schema_from_doc
from migrator.mcp.client import CallOptions
from migrator.mcp.errors import ErrorCode, ToolError
from migrator.mcp.facades import OPERATIONS, Column, Grants, QueryResult, SchemaInfo, ServerInfo, decode_cell
from migrator.servers.mysql import effective_privileges

_ERROR_PATTERNS: tuple[tuple[re.Pattern[str], ErrorCode], ...] = tuple((re.compile(p, re.I), c) for p, c in (
    (r"access denied|command denied|not allowed to|authentication plugin", ErrorCode.ACCESS_DENIED),
    (r"can't connect|cannot connect|lost connection|gone away|connection refused|unknown mysql server host|"
     r"timed out|2003|2013", ErrorCode.UNAVAILABLE),
    (r"doesn't exist|unknown database|unknown table", ErrorCode.NOT_FOUND),
    (r"already exists", ErrorCode.ALREADY_EXISTS),
    (r"deadlock|lock wait timeout|too many connections", ErrorCode.THROTTLED),
    (r"max_statement_time|maximum statement execution time", ErrorCode.TIMEOUT),
))
_ERROR_PREFIXES = ("Error executing query:", "Error calling tool", "Only single statements are supported")

#: information_schema reads whose column types we know, so no probe is needed.
_T = "string"


def recognise(result: CallToolResult) -> str:
    """The text of a successful answer, or a ToolError with a code for a failed one."""
    text = result_text(result)
    stripped = text.strip()
    if result.isError or stripped.startswith(_ERROR_PREFIXES):
        message = stripped.split(":", 1)[1].strip() if stripped.startswith("Error") and ":" in stripped else stripped
        for pattern, code in _ERROR_PATTERNS:
            if pattern.search(message):
                raise ToolError(code, message[:500])
        raise ToolError(ErrorCode.INVALID, message[:500])
    return text


def sql_literal(value: Any) -> str:
    """A value as a MySQL literal that contains no ';' and needs no escaping."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return f"'{value.isoformat(sep=' ') if isinstance(value, dt.datetime) else value.isoformat()}'"
    if isinstance(value, (bytes, bytearray)):
        return f"X'{bytes(value).hex()}'" if value else "''"
    text = str(value)
    return f"CONVERT(X'{text.encode('utf-8').hex()}' USING utf8mb4)" if text else "''"


def inline_params(sql: str, params: Sequence[Any] | None) -> str:
    """pymysql-style `%s` placeholders filled client-side (the server takes no parameters)."""
    if not params:
        return sql
    return sql % tuple(sql_literal(p) for p in params)


def hex_string_literals(sql: str) -> str:
    """Rewrite string literals that contain ';' as hex, so the server's ';' guard lets them through."""
    if ";" not in sql:
        return sql
    from sqlglot.dialects.mysql import MySQL as Dialect
    from sqlglot.tokens import TokenType

    out, last = [], 0
    for tok in Dialect().tokenize(sql):
        if tok.token_type == TokenType.STRING and ";" in tok.text:
            out.append(sql[last:tok.start])
            out.append(sql_literal(tok.text))
            last = tok.end + 1
    out.append(sql[last:])
    return "".join(out)


_SQL_TYPES: dict[str, str] = {
    **dict.fromkeys(("tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"), "integer"),
    **dict.fromkeys(("decimal", "numeric"), "decimal"), **dict.fromkeys(("float", "double", "real"), "float"),
    "date": "date", "datetime": "datetime", "timestamp": "datetime", "time": "time", "json": "json",
    **dict.fromkeys(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit"), "binary"),
}


def column_kind(data_type: str) -> str:
    return _SQL_TYPES.get(data_type.lower(), "string")


def decode_json_cell(kind: str, value: Any) -> Any:
    """JSON_OBJECT values: numbers are numbers, temporals are 'YYYY-MM-DD hh:mm:ss' text, binary is text."""
    if value is None:
        return None
    if kind == "binary":
        # JSON_OBJECT emits binary as a latin-1/utf-8 string; hex transport is used instead (see _select_expr).
        return bytes.fromhex(value)
    if kind == "json" and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    return decode_cell(kind, value)


def _select_expr(alias: str, name: str, kind: str) -> str:
    col = f"{alias}.{quote_ident(name)}"
    if kind == "binary":
        return f"HEX({col})"
    if kind == "datetime":
        return f"DATE_FORMAT({col}, '%Y-%m-%dT%H:%i:%s.%f')"
    return col


class MysqlMcpServerAdapter(Adapter):
    role = "mysql"
    kind = "mysql_mcp_server"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {op: ("execute_sql",) for op in OPERATIONS["mysql"]}

    #: rows per JSON page before halving; a page must stay under group_concat_max_len.
    initial_page: int = 1000

    async def _sql(self, sql: str, *, idempotent: bool = True, timeout: float = 300) -> str:
        return await self.hub.call(self.server, "execute_sql", {"query": hex_string_literals(sql)}, recognise,
                                   CallOptions(timeout=timeout, idempotent=idempotent))

    async def _json_page(self, select_list: str, from_sql: str) -> list[list[Any]] | None:
        """One JSON_ARRAYAGG page; None when the server cut it (too long)."""
        text = await self._sql(f"SELECT JSON_ARRAYAGG(JSON_ARRAY({select_list})) AS j FROM ({from_sql}) AS q")
        _, _, body = text.partition("\n")
        body = body.strip()
        if text.startswith("Query executed successfully") or not body:
            return []
        try:
            rows = json.loads(body, parse_float=decimal.Decimal)
        except ValueError:
            return None  # cut at group_concat_max_len: MariaDB warns instead of failing
        return rows if isinstance(rows, list) else None

    async def _rows(self, columns: Sequence[Column], base_sql: str, key: Sequence[str] | None) -> list[tuple[Any, ...]]:
        """Every row of `base_sql`, in pages that fit the server's limits."""
        order = [quote_ident(k) for k in key] if key else [quote_ident(c.name) for c in columns]
        select_list = ", ".join([*(_select_expr("q", c.name, c.type) for c in columns), "q.__rn"])
        key_index = [next(i for i, c in enumerate(columns) if c.name == k) for k in key] if key else []
        rows: list[tuple[Any, ...]] = []
        page, offset, after = self.initial_page, 0, None
        while True:
            if key:
                where = "" if after is None else (
                    f" WHERE ({', '.join('q0.' + o for o in order)}) > ({', '.join(sql_literal(v) for v in after)})")
                inner = (f"SELECT q0.*, ROW_NUMBER() OVER (ORDER BY {', '.join('q0.' + o for o in order)}) AS __rn "
                         f"FROM ({base_sql}) AS q0{where} ORDER BY {', '.join('q0.' + o for o in order)} LIMIT {page}")
            else:
                inner = (f"SELECT * FROM (SELECT q0.*, ROW_NUMBER() OVER (ORDER BY {', '.join('q0.' + o for o in order)})"
                         f" AS __rn FROM ({base_sql}) AS q0) AS q1 WHERE q1.__rn > {offset} AND q1.__rn <= {offset + page}")
            got = await self._json_page(select_list, inner)
            if got is None:
                if page == 1:
                    raise ToolError(ErrorCode.LIMIT_EXCEEDED, "one row is larger than the server's group_concat_max_len",
                                    server=self.server, tool="execute_sql",
                                    hint="raise group_concat_max_len on the server or use the built-in MySQL server")
                page = max(1, page // 2)
                continue
            got.sort(key=lambda r: int(r[-1]))
            decoded = [tuple(decode_json_cell(c.type, v) for c, v in zip(columns, r[:-1])) for r in got]
            rows.extend(decoded)
            if len(got) < page:
                return rows
            offset += len(got)
            if key:
                last = got[-1]
                after = [last[i] if columns[i].type not in ("binary",) else bytes.fromhex(last[i]) for i in key_index]

    async def _probe_columns(self, sql: str) -> tuple[Column, ...]:
        """Column names and types of a query, from a probe view that lives for three calls."""
        name = f"__migrator_probe_{uuid.uuid4().hex[:16]}"
        await self._sql(f"CREATE VIEW {quote_ident(name)} AS {sql}", idempotent=False)
        try:
            cols = [Column("COLUMN_NAME", _T), Column("DATA_TYPE", _T), Column("ORDINAL_POSITION", "integer")]
            rows = await self._rows(cols, "SELECT COLUMN_NAME, DATA_TYPE, ORDINAL_POSITION FROM information_schema.COLUMNS"
                                          f" WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {sql_literal(name)}", None)
        finally:
            await self._sql(f"DROP VIEW IF EXISTS {quote_ident(name)}")
        return tuple(Column(n, column_kind(t)) for n, t, _ in sorted(rows, key=lambda r: r[2]))

    # -- facade ------------------------------------------------------------------------

    async def query(self, sql: str, params: Sequence[Any] | None = None, *,
                    key: Sequence[str] | None = None) -> QueryResult:
        sql = inline_params(sql.strip().rstrip(";"), params)
        if not re.match(r"^\s*(\(|SELECT\b|WITH\b)", sql, re.I):
            raise ToolError(ErrorCode.UNSUPPORTED, "this adapter runs SELECT queries only", server=self.server,
                            tool="execute_sql")
        columns = await self._probe_columns(sql)
        if key and any(k not in {c.name for c in columns} for k in key):
            raise ToolError(ErrorCode.INVALID, f"key {list(key)} is not among the query's columns", server=self.server)
        return QueryResult(columns, tuple(await self._rows(columns, sql, key)))

    async def _known(self, sql: str, columns: Sequence[tuple[str, str]], key: Sequence[str] | None = None) -> list[dict[str, Any]]:
        cols = [Column(n, t) for n, t in columns]
        return [dict(zip((c.name for c in cols), r)) for r in await self._rows(cols, sql, key)]

    async def server_info(self) -> ServerInfo:
        cols = [("version", _T), ("comment", _T), ("sql_mode", _T), ("tz", _T), ("db", _T), ("cu", _T)]
        (row,) = await self._known("SELECT VERSION() AS version, @@version_comment AS comment, @@GLOBAL.sql_mode AS sql_mode, "
                                   "@@SESSION.time_zone AS tz, DATABASE() AS db, CURRENT_USER() AS cu", cols)
        version = str(row["version"])
        return ServerInfo(version=version,
                          flavour="mariadb" if "mariadb" in f"{version} {row['comment']}".lower() else "mysql",
                          version_number=tuple(int(x) for x in re.findall(r"\d+", version)[:3]),
                          sql_mode=row["sql_mode"] or "",
                          only_full_group_by="ONLY_FULL_GROUP_BY" in (row["sql_mode"] or "").split(","),
                          time_zone=row["tz"], database=row["db"] or "", current_user=row["cu"])

    async def list_tables(self) -> dict[str, str]:
        rows = await self._known("SELECT TABLE_NAME AS n, TABLE_TYPE AS t FROM information_schema.TABLES "
                                 "WHERE TABLE_SCHEMA = DATABASE()", [("n", _T), ("t", _T)], key=["n"])
        return {r["n"]: "view" if r["t"] == "VIEW" else "table" for r in rows}

    async def describe_schema(self, tables: Sequence[str] | None = None) -> SchemaInfo:
        info = await self.server_info()
        trows = await self._known(
            "SELECT TABLE_NAME AS n, TABLE_TYPE AS t, ENGINE AS e, TABLE_ROWS AS r FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE()", [("n", _T), ("t", _T), ("e", _T), ("r", "integer")], key=["n"])
        crows = await self._known(
            "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, ORDINAL_POSITION AS o, DATA_TYPE AS d, COLUMN_TYPE AS ct, "
            "IS_NULLABLE AS nl, COLUMN_KEY AS k FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
            [("t", _T), ("c", _T), ("o", "integer"), ("d", _T), ("ct", _T), ("nl", _T), ("k", _T)], key=["t", "o"])
        krows = await self._known(
            "SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS n, c.CONSTRAINT_TYPE AS ty, k.COLUMN_NAME AS c, "
            "k.ORDINAL_POSITION AS o, k.REFERENCED_TABLE_NAME AS rt, k.REFERENCED_COLUMN_NAME AS rc "
            "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS c "
            "ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME "
            "AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME WHERE k.TABLE_SCHEMA = DATABASE()",
            [("t", _T), ("n", _T), ("ty", _T), ("c", _T), ("o", "integer"), ("rt", _T), ("rc", _T)], key=["t", "n", "o"])
        vrows = await self._known("SELECT TABLE_NAME AS n, VIEW_DEFINITION AS d FROM information_schema.VIEWS "
                                  "WHERE TABLE_SCHEMA = DATABASE()", [("n", _T), ("d", _T)], key=["n"])
        wanted = set(tables) if tables else None
        doc: dict[str, Any] = {"database": info.database, "tables": [], "views": []}
        by_name: dict[str, dict[str, Any]] = {}
        for r in trows:
            if wanted is None or r["n"] in wanted:
                t = {"name": r["n"], "type": "view" if r["t"] == "VIEW" else "table", "row_estimate": r["r"],
                     "columns": [], "primary_key": [], "foreign_keys": []}
                by_name[r["n"]] = t
                doc["tables"].append(t)
        for r in crows:
            if r["t"] in by_name:
                by_name[r["t"]]["columns"].append({"name": r["c"], "data_type": r["d"], "column_type": r["ct"],
                                                   "nullable": r["nl"] == "YES", "key": r["k"]})
        fks: dict[tuple[str, str], dict[str, Any]] = {}
        for r in krows:
            t = by_name.get(r["t"])
            if t is None:
                continue
            if r["ty"] == "PRIMARY KEY":
                t["primary_key"].append(r["c"])
            elif r["ty"] == "FOREIGN KEY":
                fk = fks.setdefault((r["t"], r["n"]), {"name": r["n"], "columns": [], "referenced_table": r["rt"],
                                                       "referenced_columns": []})
                if not fk["columns"]:
                    t["foreign_keys"].append(fk)
                fk["columns"].append(r["c"])
                fk["referenced_columns"].append(r["rc"])
        doc["views"] = [{"name": r["n"], "definition": r["d"]} for r in vrows if wanted is None or r["n"] in wanted]
        return schema_from_doc(doc)

    async def grants(self) -> Grants:
        text = await self._sql("SHOW GRANTS")
        lines = text.splitlines()[1:]  # first line is the header
        (row,) = await self._known("SELECT CURRENT_USER() AS u, DATABASE() AS d", [("u", _T), ("d", _T)])
        return Grants(user=row["u"], privileges=frozenset(effective_privileges(lines, row["d"] or "")))

    async def create_view(self, name: str, select_sql: str) -> None:
        await self._sql(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {select_sql}")

    async def drop_view(self, name: str) -> None:
        await self._sql(f"DROP VIEW IF EXISTS {quote_ident(name)}")

