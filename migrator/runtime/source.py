"""Stream rows out of MySQL without holding a table in memory.

An unbuffered (SS) cursor keeps memory flat for any table size. The session runs at
time zone +00:00 so TIMESTAMP values arrive in UTC (items.py then treats naive datetimes
as UTC), and with a long net_write_timeout so a slow DynamoDB (throttling backoff) cannot
make the server drop a half-read result.
"""

from __future__ import annotations

from typing import Any, Dict, Generator, Mapping, Sequence

import pymysql
import pymysql.cursors

SESSION_SETUP = "SET time_zone = '+00:00', net_write_timeout = 3600"


def connect(params: Mapping[str, Any]) -> pymysql.connections.Connection:
    """A connection from {host, port, user, password, database} (unix_socket optional)."""
    options: Dict[str, Any] = {
        "user": params["user"], "password": params.get("password") or "", "database": params.get("database"),
        "charset": "utf8mb4", "autocommit": True, "connect_timeout": 15, "init_command": SESSION_SETUP,
    }
    if params.get("unix_socket"):
        options["unix_socket"] = params["unix_socket"]
    else:
        options["host"] = params["host"]
        options["port"] = int(params.get("port") or 3306)
    return pymysql.connect(**options)


def stream_rows(conn_params: Mapping[str, Any], sql: str,
                fetch_size: int = 1000) -> Generator[Dict[str, Any], None, None]:
    """Rows of `sql` as dicts (column name -> value), fetched `fetch_size` at a time.

    The connection closes when the iterator is exhausted or closed.
    """
    conn = connect(conn_params)
    cursor = None
    finished = False
    try:
        cursor = conn.cursor(pymysql.cursors.SSDictCursor)
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(fetch_size)
            if not rows:
                break
            yield from rows
        cursor.close()
        finished = True
    finally:
        if not finished:
            _abandon(cursor, conn)
        _close_quietly(conn)


def _abandon(cursor: Any, conn: Any) -> None:
    """Forget an unread result: pymysql would otherwise read the rest of it (possibly millions
    of rows) when the cursor is closed or collected. Private attributes of the vendored
    pymysql, whose version the bundle pins."""
    try:
        result = getattr(conn, "_result", None)
        if result is not None:
            result.unbuffered_active = False
        if cursor is not None:
            cursor.connection = None
    except AttributeError:
        pass


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # already broken: nothing left to release
        pass


def quote_identifier(name: str) -> str:
    """A MySQL identifier in backticks (backticks inside doubled)."""
    return "`" + name.replace("`", "``") + "`"


def quote_table(name: str) -> str:
    """A view or table name; `db.view` means view `view` of database `db`."""
    return ".".join(quote_identifier(part) for part in name.split(".", 1))


def select_sql(view: str, columns: Sequence[str]) -> str:
    """SELECT exactly the item's attributes: a view lacking one fails at once with MySQL's message."""
    return f"SELECT {', '.join(quote_identifier(c) for c in columns)} FROM {quote_table(view)}"
