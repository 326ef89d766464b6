"""Every row of a query, in JSON pages that fit under the server's cut.

A page is one `JSON_ARRAYAGG(JSON_ARRAY(...)), COUNT(*)` over a range of the query's rows,
read at time zone UTC. MariaDB cuts the aggregate at `group_concat_max_len` without an
error, so a page that came back cut is read again at half the size; a single row that is
too long is `limit_exceeded`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.mcp.adapters.mysql_mcp_server.answers import TOOL
from migrator.mcp.adapters.mysql_mcp_server.fields import Field, decode_json_cell, select_expr
from migrator.mcp.adapters.mysql_mcp_server.literals import sql_literal
from migrator.mcp.errors import ToolError
from migrator.protocol import ErrorCode

#: reads one page: (select list, WITH clause, page query) -> its rows, or None when the server cut them
FetchPage = Callable[[str, str, str], Awaitable[list[list[Any]] | None]]


def page_statement(select_list: str, with_sql: str, page_sql: str, *, mariadb: bool) -> str:
    """The statement that reads one page as JSON, at time zone UTC like the built-in server."""
    aggregate = f"JSON_ARRAYAGG(JSON_ARRAY({select_list})) AS j, COUNT(*) AS n FROM ({page_sql}) AS q"
    if mariadb:
        return f"SET STATEMENT time_zone='+00:00' FOR {with_sql} SELECT {aggregate}"
    # MySQL 8.0.17+ takes time_zone as a statement hint (older servers ignore it with a warning)
    return f"{with_sql} SELECT /*+ SET_VAR(time_zone = '+00:00') */ {aggregate}"


@dataclass(frozen=True)
class PagedRead:
    """The SQL of reading `base_sql` (whose output columns are `fields`) page by page.

    The query runs as a CTE with positional column names (`c0`, `c1`, ...), so any output
    name works. With `key`, pages follow the key (keyset pagination, in the key's SQL
    order). Without, each page takes a range of ROW_NUMBER() over `order` (the query's own
    ORDER BY) then every column, then an MD5 of each text column: a total order, so
    values that tie under a collation ('a' and 'A') or beyond max_sort_length still fall
    on exactly one page.
    """

    fields: Sequence[Field]
    base_sql: str
    key: Sequence[str] | None = None
    order: Sequence[tuple[str, bool]] = ()

    @property
    def with_sql(self) -> str:
        # The derived table inside the CTE matters: MariaDB renames a UNION's columns before resolving
        # its ORDER BY when the CTE body is the UNION itself ("Unknown column 'id' in 'ORDER BY'").
        # The newline ends a trailing `-- comment` in the caller's SQL.
        return (f"WITH q0 ({', '.join(f'`c{i}`' for i in range(len(self.fields)))}) AS "
                f"(SELECT * FROM ({self.base_sql}\n) AS q00)")

    @property
    def select_list(self) -> str:
        return ", ".join([*(select_expr(f"q.`c{i}`", f) for i, f in enumerate(self.fields)), "q.__rn"])

    @property
    def key_index(self) -> list[int]:
        index = {f.name: i for i, f in enumerate(self.fields)}
        return [index[k] for k in self.key] if self.key else []

    @property
    def window(self) -> str:
        col = [f"q0.`c{i}`" for i in range(len(self.fields))]
        if self.key:
            return ", ".join(col[i] for i in self.key_index)
        index = {f.name: i for i, f in enumerate(self.fields)}
        return ", ".join([*(col[index[n]] + (" DESC" if d else "") for n, d in self.order), *col,
                          *(f"MD5({col[i]})" for i, f in enumerate(self.fields) if f.is_text)])

    def page_sql(self, page: int, offset: int, after: Sequence[Any] | None) -> str:
        """The rows of one page: after the key values `after` (keyset), else after `offset` rows."""
        window = self.window
        if self.key:
            where = "" if after is None else f" WHERE ({window}) > ({', '.join(sql_literal(v) for v in after)})"
            return f"SELECT q0.*, ROW_NUMBER() OVER (ORDER BY {window}) AS __rn FROM q0{where} ORDER BY {window} LIMIT {page}"
        return (f"SELECT * FROM (SELECT q0.*, ROW_NUMBER() OVER (ORDER BY {window}) AS __rn FROM q0) AS q1"
                f" WHERE q1.__rn > {offset} AND q1.__rn <= {offset + page}")


async def read_pages(read: PagedRead, fetch: FetchPage, initial_page: int, server: str) -> list[tuple[Any, ...]]:
    """Every row of `read`, visible columns only, fetching pages of `initial_page` rows (halved when cut)."""
    fields, key = read.fields, read.key
    visible = [i for i, f in enumerate(fields) if not f.hidden]
    select_list, with_sql, key_index = read.select_list, read.with_sql, read.key_index
    rows: list[tuple[Any, ...]] = []
    page, offset, after = max(1, int(initial_page)), 0, None
    while True:
        got = await fetch(select_list, with_sql, read.page_sql(page, offset, after))
        if got is None:
            if page == 1:
                raise ToolError(ErrorCode.LIMIT_EXCEEDED,
                                f"row {offset + len(rows) + 1 if not key else len(rows) + 1} of the query is longer "
                                "as JSON than the server's group_concat_max_len (MariaDB cuts JSON_ARRAYAGG there)",
                                server=server, tool=TOOL,
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
                                    "keyset pagination needs a key without NULLs", server=server, tool=TOOL)
                after.append(bytes.fromhex(value) if fields[i].kind == "binary" else value)
