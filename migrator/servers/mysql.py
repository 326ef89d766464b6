"""The built-in MySQL MCP server (pymysql).

Designed for a migration, not for chat: typed results with column metadata, explicit
pagination (never a silent cut), DDL limited to the two statements a migration needs
(CREATE OR REPLACE VIEW, DROP VIEW), a schema description with keys and views, the
current user's grants, and a read-only switch (`MYSQL_READ_ONLY=true`). Every session
reads at `time_zone='+00:00'` so temporal values never depend on the server's zone.
Configured like the servers teams already run: MYSQL_HOST/PORT/USER/PASSWORD/DATABASE.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pymysql
import pymysql.cursors
from mcp.server.fastmcp import FastMCP
from pymysql.constants import FIELD_TYPE
from sqlglot.tokens import TokenType
from sqlglot.dialects.mysql import MySQL

from migrator.mysql_schema import json_check_column
from migrator.protocol import ErrorCode, effective_privileges, encode_cell
from migrator.servers import common
from migrator.servers.common import ToolFailure

MAX_PAGE = 10_000
BINARY_CHARSET = 63

_TYPE_NAMES: dict[int, str] = {
    FIELD_TYPE.DECIMAL: "decimal", FIELD_TYPE.NEWDECIMAL: "decimal",
    FIELD_TYPE.TINY: "integer", FIELD_TYPE.SHORT: "integer", FIELD_TYPE.LONG: "integer",
    FIELD_TYPE.LONGLONG: "integer", FIELD_TYPE.INT24: "integer", FIELD_TYPE.YEAR: "integer",
    FIELD_TYPE.FLOAT: "float", FIELD_TYPE.DOUBLE: "float",
    FIELD_TYPE.DATE: "date", FIELD_TYPE.NEWDATE: "date",
    FIELD_TYPE.DATETIME: "datetime", FIELD_TYPE.TIMESTAMP: "datetime",
    FIELD_TYPE.TIME: "time", FIELD_TYPE.JSON: "json", FIELD_TYPE.BIT: "bit",
    FIELD_TYPE.NULL: "null",
}

_MYSQL_CODES: dict[int, ErrorCode] = {
    1044: ErrorCode.ACCESS_DENIED, 1045: ErrorCode.ACCESS_DENIED, 1142: ErrorCode.ACCESS_DENIED,
    1143: ErrorCode.ACCESS_DENIED, 1227: ErrorCode.ACCESS_DENIED, 1370: ErrorCode.ACCESS_DENIED,
    2002: ErrorCode.UNAVAILABLE, 2003: ErrorCode.UNAVAILABLE, 2006: ErrorCode.UNAVAILABLE,
    2013: ErrorCode.UNAVAILABLE, 1053: ErrorCode.UNAVAILABLE,
    1146: ErrorCode.NOT_FOUND, 1049: ErrorCode.NOT_FOUND, 4092: ErrorCode.NOT_FOUND,
    1050: ErrorCode.ALREADY_EXISTS,
    1205: ErrorCode.THROTTLED, 1213: ErrorCode.THROTTLED, 1040: ErrorCode.THROTTLED,
    1969: ErrorCode.TIMEOUT, 3024: ErrorCode.TIMEOUT,
}

_READ_KEYWORDS = {TokenType.SELECT, TokenType.WITH, TokenType.SHOW, TokenType.DESCRIBE, TokenType.L_PAREN,
                  TokenType.VALUES}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    user: str
    password: str
    database: str
    read_only: bool
    connect_timeout: float

    @staticmethod
    def from_env() -> Settings:
        return Settings(host=os.environ.get("MYSQL_HOST", "127.0.0.1"),
                        port=int(os.environ.get("MYSQL_PORT", "3306")),
                        user=os.environ.get("MYSQL_USER", "root"),
                        password=os.environ.get("MYSQL_PASSWORD", ""),
                        database=os.environ.get("MYSQL_DATABASE", ""),
                        read_only=common.env_flag("MYSQL_READ_ONLY"),
                        connect_timeout=float(os.environ.get("MYSQL_CONNECT_TIMEOUT", "10")))


def classify(exc: BaseException) -> ToolFailure | None:
    if isinstance(exc, pymysql.MySQLError):
        errno = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        code = _MYSQL_CODES.get(errno)
        if code is None:
            code = ErrorCode.UNAVAILABLE if isinstance(exc, pymysql.OperationalError) and errno >= 2000 else ErrorCode.INVALID
        return ToolFailure(code, f"MySQL error {errno}: {message}", mysql_errno=errno)
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return ToolFailure(ErrorCode.UNAVAILABLE, f"cannot reach MySQL: {exc}")
    return None


def statement_tokens(sql: str) -> list[Any]:
    """Tokens of exactly one statement; a second statement is refused, not split."""
    try:
        tokens = MySQL().tokenize(sql)
    except Exception as exc:
        raise ToolFailure(ErrorCode.INVALID, f"cannot tokenize the SQL: {exc}") from exc
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        raise ToolFailure(ErrorCode.INVALID, "the SQL is empty")
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise ToolFailure(ErrorCode.INVALID, "only one statement per call is allowed; remove the ';' and send them separately")
    return tokens


_CREATE_VIEW = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*\S+\s+)?"
    r"(?:SQL\s+SECURITY\s+(?:DEFINER|INVOKER)\s+)?VIEW\s+(?P<name>`[^`]+`|\w+)(?:\s*\.\s*(?P<name2>`[^`]+`|\w+))?",
    re.IGNORECASE)
_DROP_VIEW = re.compile(r"^\s*DROP\s+VIEW\s+(?:IF\s+EXISTS\s+)?(?P<names>.+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def classify_ddl(sql: str) -> tuple[str, list[str]]:
    """('create_view'|'drop_view', view names) or an `invalid` failure naming what is allowed."""
    statement_tokens(sql)
    if m := _CREATE_VIEW.match(sql):
        name = m.group("name2") or m.group("name")
        return "create_view", [name.strip("`")]
    if m := _DROP_VIEW.match(sql):
        names = [n.strip().strip("`").split("`.`")[-1].split(".")[-1].strip("`") for n in m.group("names").split(",")]
        return "drop_view", names
    raise ToolFailure(ErrorCode.INVALID, "execute_ddl accepts only CREATE [OR REPLACE] VIEW and DROP VIEW statements")


def column_meta(cursor: Any) -> list[dict[str, Any]]:
    fields = cursor._result.fields if cursor._result is not None else []
    columns = []
    for desc, field in zip(cursor.description or (), fields):
        name, type_code, _, _, precision, scale, null_ok = desc
        kind = _TYPE_NAMES.get(type_code)
        if kind is None:  # strings and blobs: binary charset means bytes
            kind = "binary" if field.charsetnr == BINARY_CHARSET else "string"
        if kind == "bit":
            kind = "binary"
        columns.append({"name": name, "type": kind, "nullable": bool(null_ok),
                        "precision": precision, "scale": scale if kind == "decimal" else None})
    return columns


def _mariadb_json_columns(cur: Any, database: str) -> set[tuple[str, str]]:
    """(table, column) of MariaDB's JSON columns (mysql_schema.json_check_column). MySQL has no
    TABLE_NAME there and needs nothing: it reports JSON columns as json."""
    try:
        cur.execute("SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                    "WHERE CONSTRAINT_SCHEMA = %s", (database,))
    except pymysql.MySQLError:
        return set()
    found: set[tuple[str, str]] = set()
    for r in cur.fetchall():
        column = json_check_column(r["CHECK_CLAUSE"])
        if column is not None:
            found.add((r["TABLE_NAME"], column))
    return found


class MySQLTools:
    """The tool bodies; one short-lived connection per call keeps calls independent and concurrent."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._flavour: str | None = None

    @contextmanager
    def connect(self, cursor_class: type = pymysql.cursors.Cursor) -> Iterator[Any]:
        s = self.settings
        conn = pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password,
                               database=s.database or None, connect_timeout=s.connect_timeout,
                               autocommit=True, charset="utf8mb4", cursorclass=cursor_class,
                               init_command="SET time_zone='+00:00'")
        try:
            yield conn
        finally:
            conn.close()

    def flavour(self, cur: Any) -> str:
        if self._flavour is None:
            cur.execute("SELECT VERSION()")
            self._flavour = "mariadb" if "mariadb" in str(cur.fetchone()[0]).lower() else "mysql"
        return self._flavour

    # -- tools ---------------------------------------------------------------------

    def server_info(self) -> dict[str, Any]:
        """Version, flavour (mysql | mariadb), sql_mode, time zones and limits of the server."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT VERSION(), @@version_comment, @@GLOBAL.sql_mode, @@SESSION.time_zone, "
                        "@@system_time_zone, DATABASE(), USER(), CURRENT_USER(), @@group_concat_max_len, "
                        "@@max_allowed_packet, @@lower_case_table_names")
            (version, comment, sql_mode, tz, sys_tz, database, user, current_user, gcml, packet, lctn) = cur.fetchone()
        flavour = "mariadb" if "mariadb" in f"{version} {comment}".lower() else "mysql"
        numbers = [int(x) for x in re.findall(r"\d+", str(version))[:3]]
        return {"version": version, "flavour": flavour, "version_number": numbers, "version_comment": comment,
                "sql_mode": sql_mode, "only_full_group_by": "ONLY_FULL_GROUP_BY" in str(sql_mode).split(","),
                "time_zone": tz, "system_time_zone": sys_tz, "database": database, "user": user,
                "current_user": current_user, "group_concat_max_len": int(gcml), "max_allowed_packet": int(packet),
                "lower_case_table_names": int(lctn), "read_only": self.settings.read_only}

    def query(self, sql: str, params: list[Any] | None = None, page_size: int = 1000,
              cursor: str | None = None, timeout_seconds: float = 60) -> dict[str, Any]:
        """Run one read-only statement (SELECT, WITH, SHOW, DESCRIBE); typed rows, one page per call.

        `next_cursor` is set whenever more rows exist: pass it back to read the next page.
        Values: decimal as exact text, datetime as ISO-8601 (UTC session), binary as base64.
        """
        tokens = statement_tokens(sql)
        if tokens[0].token_type not in _READ_KEYWORDS and tokens[0].text.upper() not in {"EXPLAIN", "DESC"}:
            raise ToolFailure(ErrorCode.INVALID, "query runs read-only statements only (SELECT, WITH, SHOW, DESCRIBE); "
                              "use execute_ddl for views")
        if not 1 <= page_size <= MAX_PAGE:
            raise ToolFailure(ErrorCode.INVALID, f"page_size must be between 1 and {MAX_PAGE}")
        offset = _decode_cursor(cursor)
        with self.connect(pymysql.cursors.SSCursor) as conn:
            # No `with cursor`: closing an unbuffered cursor drains the rest of the result;
            # closing the throwaway connection abandons it instead.
            cur = conn.cursor()
            self._set_timeout(cur, timeout_seconds)
            cur.execute("START TRANSACTION READ ONLY")
            cur.execute(sql, params or None)
            columns = column_meta(cur)
            skipped = 0
            while skipped < offset:
                chunk = cur.fetchmany(min(MAX_PAGE, offset - skipped))
                if not chunk:
                    break
                skipped += len(chunk)
            rows = cur.fetchmany(page_size + 1)
            more = len(rows) > page_size
            rows = rows[:page_size]
        return {"columns": columns, "rows": [[encode_cell(v) for v in row] for row in rows],
                "row_count": len(rows), "offset": offset,
                "next_cursor": _encode_cursor(offset + len(rows)) if more else None}

    def execute_ddl(self, sql: str) -> dict[str, Any]:
        """Run one CREATE [OR REPLACE] VIEW or DROP VIEW [IF EXISTS] statement; nothing else."""
        kind, names = classify_ddl(sql)
        if self.settings.read_only:
            raise ToolFailure(ErrorCode.ACCESS_DENIED, "this MySQL server runs read-only (MYSQL_READ_ONLY); DDL is refused")
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql)
        return {"statement": kind, "views": names}

    def list_tables(self) -> dict[str, Any]:
        """Tables and views of the configured database with their kind and row estimate."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME")
            rows = cur.fetchall()
        return {"tables": [{"name": n, "type": "view" if t == "VIEW" else "table",
                            "row_estimate": None if t == "VIEW" else int(r or 0)} for n, t, r in rows]}

    def describe_schema(self, tables: list[str] | None = None) -> dict[str, Any]:
        """Tables (columns and types, primary, unique and foreign keys, row estimates) and views with definitions."""
        with self.connect(pymysql.cursors.DictCursor) as conn, conn.cursor() as cur:
            cur.execute("SELECT DATABASE() AS db")
            database = cur.fetchone()["db"]
            if not database:
                raise ToolFailure(ErrorCode.INVALID, "no database selected; set MYSQL_DATABASE")
            cur.execute("SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", (database,))
            table_rows = cur.fetchall()
            cur.execute("SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, "
                        "COLUMN_TYPE, COLUMN_KEY, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME, NUMERIC_PRECISION, "
                        "NUMERIC_SCALE, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS "
                        "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION", (database,))
            column_rows = cur.fetchall()
            cur.execute("SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, c.CONSTRAINT_TYPE, k.COLUMN_NAME, "
                        "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE k "
                        "JOIN information_schema.TABLE_CONSTRAINTS c ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
                        "AND CAST(c.TABLE_NAME AS BINARY) = CAST(k.TABLE_NAME AS BINARY) "
                        "AND CAST(c.CONSTRAINT_NAME AS BINARY) = CAST(k.CONSTRAINT_NAME AS BINARY) "
                        "WHERE k.TABLE_SCHEMA = %s ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
                        (database,))
            key_rows = cur.fetchall()
            cur.execute("SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, SECURITY_TYPE "
                        "FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", (database,))
            view_rows = cur.fetchall()
            json_columns = _mariadb_json_columns(cur, database)
        wanted = set(tables) if tables else None
        out_tables: dict[str, dict[str, Any]] = {}
        for r in table_rows:
            if wanted is not None and r["TABLE_NAME"] not in wanted:
                continue
            out_tables[r["TABLE_NAME"]] = {
                "name": r["TABLE_NAME"], "type": "view" if r["TABLE_TYPE"] == "VIEW" else "table",
                "engine": r["ENGINE"], "row_estimate": None if r["TABLE_TYPE"] == "VIEW" else int(r["TABLE_ROWS"] or 0),
                "columns": [], "primary_key": [], "unique_keys": [], "foreign_keys": []}
        for r in column_rows:
            t = out_tables.get(r["TABLE_NAME"])
            if t is None:
                continue
            is_json = (r["TABLE_NAME"], r["COLUMN_NAME"]) in json_columns and r["DATA_TYPE"] == "longtext"
            t["columns"].append({
                "name": r["COLUMN_NAME"], "ordinal": int(r["ORDINAL_POSITION"]),
                "data_type": "json" if is_json else r["DATA_TYPE"], "column_type": "json" if is_json else r["COLUMN_TYPE"],
                "nullable": r["IS_NULLABLE"] == "YES", "default": r["COLUMN_DEFAULT"],
                "key": r["COLUMN_KEY"], "extra": r["EXTRA"], "charset": r["CHARACTER_SET_NAME"],
                "collation": r["COLLATION_NAME"], "numeric_precision": r["NUMERIC_PRECISION"],
                "numeric_scale": r["NUMERIC_SCALE"], "max_length": r["CHARACTER_MAXIMUM_LENGTH"]})
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for r in key_rows:
            t = out_tables.get(r["TABLE_NAME"])
            if t is None:
                continue
            if r["CONSTRAINT_TYPE"] == "PRIMARY KEY":
                t["primary_key"].append(r["COLUMN_NAME"])
                continue
            key = (r["TABLE_NAME"], r["CONSTRAINT_NAME"])
            entry = grouped.get(key)
            if entry is None:
                if r["CONSTRAINT_TYPE"] == "FOREIGN KEY":
                    entry = {"name": r["CONSTRAINT_NAME"], "columns": [], "referenced_table": r["REFERENCED_TABLE_NAME"],
                             "referenced_columns": []}
                    t["foreign_keys"].append(entry)
                elif r["CONSTRAINT_TYPE"] == "UNIQUE":
                    entry = {"name": r["CONSTRAINT_NAME"], "columns": []}
                    t["unique_keys"].append(entry)
                else:
                    continue
                grouped[key] = entry
            entry["columns"].append(r["COLUMN_NAME"])
            if "referenced_columns" in entry:
                entry["referenced_columns"].append(r["REFERENCED_COLUMN_NAME"])
        views = [{"name": r["TABLE_NAME"], "definition": r["VIEW_DEFINITION"], "check_option": r["CHECK_OPTION"],
                  "is_updatable": r["IS_UPDATABLE"] == "YES", "security_type": r["SECURITY_TYPE"]}
                 for r in view_rows if wanted is None or r["TABLE_NAME"] in wanted]
        return {"database": database, "tables": list(out_tables.values()), "views": views}

    def grants(self) -> dict[str, Any]:
        """The current user's grants and what they allow on the configured database."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT CURRENT_USER(), DATABASE()")
            current_user, database = cur.fetchone()
            cur.execute("SHOW GRANTS FOR CURRENT_USER()")
            lines = [row[0] for row in cur.fetchall()]
        privileges = effective_privileges(lines, database or "")
        return {"user": current_user, "database": database, "grants": [_redact_grant(l) for l in lines],
                "privileges": sorted(privileges),
                "can": {p: p.upper().replace("_", " ") in privileges
                        for p in ("select", "create_view", "show_view", "drop")},
                "read_only_switch": self.settings.read_only}

    def _set_timeout(self, cur: Any, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.flavour(cur) == "mariadb":
            cur.execute("SET SESSION max_statement_time = %s", (float(seconds),))
        else:
            cur.execute("SET SESSION max_execution_time = %s", (int(seconds * 1000),))


def _redact_grant(line: str) -> str:
    """SHOW GRANTS prints password hashes; they never leave the server."""
    return re.sub(r"IDENTIFIED BY PASSWORD '[^']*'", "IDENTIFIED BY PASSWORD '<redacted>'",
                  re.sub(r"USING '[^']*'", "USING '<redacted>'", line))


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, value = text.split(":", 1)
        if kind != "offset" or int(value) < 0:
            raise ValueError(text)
        return int(value)
    except ValueError as exc:
        raise ToolFailure(ErrorCode.INVALID, "cursor is not one this server returned; start again without it") from exc


def build_server(settings: Settings | None = None) -> FastMCP:
    tools = MySQLTools(settings or Settings.from_env())
    server = common.ToolServer("migrator-mysql", instructions="Typed, paginated MySQL access for migrator.")
    for fn, read_only in ((tools.server_info, True), (tools.query, True), (tools.list_tables, True),
                          (tools.describe_schema, True), (tools.grants, True), (tools.execute_ddl, False)):
        common.register(server, fn, read_only=read_only, classify=classify)
    return server


def main() -> None:
    common.run_stdio(build_server())
