"""`MysqlMcpServerAdapter`: the MySQL facade over the server's one tool, `execute_sql`.

Each operation is a read through `paging` (whose columns are known, or learnt from a
probe view) or one statement; the package docstring says why it reads this way.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from migrator.mcp.adapters.base import Adapter
from migrator.mcp.adapters.builtin import quote_ident
from migrator.mcp.adapters.mysql_mcp_server import schema
from migrator.mcp.adapters.mysql_mcp_server.answers import TOOL, grant_lines, is_mariadb, json_page, recognise
from migrator.mcp.adapters.mysql_mcp_server.fields import STRING as _T
from migrator.mcp.adapters.mysql_mcp_server.fields import Field, KnownRead, column_kind
from migrator.mcp.adapters.mysql_mcp_server.literals import hex_string_literals, inline_params, sql_literal
from migrator.mcp.adapters.mysql_mcp_server.order import HIDDEN_PREFIX, order_plan
from migrator.mcp.adapters.mysql_mcp_server.paging import PagedRead, page_statement, read_pages
from migrator.mcp.client import CallOptions, McpHub
from migrator.mcp.errors import ToolError
from migrator.mcp.facades import OPERATIONS
from migrator.mysql_schema import Grants, QueryResult, SchemaInfo, ServerInfo
from migrator.protocol import ErrorCode, effective_privileges


class MysqlMcpServerAdapter(Adapter):
    role = "mysql"
    name = "mysql_mcp_server"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = dict.fromkeys(OPERATIONS["mysql"], (TOOL,))

    #: rows per JSON page before halving; a page must stay under group_concat_max_len.
    initial_page: int = 1000
    PROBE_PREFIX: ClassVar[str] = "__migrator_probe_"

    def __init__(self, hub: McpHub, server: str) -> None:
        super().__init__(hub, server)
        self._flavour: str | None = None

    async def _sql(self, sql: str, *, idempotent: bool = True, timeout: float = 300) -> str:
        return await self.hub.call(self.server, TOOL, {"query": hex_string_literals(sql)}, recognise,
                                   CallOptions(timeout=timeout, idempotent=idempotent))

    async def flavour(self) -> str:
        """mariadb | mysql, asked once (`VERSION()` has no comma, so the text answer is safe)."""
        if self._flavour is None:
            text = await self._sql("SELECT VERSION() AS v")
            self._flavour = "mariadb" if is_mariadb(text) else "mysql"
        return self._flavour

    async def _json_page(self, select_list: str, with_sql: str, page_sql: str) -> list[list[Any]] | None:
        """One JSON_ARRAYAGG page, read in UTC like the built-in server; None when the server cut it."""
        mariadb = await self.flavour() == "mariadb"
        return json_page(await self._sql(page_statement(select_list, with_sql, page_sql, mariadb=mariadb)), self.server)

    async def _rows(self, fields: Sequence[Field], base_sql: str, key: Sequence[str] | None = None,
                    order: Sequence[tuple[str, bool]] = ()) -> list[tuple[Any, ...]]:
        """Every row of `base_sql` (whose output columns are `fields`), in pages that fit the server's limits."""
        return await read_pages(PagedRead(fields, base_sql, key, order), self._json_page, self.initial_page,
                                self.server)

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

    async def _known(self, read: KnownRead) -> list[dict[str, Any]]:
        """Rows of a query whose column types are known (information_schema, variables): no probe view."""
        fields = read.fields
        names = [f.name for f in fields if not f.hidden]
        return [dict(zip(names, r)) for r in await self._rows(fields, read.sql, read.key)]

    def _ours(self, name: str) -> bool:
        return name.startswith(self.PROBE_PREFIX)

    # -- facade ------------------------------------------------------------------------

    async def query(self, sql: str, params: Sequence[Any] | None = None, *,
                    key: Sequence[str] | None = None) -> QueryResult:
        sql = inline_params(sql.strip().rstrip(";").strip(), params)
        if re.match(r"^\s*(SHOW|DESCRIBE|DESC|EXPLAIN|VALUES|TABLE)\b", sql, re.I):
            raise ToolError(ErrorCode.UNSUPPORTED, "this adapter reads SELECT and WITH queries only (it wraps them in a "
                            "view to learn their column types)", server=self.server, tool=TOOL,
                            hint="query information_schema instead, or use the built-in MySQL server")
        if not re.match(r"^\s*(\(|SELECT\b|WITH\b)", sql, re.I):
            raise ToolError(ErrorCode.INVALID, "query runs read-only statements only (SELECT or WITH)",
                            server=self.server, tool=TOOL)
        fields = await self._probe_fields(sql)
        order: list[tuple[str, bool]] = []
        if not key:
            plan = order_plan(sql, [f.name for f in fields])
            if plan is not None:
                rewritten, order = plan
                if rewritten != sql:  # ORDER BY expressions became hidden columns: learn their types too
                    hidden = {n for n, _ in order if n.startswith(HIDDEN_PREFIX)}
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
                            server=self.server, tool=TOOL)
        columns = tuple(f.column for f in fields if not f.hidden)
        return QueryResult(columns, tuple(await self._rows(fields, sql, key, order)))

    async def server_info(self) -> ServerInfo:
        (row,) = await self._known(KnownRead(
            "SELECT VERSION() AS version, @@version_comment AS comment, @@GLOBAL.sql_mode AS sql_mode, "
            "@@SESSION.time_zone AS tz, DATABASE() AS db, CURRENT_USER() AS cu",
            [("version", _T), ("comment", _T), ("sql_mode", _T), ("tz", _T), ("db", _T), ("cu", _T)]))
        version = str(row["version"])
        return ServerInfo(version=version,
                          flavour="mariadb" if is_mariadb(f"{version} {row['comment']}") else "mysql",
                          version_number=tuple(int(x) for x in re.findall(r"\d+", version)[:3]),
                          sql_mode=row["sql_mode"] or "",
                          only_full_group_by="ONLY_FULL_GROUP_BY" in (row["sql_mode"] or "").split(","),
                          time_zone=row["tz"], database=row["db"] or "", current_user=row["cu"])

    async def list_tables(self) -> dict[str, str]:
        rows = await self._known(schema.TABLE_NAMES)
        return {r["n"]: schema.table_kind(r["t"]) for r in rows if not self._ours(r["n"])}

    async def describe_schema(self, tables: Sequence[str] | None = None) -> SchemaInfo:
        info = await self.server_info()
        trows = await self._known(schema.TABLES)
        crows = await self._known(schema.COLUMNS)
        krows = await self._known(schema.KEYS)
        vrows = await self._known(schema.VIEWS)
        jrows = await self._known(schema.JSON_CHECKS) if info.flavour == "mariadb" else []
        return schema.describe(info.database, [r for r in trows if not self._ours(r["n"])], crows, krows,
                               [r for r in vrows if not self._ours(r["n"])], jrows, tables)

    async def grants(self) -> Grants:
        lines = grant_lines(await self._sql("SHOW GRANTS"))
        (row,) = await self._known(KnownRead("SELECT CURRENT_USER() AS u, DATABASE() AS d", [("u", _T), ("d", _T)]))
        return Grants(user=row["u"], privileges=frozenset(effective_privileges(lines, row["d"] or "")))

    async def create_view(self, name: str, select_sql: str) -> None:
        await self._sql(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {select_sql}")

    async def drop_view(self, name: str) -> None:
        await self._sql(f"DROP VIEW IF EXISTS {quote_ident(name)}")
