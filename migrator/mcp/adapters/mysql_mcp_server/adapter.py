"""Adapter for the workshop's MySQL server: PyPI `mysql-mcp-server` 0.4.4, tool `execute_sql`.

That server answers in unquoted comma-separated text (NULL prints as nothing, a comma in
a value shifts the columns), refuses any `;` even inside a string literal, opens a new
connection per call (in the server's time zone) and reports errors as ordinary text. So
this adapter:

- asks for JSON instead: `SELECT JSON_ARRAYAGG(JSON_ARRAY(...)), COUNT(*)` over the wanted
  rows; the cell comes back intact because JSON escapes commas and newlines, and the count
  tells a complete page from one MariaDB cut at `group_concat_max_len` (1 MiB by default;
  the cut is silent and can even leave valid JSON one row short);
- pages under that cut by keyset pagination when given a key, else by ROW_NUMBER() over
  the query's own ORDER BY then every column (so the SQL order survives the aggregation),
  halving a page that came back cut; a row that alone is too long is `limit_exceeded`;
- learns an arbitrary query's column names and types from a short-lived probe view
  (`information_schema.COLUMNS`), so values decode like the built-in server's (this needs
  CREATE VIEW on the database);
- reads at time_zone '+00:00' (`SET STATEMENT ... FOR` on MariaDB, a SET_VAR hint on
  MySQL), as the built-in server does, so TIMESTAMPs do not depend on the server's zone;
- writes parameters and string literals that contain ';' as hex (`_utf8mb4 X'..'`) so a
  `;` in data never trips the server;
- recognises its error texts and maps them onto error codes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mcp.types import CallToolResult

from migrator.mcp.adapters.base import Adapter, result_text
from migrator.mcp.adapters.builtin import quote_ident, schema_from_doc
from migrator.mcp.client import CallOptions, McpHub
from migrator.mcp.errors import ToolError
from migrator.mcp.facades import OPERATIONS
from migrator.mysql_schema import Column, Grants, QueryResult, SchemaInfo, ServerInfo, json_check_column
from migrator.protocol import ErrorCode, decode_cell, effective_privileges, time_text

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
        message = " ".join(message.split())  # one line: MySQL quotes the SQL "near" an error, newlines and all
        for pattern, code in _ERROR_PATTERNS:
            if pattern.search(message):
                raise ToolError(code, message[:500])
        raise ToolError(ErrorCode.INVALID, message[:500])
    return text


def sql_literal(value: Any) -> str:
    """A value as a MySQL literal that contains no ';' and needs no escaping.

    Text goes as `_utf8mb4 X'..'`: an introduced literal is *coercible*, so it compares under the
    other operand's collation like a quoted literal would (`CONVERT(.. USING ..)` is *implicit*
    and fails with "Illegal mix of collations" against a column of another collation).
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"X'{bytes(value).hex()}'"
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, (dt.date, dt.time)):
        text = value.isoformat()
    elif isinstance(value, dt.timedelta):
        text = time_text(value)
    else:
        text = str(value)
    return f"_utf8mb4 X'{text.encode('utf-8').hex()}'"


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

    try:
        tokens = Dialect().tokenize(sql)
    except Exception:
        return sql
    out: list[str] = []
    last = 0
    for n, tok in enumerate(tokens):
        if tok.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING) and ";" in sql[tok.start:tok.end + 1]:
            start, value = tok.start, sql_literal(tok.text)  # a NATIONAL_STRING token includes its N
            before = tokens[n - 1] if n else None
            if before is not None and before.token_type == TokenType.INTRODUCER and before.end >= last:
                # `_latin1'..'`: the hex literal carries its own introducer; `_binary'..'` stays bytes
                start = before.start
                if before.text.lower() == "_binary":
                    value = sql_literal(tok.text.encode("utf-8"))
            out.append(sql[last:start])
            out.append(value)
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


def _select_expr(col: str, f: Field) -> str:
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
    """One JSON_ARRAY value (as `_select_expr` sent it) as the built-in adapter would return it."""
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


def _is_text(f: Field) -> bool:
    return f.kind in ("string", "json", "binary")


def order_plan(sql: str, names: Sequence[str]) -> tuple[str, list[tuple[str, bool]]] | None:
    """The query's own ORDER BY as (output column, descending) pairs, so pages keep the SQL order.

    ORDER BY terms that name an output column (by name, alias or position) map directly; other
    expressions become hidden output columns `__migrator_o<n>` (the SQL is rewritten to select
    them). Returns the SQL to run and the terms, or None when the order cannot be carried over.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree: Any = sqlglot.parse_one(sql, read="mysql")
    except Exception:
        return None
    order = tree.args.get("order") if isinstance(tree, exp.Query) else None
    if order is None:
        return sql, []
    lowered = {n.lower(): n for n in names}
    selects = tree.selects if isinstance(tree, exp.Select) else []
    terms: list[tuple[str, bool]] = []
    hidden: list[Any] = []
    for term in order.expressions:
        e, desc = term.this, bool(term.args.get("desc"))
        name: str | None = None
        if isinstance(e, exp.Literal) and e.is_int and 1 <= int(e.this) <= len(names):
            name = names[int(e.this) - 1]
        elif isinstance(e, exp.Column) and not e.table and e.name.lower() in lowered:
            name = lowered[e.name.lower()]
        else:
            for s in selects:  # the same expression (or qualified column) is selected: use its output name
                inner = s.this if isinstance(s, exp.Alias) else s
                if inner == e and s.alias_or_name.lower() in lowered:
                    name = lowered[s.alias_or_name.lower()]
                    break
        if name is None:
            if not isinstance(tree, exp.Select) or tree.args.get("distinct"):
                return None  # a hidden column would change what UNION/DISTINCT return
            name = f"__migrator_o{len(hidden)}"
            hidden.append(exp.alias_(e.copy(), name))
        terms.append((name, desc))
    if hidden and isinstance(tree, exp.Select):
        for h in hidden:
            tree.select(h, append=True, copy=False)
        sql = tree.sql(dialect="mysql")
    return sql, terms


class MysqlMcpServerAdapter(Adapter):
    role = "mysql"
    kind = "mysql_mcp_server"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = dict.fromkeys(OPERATIONS["mysql"], ("execute_sql",))

    #: rows per JSON page before halving; a page must stay under group_concat_max_len.
    initial_page: int = 1000
    PROBE_PREFIX: ClassVar[str] = "__migrator_probe_"

    def __init__(self, hub: McpHub, server: str) -> None:
        super().__init__(hub, server)
        self._flavour: str | None = None

    async def _sql(self, sql: str, *, idempotent: bool = True, timeout: float = 300) -> str:
        return await self.hub.call(self.server, "execute_sql", {"query": hex_string_literals(sql)}, recognise,
                                   CallOptions(timeout=timeout, idempotent=idempotent))

    async def flavour(self) -> str:
        """mariadb | mysql, asked once (`VERSION()` has no comma, so the text answer is safe)."""
        if self._flavour is None:
            text = await self._sql("SELECT VERSION() AS v")
            self._flavour = "mariadb" if "mariadb" in text.lower() else "mysql"
        return self._flavour

    async def _json_page(self, select_list: str, with_sql: str, page_sql: str) -> list[list[Any]] | None:
        """One JSON_ARRAYAGG page, read in UTC like the built-in server; None when the server cut it.

        MariaDB cuts JSON_ARRAYAGG at group_concat_max_len with only a warning, then closes the
        array: a cut that falls exactly between two rows is still valid JSON, one row short. So the
        page also carries COUNT(*) (after the last comma of the one-line answer) and must match it.
        """
        aggregate = f"JSON_ARRAYAGG(JSON_ARRAY({select_list})) AS j, COUNT(*) AS n FROM ({page_sql}) AS q"
        if await self.flavour() == "mariadb":
            sql = f"SET STATEMENT time_zone='+00:00' FOR {with_sql} SELECT {aggregate}"
        else:  # MySQL 8.0.17+ takes time_zone as a statement hint (older servers ignore it with a warning)
            sql = f"{with_sql} SELECT /*+ SET_VAR(time_zone = '+00:00') */ {aggregate}"
        text = await self._sql(sql)
        _, _, line = text.partition("\n")
        body, _, count = line.strip().rpartition(",")
        if not count.isdigit():
            raise ToolError(ErrorCode.INTERNAL, f"unexpected answer to a paged read: {text[:200]!r}",
                            server=self.server, tool="execute_sql")
        if int(count) == 0:
            return []
        try:
            rows = json.loads(body, parse_float=decimal.Decimal)
        except ValueError:
            return None  # cut inside a row (or in the middle of a character: the server then prints bytes)
        return rows if isinstance(rows, list) and len(rows) == int(count) else None

    async def _rows(self, fields: Sequence[Field], base_sql: str, key: Sequence[str] | None = None,
                    order: Sequence[tuple[str, bool]] = ()) -> list[tuple[Any, ...]]:
        """Every row of `base_sql` (whose output columns are `fields`), in pages that fit the server's limits.

        The query runs as a CTE with positional column names (`c0`, `c1`, ...), so any output
        name works. With `key`, pages follow the key (keyset pagination, in the key's SQL
        order). Without, each page takes a range of ROW_NUMBER() over `order` (the query's own
        ORDER BY) then every column, then an MD5 of each text column: a total order, so
        values that tie under a collation ('a' and 'A') or beyond max_sort_length still fall
        on exactly one page.
        """
        index = {f.name: i for i, f in enumerate(fields)}
        col = [f"q0.`c{i}`" for i in range(len(fields))]
        # The derived table inside the CTE matters: MariaDB renames a UNION's columns before resolving
        # its ORDER BY when the CTE body is the UNION itself ("Unknown column 'id' in 'ORDER BY'").
        # The newline ends a trailing `-- comment` in the caller's SQL.
        with_sql = (f"WITH q0 ({', '.join(f'`c{i}`' for i in range(len(fields)))}) AS "
                    f"(SELECT * FROM ({base_sql}\n) AS q00)")
        visible = [i for i, f in enumerate(fields) if not f.hidden]
        select_list = ", ".join([*(_select_expr(f"q.`c{i}`", f) for i, f in enumerate(fields)), "q.__rn"])
        key_index = [index[k] for k in key] if key else []
        if key:
            window = ", ".join(col[i] for i in key_index)
        else:
            window = ", ".join([*(col[index[n]] + (" DESC" if d else "") for n, d in order), *col,
                                *(f"MD5({col[i]})" for i, f in enumerate(fields) if _is_text(f))])
        rows: list[tuple[Any, ...]] = []
        page, offset, after = max(1, int(self.initial_page)), 0, None
        while True:
            if key:
                where = "" if after is None else (
                    f" WHERE ({window}) > ({', '.join(sql_literal(v) for v in after)})")
                inner = f"SELECT q0.*, ROW_NUMBER() OVER (ORDER BY {window}) AS __rn FROM q0{where} ORDER BY {window} LIMIT {page}"
            else:
                inner = (f"SELECT * FROM (SELECT q0.*, ROW_NUMBER() OVER (ORDER BY {window}) AS __rn FROM q0) AS q1"
                         f" WHERE q1.__rn > {offset} AND q1.__rn <= {offset + page}")
            got = await self._json_page(select_list, with_sql, inner)
            if got is None:
                if page == 1:
                    raise ToolError(ErrorCode.LIMIT_EXCEEDED,
                                    f"row {offset + len(rows) + 1 if not key else len(rows) + 1} of the query is longer "
                                    "as JSON than the server's group_concat_max_len (MariaDB cuts JSON_ARRAYAGG there)",
                                    server=self.server, tool="execute_sql",
                                    hint="raise group_concat_max_len on the server, leave the long column out, "
                                         "or use the built-in MySQL server")
                page = max(1, page // 2)
                continue
            got.sort(key=lambda r: int(r[-1]))
            rows.extend(tuple(decode_json_cell(fields[i], r[i]) for i in visible) for r in got)
            if len(got) < page:
                return rows
            offset += len(got)
            if key:
                last = got[-1]
                after = []
                for i in key_index:
                    value = last[i]
                    if value is None:
                        raise ToolError(ErrorCode.INVALID, f"key column '{fields[i].name}' is NULL in some rows; "
                                        "keyset pagination needs a key without NULLs", server=self.server,
                                        tool="execute_sql")
                    after.append(bytes.fromhex(value) if fields[i].kind == "binary" else value)

    async def _probe_fields(self, sql: str) -> list[Field]:
        """Column names and types of a query, from a probe view that lives for three calls."""
        name = f"{self.PROBE_PREFIX}{uuid.uuid4().hex[:16]}"
        try:
            await self._sql(f"CREATE VIEW {quote_ident(name)} AS {sql}", idempotent=False)
        except ToolError as exc:
            if exc.code in (ErrorCode.TIMEOUT, ErrorCode.UNAVAILABLE):  # it may have happened all the same
                with contextlib.suppress(ToolError):
                    await self._sql(f"DROP VIEW IF EXISTS {quote_ident(name)}")
            if exc.code is ErrorCode.ACCESS_DENIED and "create view" in exc.message.lower():
                # exc.message already names the server and tool; keep them on the new error too
                err = ToolError(exc.code, exc.message,
                                hint="the mysql_mcp_server adapter learns a query's column types from a temporary "
                                     "view, so its user needs CREATE VIEW on the database; grant it, or use the "
                                     "built-in MySQL server")
                err.server, err.tool = exc.server, exc.tool
                raise err from None
            raise
        try:
            meta = [Field("n", _T, "varchar"), Field("t", _T, "varchar"), Field("o", "integer", "int")]
            rows = await self._rows(meta, "SELECT COLUMN_NAME, DATA_TYPE, ORDINAL_POSITION FROM information_schema.COLUMNS"
                                          f" WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {sql_literal(name)}")
        finally:
            await self._sql(f"DROP VIEW IF EXISTS {quote_ident(name)}")
        return [Field(n, column_kind(t), t) for n, t, _ in sorted(rows, key=lambda r: r[2])]

    # -- facade ------------------------------------------------------------------------

    async def query(self, sql: str, params: Sequence[Any] | None = None, *,
                    key: Sequence[str] | None = None) -> QueryResult:
        sql = inline_params(sql.strip().rstrip(";").strip(), params)
        if re.match(r"^\s*(SHOW|DESCRIBE|DESC|EXPLAIN|VALUES|TABLE)\b", sql, re.I):
            raise ToolError(ErrorCode.UNSUPPORTED, "this adapter reads SELECT and WITH queries only (it wraps them in a "
                            "view to learn their column types)", server=self.server, tool="execute_sql",
                            hint="query information_schema instead, or use the built-in MySQL server")
        if not re.match(r"^\s*(\(|SELECT\b|WITH\b)", sql, re.I):
            raise ToolError(ErrorCode.INVALID, "query runs read-only statements only (SELECT or WITH)",
                            server=self.server, tool="execute_sql")
        fields = await self._probe_fields(sql)
        order: list[tuple[str, bool]] = []
        if not key:
            plan = order_plan(sql, [f.name for f in fields])
            if plan is not None:
                rewritten, order = plan
                if rewritten != sql:  # ORDER BY expressions became hidden columns: learn their types too
                    hidden = {n for n, _ in order if n.startswith("__migrator_o")}
                    try:
                        fields = [Field(f.name, f.kind, f.data_type, hidden=f.name in hidden)
                                  for f in await self._probe_fields(rewritten)]
                        sql = rewritten
                    except ToolError as exc:  # sqlglot wrote SQL the server reads differently: keep the original
                        if exc.code is not ErrorCode.INVALID:
                            raise
                        order = []
        names = [f.name for f in fields if not f.hidden]
        if key and any(k not in names for k in key):
            raise ToolError(ErrorCode.INVALID, f"key {list(key)} is not among the query's columns {names}",
                            server=self.server, tool="execute_sql")
        columns = tuple(f.column for f in fields if not f.hidden)
        return QueryResult(columns, tuple(await self._rows(fields, sql, key, order)))

    async def _known(self, sql: str, columns: Sequence[tuple[str, str]], key: Sequence[str] | None = None,
                     hidden: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Rows of a query whose column types are known (information_schema, variables): no probe view."""
        fields = [Field(n, t, "varchar" if t == _T else t, hidden=n in hidden) for n, t in columns]
        names = [f.name for f in fields if not f.hidden]
        return [dict(zip(names, r)) for r in await self._rows(fields, sql, key)]

    def _ours(self, name: str) -> bool:
        return name.startswith(self.PROBE_PREFIX)

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
        rows = await self._known("SELECT TABLE_NAME AS n, TABLE_TYPE AS t, CAST(TABLE_NAME AS BINARY) AS nb "
                                 "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
                                 [("n", _T), ("t", _T), ("nb", "binary")], key=["nb"], hidden=["nb"])
        return {r["n"]: "view" if r["t"] == "VIEW" else "table" for r in rows if not self._ours(r["n"])}

    async def describe_schema(self, tables: Sequence[str] | None = None) -> SchemaInfo:
        info = await self.server_info()
        trows = await self._known(
            "SELECT TABLE_NAME AS n, TABLE_TYPE AS t, ENGINE AS e, TABLE_ROWS AS r, CAST(TABLE_NAME AS BINARY) AS nb "
            "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
            [("n", _T), ("t", _T), ("e", _T), ("r", "integer"), ("nb", "binary")], key=["nb"], hidden=["nb"])
        crows = await self._known(
            "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, ORDINAL_POSITION AS o, DATA_TYPE AS d, COLUMN_TYPE AS ct, "
            "IS_NULLABLE AS nl, COLUMN_KEY AS k, CAST(TABLE_NAME AS BINARY) AS tb "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
            [("t", _T), ("c", _T), ("o", "integer"), ("d", _T), ("ct", _T), ("nl", _T), ("k", _T), ("tb", "binary")],
            key=["tb", "o"], hidden=["tb"])
        krows = await self._known(
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
        vrows = await self._known("SELECT TABLE_NAME AS n, VIEW_DEFINITION AS d, CAST(TABLE_NAME AS BINARY) AS nb "
                                  "FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
                                  [("n", _T), ("d", _T), ("nb", "binary")], key=["nb"], hidden=["nb"])
        jrows = await self._known(
            "SELECT TABLE_NAME AS t, CHECK_CLAUSE AS cc, CAST(TABLE_NAME AS BINARY) AS tb, "
            "CAST(CONSTRAINT_NAME AS BINARY) AS nb FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE()", [("t", _T), ("cc", _T), ("tb", "binary"), ("nb", "binary")],
            key=["tb", "nb"], hidden=["tb", "nb"]) if info.flavour == "mariadb" else []
        json_columns = {(r["t"], json_check_column(r["cc"])) for r in jrows}
        wanted = set(tables) if tables else None
        trows = [r for r in trows if not self._ours(r["n"])]
        vrows = [r for r in vrows if not self._ours(r["n"])]
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
                is_json = r["d"] == "longtext" and (r["t"], r["c"]) in json_columns   # MariaDB's JSON
                by_name[r["t"]]["columns"].append({"name": r["c"], "data_type": "json" if is_json else r["d"],
                                                   "column_type": "json" if is_json else r["ct"],
                                                   "nullable": r["nl"] == "YES", "key": r["k"]})
        fks: dict[tuple[str, str], dict[str, Any]] = {}
        for r in krows:
            owner = by_name.get(r["t"])
            if owner is None:
                continue
            t = owner
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

