"""The `mysql_mcp_server` adapter against the real PyPI server (0.4.4) and a real MariaDB.

Every expectation is computed from the Python values the test inserted (with pymysql as
root), never from the adapter's own output; the built-in server (BuiltinMySQL) answers
the same queries as a second, independent implementation of the same facade.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from migrator.mcp.adapters.builtin import BuiltinMySQL
from migrator.mcp.adapters.mysql_mcp_server.adapter import MysqlMcpServerAdapter
from migrator.mcp.client import McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.errors import ErrorCode, ToolError
from migrator.mysql_schema import Column
from tests.conftest import root_connection

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.asynccontextmanager
async def open_adapters(sandbox: Any, db: str, tmp_path: Path, *, env: Mapping[str, str] | None = None,
                        builtin: bool = False) -> AsyncIterator[tuple[MysqlMcpServerAdapter, Any]]:
    """The adapter on a real `mysql_mcp_server` process (and optionally the built-in server beside it)."""
    server_env = {**sandbox.mysql_env(), "MYSQL_DATABASE": db, **(env or {})}
    servers: dict[str, Any] = {"ws": {"command": "mysql_mcp_server", "args": [], "env": server_env}}
    if builtin:
        servers["mb"] = {"command": sys.executable, "args": ["-m", "migrator", "mcp", "serve", "mysql"],
                         "env": {**sandbox.mysql_env(), "MYSQL_DATABASE": db}}
    config = parse_config({"mcpServers": servers,
                           "migrator": {"roles": {"mysql": {"server": "ws", "adapter": "mysql_mcp_server"}}}},
                          None, os.environ)
    async with McpHub(config, log_dir=tmp_path / "logs") as hub:
        yield MysqlMcpServerAdapter(hub, "ws"), (BuiltinMySQL(hub, "mb") if builtin else None)


def execute(sandbox: Any, db: str, *statements: str) -> None:
    with root_connection(sandbox, db) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def insert_many(sandbox: Any, db: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
    with root_connection(sandbox, db) as conn, conn.cursor() as cur:
        cur.executemany(sql, rows)


def probe_views(sandbox: Any, db: str) -> list[str]:
    with root_connection(sandbox) as conn, conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "AND TABLE_NAME LIKE %s", (db, "\\_\\_migrator\\_probe%"))
        return [r[0] for r in cur.fetchall()]


def time_text(value: dt.timedelta) -> str:
    """How a TIME reads back: [-]HH:MM:SS, with .ffffff only when there is a fraction."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rem = divmod(value.days * 86400 + value.seconds, 3600)
    minutes, seconds = divmod(rem, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}" + (f".{value.microseconds:06d}" if value.microseconds else "")


# ----------------------------------------------------------------------------- typed values

TYPED_DDL = """CREATE TABLE typed (
  id INT PRIMARY KEY, i INT, big BIGINT, ubig BIGINT UNSIGNED, dec4 DECIMAL(12,4), dbl DOUBLE, fl FLOAT,
  s VARCHAR(200), ch CHAR(5), en ENUM('x','y;z'), d DATE, dt3 DATETIME(3), dt6 DATETIME(6), ts TIMESTAMP(6) NULL,
  tm TIME, tm6 TIME(6), j JSON, vb VARBINARY(64), bl BLOB, b BOOL, t1 TINYINT(1), bt BIT(10)
) CHARACTER SET utf8mb4"""
TYPED_COLUMNS = ("id", "i", "big", "ubig", "dec4", "dbl", "fl", "s", "ch", "en", "d", "dt3", "dt6", "ts", "tm", "tm6",
                 "j", "vb", "bl", "b", "t1", "bt")
TYPED_KINDS = ("integer", "integer", "integer", "integer", "decimal", "float", "float", "string", "string", "string",
               "date", "datetime", "datetime", "datetime", "time", "time", "string", "binary", "binary", "integer",
               "integer", "binary")
D = decimal.Decimal
STRINGS = ["a,b,c", "it's \"quoted\"", "back\\slash \\n not a newline", "line1\nline2\r\nline3", "semi;colon; DROP TABLE typed",
           "😀 emoji, 漢字 CJK, é", "", None, "tab\tand NUL \x00 inside", ",", "'", '"', "\\", "NULL"]


def typed_rows() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for n, s in enumerate(STRINGS):
        odd = n % 2 == 1
        rows.append((
            n + 1, [-2147483648, 2147483647, 0][n % 3], [-9223372036854775808, 9223372036854775807, 42][n % 3],
            18446744073709551615 if odd else 0,
            [D("12345678.1234"), D("-0.0001"), D("0.1000"), D("-99999999.9999")][n % 4],
            [0.1 + 0.2, 1 / 3, 1e300, -2.5e-300, 123456789.12345679][n % 5],
            [1.5, -0.25, 1024.0][n % 3],
            s, ["ab   ", "abcde", " x"][n % 3], ["x", "y;z"][n % 2],
            dt.date(2024, 2, 29) + dt.timedelta(days=n), dt.datetime(2024, 2, 29, 23, 59, 59, 123000) + dt.timedelta(days=n),
            dt.datetime(1999, 12, 31, 23, 59, 59, 999999) - dt.timedelta(hours=n),
            dt.datetime(2038, 1, 19, 3, 14, 7, 499999) - dt.timedelta(days=n * 100),
            [dt.timedelta(hours=-838, minutes=-59, seconds=-59), dt.timedelta(hours=838, minutes=59, seconds=59),
             dt.timedelta(seconds=1), dt.timedelta(0)][n % 4],
            dt.timedelta(hours=12, minutes=34, seconds=56, microseconds=789000 if odd else 0),
            ['{"k": [1, 2.5, "x;y"],  "u": "漢", "q": "\\"\'"}', "[]", '"a string"', "null", "3.14"][n % 5],
            [b"\x00\xff\x01;,\n'\"\\", bytes(range(0, 256, 5)), b"", b"\x00"][n % 4],
            bytes(range(256)) * (n + 1),
            odd, not odd, [0, 1, 641, 1023][n % 4],
        ))
    rows.append((100,) + (None,) * (len(TYPED_COLUMNS) - 1))
    return rows


def expected_typed(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """What each inserted value must read back as, computed from the inserted Python value alone."""
    out = []
    for r in rows:
        (id_, i, big, ubig, dec4, dbl, fl, s, ch, en, d, dt3, dt6, ts, tm, tm6, j, vb, bl, b, t1, bt) = r
        out.append((
            id_, i, big, ubig, dec4, dbl, fl, s, None if ch is None else ch.rstrip(" "), en, d,
            None if dt3 is None else dt3.replace(microsecond=dt3.microsecond // 1000 * 1000), dt6, ts,
            None if tm is None else time_text(tm), None if tm6 is None else time_text(tm6), j, vb, bl,
            None if b is None else int(b), None if t1 is None else int(t1),
            None if bt is None else bt.to_bytes(2, "big"),
        ))
    return out


def assert_same_rows(got: tuple[tuple[Any, ...], ...], want: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        for name, gv, wv in zip(TYPED_COLUMNS, g, w):
            assert type(gv) is type(wv), (g[0], name, gv, wv)
            assert gv == wv, (g[0], name, gv, wv)
            if isinstance(wv, D):
                assert str(gv) == str(D(wv).quantize(D("0.0001"))), (name, gv)  # exact scale, never a float


async def test_typed_values_match_python_and_builtin(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, TYPED_DDL)
    rows = typed_rows()
    insert_many(sandbox, mysql_db, f"INSERT INTO typed VALUES ({', '.join(['%s'] * len(TYPED_COLUMNS))})", rows)
    want = expected_typed(rows)
    async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
        got = await adapter.query("SELECT * FROM typed ORDER BY id")
        reference = await builtin.query("SELECT * FROM typed ORDER BY id")
    assert got.names == list(TYPED_COLUMNS)
    assert [c.type for c in got.columns] == list(TYPED_KINDS)
    assert_same_rows(got.rows, want)
    assert_same_rows(reference.rows, want)  # the two real implementations agree with the same expectation
    assert got.columns == reference.columns
    assert got.rows == reference.rows
    assert probe_views(sandbox, mysql_db) == []


async def test_empty_result_and_expressions(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE e (id INT PRIMARY KEY, v VARCHAR(10))")
    async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
        empty = await adapter.query("SELECT id, v FROM e")
        assert empty.rows == () and empty.names == ["id", "v"]
        commented = await adapter.query("SELECT 7 AS seven -- a trailing comment")
        assert commented.rows == ((7,),)
        commented = await adapter.query("SELECT 8 AS eight # another")
        assert commented.rows == ((8,),)
        sql = "SELECT 1 + 1 AS two, 1 / 4 AS quarter, CAST('2020-01-02' AS DATE) AS d, NULL AS nothing, 'x;y' AS semi"
        got = await adapter.query(sql)
        reference = await builtin.query(sql)
    assert got.rows == ((2, D("0.2500"), dt.date(2020, 1, 2), None, "x;y"),)
    assert got.rows == reference.rows
    assert probe_views(sandbox, mysql_db) == []


async def test_timestamps_read_in_utc_whatever_the_server_zone(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    """mysql_mcp_server reads in the server's zone; the adapter must still answer in UTC like the built-in one."""
    execute(sandbox, mysql_db, "CREATE TABLE tz (id INT PRIMARY KEY, ts TIMESTAMP(3) NULL, k TIMESTAMP NULL)")
    inserted = [(1, dt.datetime(2024, 6, 30, 22, 30, 0, 250000), dt.datetime(2024, 1, 1, 0, 0, 0)),
                (2, dt.datetime(2000, 1, 1, 0, 0, 0), dt.datetime(2024, 1, 1, 0, 0, 1))]
    insert_many(sandbox, mysql_db, "INSERT INTO tz VALUES (%s, %s, %s)", inserted)  # root session is UTC
    with root_connection(sandbox) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@GLOBAL.time_zone")
        (previous,) = cur.fetchone()
        cur.execute("SET GLOBAL time_zone = '+05:00'")
    try:
        async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
            got = await adapter.query("SELECT id, ts, k FROM tz ORDER BY id")
            adapter.initial_page = 1  # the keyset literal of page 2 must be read in UTC as well
            keyed = await adapter.query("SELECT k, id FROM tz", key=["k"])
            reference = await builtin.query("SELECT id, ts, k FROM tz ORDER BY id")
            info = await adapter.server_info()
    finally:
        with root_connection(sandbox) as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL time_zone = %s", (previous,))
    assert got.rows == tuple(inserted)
    assert reference.rows == tuple(inserted)
    assert keyed.rows == tuple((k, i) for i, _, k in inserted)
    assert info.time_zone == "+00:00"


# ----------------------------------------------------------------------------- params and ';'

async def test_params_and_literals_with_semicolons_and_quotes(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE p (id INT PRIMARY KEY, s VARCHAR(100) COLLATE utf8mb4_unicode_ci, "
                               "b VARBINARY(10), d DATE, n DECIMAL(6,2))")
    values = [(1, "semi;colon", b"\x00;", dt.date(2024, 1, 1), D("1.50")),
              (2, "it's \"both\"; quoted", b"\xff", dt.date(2024, 1, 2), D("-2.25")),
              (3, "'; DROP TABLE p; --", b"", dt.date(2024, 1, 3), D("0.00")),
              (4, "plain", None, None, None),
              (5, "PLAIN", b"x", dt.date(2024, 1, 5), D("9.99"))]
    insert_many(sandbox, mysql_db, "INSERT INTO p VALUES (%s, %s, %s, %s, %s)", values)
    async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
        sql = "SELECT id, s FROM p WHERE s IN (%s, %s, %s) ORDER BY id"
        params = ["semi;colon", "it's \"both\"; quoted", "'; DROP TABLE p; --"]
        got = await adapter.query(sql, params)
        assert got.rows == tuple((v[0], v[1]) for v in values[:3])
        assert got.rows == (await builtin.query(sql, params)).rows
        # bytes, dates, decimals, None and a case-insensitive match through a non-default collation
        assert (await adapter.query("SELECT id FROM p WHERE b = %s", [b"\x00;"])).rows == ((1,),)
        assert (await adapter.query("SELECT id FROM p WHERE d = %s AND n = %s", [dt.date(2024, 1, 2), D("-2.25")])).rows == ((2,),)
        assert (await adapter.query("SELECT id FROM p WHERE s = %s ORDER BY id", ["Plain"])).rows == ((4,), (5,))
        assert (await adapter.query("SELECT COUNT(*) AS c FROM p WHERE d <=> %s", [None])).rows == ((1,),)
        # literals in the SQL itself: the server refuses any ';', the adapter sends them as hex
        literal = await adapter.query("SELECT 'a;b' AS x, \"c;'d\" AS y, id FROM p WHERE s = 'semi;colon' ORDER BY id;")
        assert literal.rows == (("a;b", "c;'d", 1),)
        assert literal.names == ["x", "y", "id"]
        # MySQL escapes inside the literal: '' and \' are quotes, \\ is one backslash, \n a newline, \; just ';'
        odd = await adapter.query("SELECT _latin1'q;r' AS l, N'n;m' AS n, 'it''s;' AS doubled, 'x\\';y' AS esc, "
                                  "'back\\\\;' AS bs, 'nl\\n;' AS nl, 'drop\\;' AS dropped, 'a;%%' LIKE 'a;%%' AS likes, "
                                  "_binary'b;' AS bin")
        assert odd.rows == (("q;r", "n;m", "it's;", "x';y", "back\\;", "nl\n;", "drop;", 1, b"b;"),)
        assert odd.columns[-1] == Column("bin", "binary")
    with root_connection(sandbox, mysql_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM p")
        assert cur.fetchone() == (5,)
    assert probe_views(sandbox, mysql_db) == []


# ----------------------------------------------------------------------------- pagination

async def test_many_rows_complete_and_timed_against_builtin(sandbox: Any, mysql_db: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE many (id INT PRIMARY KEY, v VARCHAR(20), x DECIMAL(8,2))")
    rows = [(i, f"v{i},{i % 7}", D(i) / 4) for i in range(1, 3001)]
    insert_many(sandbox, mysql_db, "INSERT INTO many VALUES (%s, %s, %s)", rows)
    want = tuple((i, v, x.quantize(D("0.01"))) for i, v, x in rows)
    async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
        await adapter.server_info()  # start both processes before timing
        await builtin.server_info()
        adapter_times, builtin_times = [], []
        for _ in range(3):  # interleaved, best of three
            began = time.perf_counter()
            got = await adapter.query("SELECT id, v, x FROM many ORDER BY id")
            adapter_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            reference = await builtin.query("SELECT id, v, x FROM many ORDER BY id")
            builtin_times.append(time.perf_counter() - began)
        adapter_s, builtin_s = min(adapter_times), min(builtin_times)
        keyed = await adapter.query("SELECT id, v, x FROM many", key=["id"])
        unordered = await adapter.query("SELECT v, id, x FROM many")
    assert got.rows == want
    assert reference.rows == want
    assert keyed.rows == want
    assert sorted(unordered.rows, key=lambda r: r[1]) == [(v, i, x) for i, v, x in want]
    with capsys.disabled():
        print(f"\n3000 rows: mysql_mcp_server adapter {adapter_s:.3f} s, builtin {builtin_s:.3f} s, "
              f"ratio {adapter_s / builtin_s:.1f}x")


def count_cut_pages(adapter: MysqlMcpServerAdapter) -> list[int]:
    """Records each page the server cut (the adapter then halves the page)."""
    cuts: list[int] = []
    original = adapter._json_page

    async def spy(*args: Any) -> Any:
        page = await original(*args)
        if page is None:
            cuts.append(1)
        return page

    adapter._json_page = spy  # type: ignore[method-assign,assignment]
    return cuts


async def test_pages_halve_under_group_concat_max_len(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE wide (id INT PRIMARY KEY, body MEDIUMTEXT)")
    # 300 rows of 8 KB: 2.4 MB per query, over MariaDB's 1 MiB cut; half of them multi-byte (CJK, emoji).
    rows = [(i, (f"{i:05d};" + ("漢字😀" if i % 2 else "abc,\"d\n")) * 1200)[:8192] for i in range(300)]
    insert_many(sandbox, mysql_db, "INSERT INTO wide VALUES (%s, %s)", rows)
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        cuts = count_cut_pages(adapter)
        got = await adapter.query("SELECT id, body FROM wide ORDER BY id")
        assert cuts, "the pages never exceeded group_concat_max_len: this test proves nothing"
        cuts.clear()
        keyed = await adapter.query("SELECT body, id FROM wide", key=["id"])
        assert cuts
    assert got.rows == tuple(rows)
    assert keyed.rows == tuple((b, i) for i, b in rows)
    assert probe_views(sandbox, mysql_db) == []


async def test_cut_between_two_rows_is_detected(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    """MariaDB closes a cut JSON_ARRAYAGG with ']': a cut exactly between rows is valid JSON, one row short."""
    execute(sandbox, mysql_db, "CREATE TABLE edge (id INT PRIMARY KEY, body LONGTEXT)")
    # Each page row travels as JSON_ARRAY(id, body, row_number) = '[1, "<body>", 1]': 10 bytes + the body,
    # so a 1048566-byte body makes it exactly group_concat_max_len (1 MiB) long and the cut falls right after it.
    length = 1024 * 1024 - 10
    rows = [(1, "a" * length), (2, "b" * length)]
    insert_many(sandbox, mysql_db, "INSERT INTO edge VALUES (%s, %s)", rows)
    with root_connection(sandbox, mysql_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@group_concat_max_len, MAX(LENGTH(JSON_ARRAY(id, body, 1))) FROM edge")
        assert cur.fetchone() == (1024 * 1024, 1024 * 1024)  # the premise of this test
        cur.execute("SELECT JSON_VALID(j), JSON_LENGTH(j) FROM (SELECT JSON_ARRAYAGG(JSON_ARRAY(id, body, 1)) AS j "
                    "FROM edge) x")
        assert cur.fetchone() == (1, 1)  # the server's answer for both rows: valid, with one of them
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        got = await adapter.query("SELECT id, body FROM edge ORDER BY id")
        keyed = await adapter.query("SELECT id, body FROM edge", key=["id"])
    assert [r[0] for r in got.rows] == [1, 2] and got.rows == tuple(rows)
    assert keyed.rows == tuple(rows)


async def test_single_row_over_the_limit_is_limit_exceeded(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE huge (id INT PRIMARY KEY, body LONGTEXT)")
    insert_many(sandbox, mysql_db, "INSERT INTO huge VALUES (%s, %s)", [(1, "small"), (2, "x" * (1024 * 1024 + 100))])
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        assert (await adapter.query("SELECT id, body FROM huge WHERE id = 1")).rows == ((1, "small"),)
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT id, body FROM huge ORDER BY id")
    err = info.value
    assert err.code is ErrorCode.LIMIT_EXCEEDED
    assert "'ws'" in str(err) and "group_concat_max_len" in str(err)
    assert "\n" not in str(err) and "Traceback" not in str(err)
    assert probe_views(sandbox, mysql_db) == []


async def test_keyset_over_case_insensitive_collation(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE ci (k VARCHAR(10) COLLATE utf8mb4_unicode_ci PRIMARY KEY, n INT, "
                               "tag VARCHAR(10) COLLATE utf8mb4_general_ci)")
    keys = ["a", "B", "c", "D", "e", "F", "gg", "Gh", "h;i", "I'j", "z", "Zz"]
    rows = [(k, n, "A" if n % 2 else "a") for n, k in enumerate(keys)]
    insert_many(sandbox, mysql_db, "INSERT INTO ci VALUES (%s, %s, %s)", rows)
    sql_order = sorted(rows, key=lambda r: r[0].lower())  # what the collation orders by; Python's would put 'B' first
    assert [r[0] for r in sql_order] != sorted(keys)
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        for page in (1, 2, 3, 5, 1000):
            adapter.initial_page = page
            got = await adapter.query("SELECT k, n, tag FROM ci", key=["k"])
            assert got.rows == tuple(sql_order), page
            both = await adapter.query("SELECT tag, k, n FROM ci", key=["tag", "k"])
            assert sorted(both.rows) == sorted((t, k, n) for k, n, t in rows), page
            assert len(set(both.rows)) == len(rows)
            # without a key: values equal under the collation ('a' and 'A') still come back exactly once, in SQL order
            plain = await adapter.query("SELECT tag, n FROM ci ORDER BY n DESC")
            assert plain.rows == tuple((t, n) for _, n, t in sorted(rows, key=lambda r: -r[1])), page
            tags = await adapter.query("SELECT tag FROM ci")
            assert sorted(tags.rows) == sorted((t,) for _, _, t in rows), page
    assert probe_views(sandbox, mysql_db) == []


async def test_sql_order_survives_pagination_without_key(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE o (id INT PRIMARY KEY, grp VARCHAR(5) COLLATE utf8mb4_general_ci, "
                               "w VARCHAR(20), score DECIMAL(5,1))")
    rows = [(i, ["x", "X", "y"][i % 3], "w" * (i % 11 + 1), D(i * 7 % 23) / 2) for i in range(1, 41)]
    insert_many(sandbox, mysql_db, "INSERT INTO o VALUES (%s, %s, %s, %s)", rows)
    by_id_desc = [(i, g) for i, g, _, _ in sorted(rows, key=lambda r: -r[0])]
    by_len = [(i,) for i, _, w, _ in sorted(rows, key=lambda r: (-len(r[2]), r[0]))]
    by_score = [(s, i) for i, _, _, s in sorted(rows, key=lambda r: (r[3], -r[0]))]
    async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
        adapter.initial_page = 7
        assert (await adapter.query("SELECT id, grp FROM o ORDER BY id DESC")).rows == tuple(by_id_desc)
        assert (await adapter.query("SELECT o.id, o.grp FROM o ORDER BY o.id DESC")).rows == tuple(by_id_desc)
        assert (await adapter.query("SELECT id AS ident, grp FROM o ORDER BY 1 DESC")).rows == tuple(by_id_desc)
        # an ORDER BY expression that is not selected travels as a hidden column and is not returned
        got = await adapter.query("SELECT id FROM o ORDER BY LENGTH(w) DESC, id")
        assert got.names == ["id"] and got.rows == tuple(by_len)
        assert got.rows == (await builtin.query("SELECT id FROM o ORDER BY LENGTH(w) DESC, id")).rows
        assert (await adapter.query("SELECT score, id FROM o ORDER BY score, id DESC")).rows == tuple(by_score)
        union = await adapter.query("SELECT id FROM o WHERE id < 4 UNION ALL SELECT id + 100 FROM o WHERE id < 4 "
                                    "ORDER BY id DESC")
        assert union.rows == ((103,), (102,), (101,), (3,), (2,), (1,))
        # an expression longer than a view's column name limit, without an alias
        long_sql = "SELECT CONCAT('" + "a" * 70 + "', id) FROM o WHERE id = 1"
        long_got = await adapter.query(long_sql)
        assert long_got.rows == (("a" * 70 + "1",),)
    assert probe_views(sandbox, mysql_db) == []


async def test_keyset_over_typed_composite_key(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE tk (d DATETIME(6), b VARBINARY(8), x DECIMAL(8,3), f DOUBLE, "
                               "v VARCHAR(10), PRIMARY KEY (d, b, x, f))")
    rows = [(dt.datetime(2024, 1, 1, 0, 0, i % 3, (i % 2) * 500000), bytes([i % 4, 0xFF]) if i % 5 else b"\x00;",
             D(i % 3) / 8, (0.1 + 0.2) * (i % 2), f"r{i}") for i in range(30)]
    rows = list({r[:4]: r for r in rows}.values())
    insert_many(sandbox, mysql_db, "INSERT INTO tk VALUES (%s, %s, %s, %s, %s)", rows)
    want = sorted(((d, b, x.quantize(D("0.001")), f, v) for d, b, x, f, v in rows), key=lambda r: r[:4])
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        for page in (1, 2, 7):
            adapter.initial_page = page
            got = await adapter.query("SELECT d, b, x, f, v FROM tk", key=["d", "b", "x", "f"])
            assert list(got.rows) == want, page


# ----------------------------------------------------------------------------- metadata

SCHEMA_DDL = [
    "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL)",
    "CREATE TABLE pair (a INT, b VARCHAR(10), label TEXT, PRIMARY KEY (a, b))",
    "CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id INT NULL, pa INT, pb VARCHAR(10), amount DECIMAL(10,2),"
    " CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id),"
    " CONSTRAINT fk_pair FOREIGN KEY (pa, pb) REFERENCES pair (a, b))",
    "CREATE VIEW child_names AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.parent_id",
]


async def test_server_info_tables_schema_grants(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, *SCHEMA_DDL)
    async with open_adapters(sandbox, mysql_db, tmp_path, builtin=True) as (adapter, builtin):
        info = await adapter.server_info()
        tables = await adapter.list_tables()
        schema = await adapter.describe_schema()
        only_child = await adapter.describe_schema(["child"])
        grants = await adapter.grants()
        ref_info, ref_tables, ref_schema, ref_grants = (await builtin.server_info(), await builtin.list_tables(),
                                                        await builtin.describe_schema(), await builtin.grants())
    assert info.flavour == "mariadb" and info.database == mysql_db
    assert info.current_user.startswith(sandbox.mysql_user + "@")
    assert info == ref_info
    assert tables == {"parent": "table", "pair": "table", "child": "table", "child_names": "view"}
    assert tables == ref_tables
    child = schema.tables["child"]
    assert child.primary_key == ("id",)
    assert schema.tables["pair"].primary_key == ("a", "b")
    assert {fk.name: (fk.columns, fk.referenced_table, fk.referenced_columns) for fk in child.foreign_keys} == {
        "fk_parent": (("parent_id",), "parent", ("id",)), "fk_pair": (("pa", "pb"), "pair", ("a", "b"))}
    assert [c.name for c in child.columns] == ["id", "parent_id", "pa", "pb", "amount"]
    amount, parent_id, name = child.column("amount"), child.column("parent_id"), schema.tables["parent"].column("name")
    assert amount is not None and parent_id is not None and name is not None
    assert amount.column_type == "decimal(10,2)" and parent_id.nullable and not name.nullable
    assert schema.tables["child_names"].kind == "view"
    definition = schema.views["child_names"].definition.lower()
    assert f"`{mysql_db}`.`child`" in definition and f"`{mysql_db}`.`parent`" in definition
    assert set(schema.views) == {"child_names"}
    assert schema == ref_schema
    assert set(only_child.tables) == {"child"} and only_child.views == {}
    assert grants.can_select and grants.can_create_view
    assert grants == ref_grants


async def test_tables_whose_names_differ_only_in_case(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    """Two tables (lower_case_table_names=0); information_schema compares names case-insensitively."""
    execute(sandbox, mysql_db, "CREATE TABLE casey (a INT PRIMARY KEY)", "CREATE TABLE Casey (b INT PRIMARY KEY, c INT)",
            "CREATE TABLE kid (id INT PRIMARY KEY, b INT, CONSTRAINT fk_kid FOREIGN KEY (b) REFERENCES Casey (b))",
            "CREATE TABLE Kid (id INT PRIMARY KEY, a INT, CONSTRAINT fk_upper FOREIGN KEY (a) REFERENCES casey (a))")
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        adapter.initial_page = 1  # every keyset step compares names
        tables = await adapter.list_tables()
        schema = await adapter.describe_schema()
    assert tables == {"casey": "table", "Casey": "table", "kid": "table", "Kid": "table"}
    assert [c.name for c in schema.tables["casey"].columns] == ["a"]
    assert [c.name for c in schema.tables["Casey"].columns] == ["b", "c"]
    assert schema.tables["casey"].primary_key == ("a",) and schema.tables["Casey"].primary_key == ("b",)
    assert [(f.name, f.columns, f.referenced_table) for f in schema.tables["kid"].foreign_keys] == [("fk_kid", ("b",), "Casey")]
    assert [(f.name, f.columns, f.referenced_table) for f in schema.tables["Kid"].foreign_keys] == [("fk_upper", ("a",), "casey")]


async def test_create_and_drop_view(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE base (id INT PRIMARY KEY, s VARCHAR(20))")
    insert_many(sandbox, mysql_db, "INSERT INTO base VALUES (%s, %s)", [(1, "a;b"), (2, "c")])

    def views() -> dict[str, str]:
        with root_connection(sandbox) as conn, conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s",
                        (mysql_db,))
            return dict(cur.fetchall())

    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        await adapter.create_view("v_semi", "SELECT id, s FROM base WHERE s <> 'x;y'")
        assert set(views()) == {"v_semi"}
        assert (await adapter.query("SELECT id, s FROM v_semi ORDER BY id")).rows == ((1, "a;b"), (2, "c"))
        await adapter.create_view("v_semi", "SELECT id FROM base WHERE id = 2")  # OR REPLACE
        assert (await adapter.query("SELECT * FROM v_semi")).rows == ((2,),)
        await adapter.drop_view("v_semi")
        assert views() == {}
        await adapter.drop_view("v_semi")  # IF EXISTS: dropping twice is fine


# ----------------------------------------------------------------------------- errors

def assert_one_sentence(err: ToolError, code: ErrorCode) -> None:
    text = str(err)
    assert err.code is code, text
    assert "'ws'" in text, text
    assert "\n" not in text and "Traceback" not in text and "File \"" not in text, text
    assert text.endswith("."), text


async def test_errors_are_coded_sentences_and_leave_no_probe(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    execute(sandbox, mysql_db, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
    async with open_adapters(sandbox, mysql_db, tmp_path) as (adapter, _):
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT id FROM t WHERE")
        assert_one_sentence(info.value, ErrorCode.INVALID)
        assert "syntax" in str(info.value)
        with pytest.raises(ToolError) as info:
            await adapter.query("SELEC id FROM t")
        assert_one_sentence(info.value, ErrorCode.INVALID)
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT id FROM missing_table")
        assert_one_sentence(info.value, ErrorCode.NOT_FOUND)
        assert "missing_table" in str(info.value)
        # valid as a view, fails only when run: the probe view exists for a moment and must be dropped
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT (SELECT id FROM t) AS x")
        assert_one_sentence(info.value, ErrorCode.INVALID)
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT id FROM t", key=["nope"])
        assert_one_sentence(info.value, ErrorCode.INVALID)
        with pytest.raises(ToolError) as info:
            await adapter.query("DELETE FROM t")
        assert_one_sentence(info.value, ErrorCode.INVALID)  # as the built-in server answers
        with pytest.raises(ToolError) as info:
            await adapter.query("SHOW TABLES")
        assert_one_sentence(info.value, ErrorCode.UNSUPPORTED)  # the built-in server can; this adapter cannot
        execute(sandbox, mysql_db, "CREATE TABLE nk (k INT NULL, v INT)", "INSERT INTO nk VALUES (NULL, 1), (NULL, 2), (3, 3)")
        adapter.initial_page = 1
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT k, v FROM nk", key=["k"])
        assert_one_sentence(info.value, ErrorCode.INVALID)
        assert "NULL" in str(info.value)
        adapter.initial_page = 1000
        assert (await adapter.query("SELECT id FROM t ORDER BY id")).rows == ((1,), (2,))
    assert probe_views(sandbox, mysql_db) == []
    with root_connection(sandbox, mysql_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM t")
        assert cur.fetchone() == (2,)


async def test_wrong_password_is_access_denied(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    async with open_adapters(sandbox, mysql_db, tmp_path, env={"MYSQL_PASSWORD": "wrong-password"}) as (adapter, _):
        with pytest.raises(ToolError) as info:
            await adapter.query("SELECT 1 AS one")
        assert_one_sentence(info.value, ErrorCode.ACCESS_DENIED)
        with pytest.raises(ToolError) as info:
            await adapter.server_info()
        assert_one_sentence(info.value, ErrorCode.ACCESS_DENIED)
        assert "wrong-password" not in str(info.value)


async def test_user_without_create_view(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    """Metadata works with SELECT alone; query() needs CREATE VIEW for its probe, and says so."""
    execute(sandbox, mysql_db, "CREATE TABLE r (id INT PRIMARY KEY)")
    user, password = f"ro_{mysql_db[-8:]}", "ro-password-1"
    with root_connection(sandbox) as conn, conn.cursor() as cur:
        cur.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
        cur.execute(f"GRANT SELECT ON `{mysql_db}`.* TO %s@'127.0.0.1'", (user,))
    try:
        async with open_adapters(sandbox, mysql_db, tmp_path,
                                 env={"MYSQL_USER": user, "MYSQL_PASSWORD": password}) as (adapter, _):
            assert await adapter.list_tables() == {"r": "table"}
            grants = await adapter.grants()
            assert grants.can_select and not grants.can_create_view
            with pytest.raises(ToolError) as info:
                await adapter.query("SELECT id FROM r")
        assert_one_sentence(info.value, ErrorCode.ACCESS_DENIED)
        assert "CREATE VIEW" in str(info.value) and str(info.value).count("MCP server") == 1
    finally:
        with root_connection(sandbox) as conn, conn.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'127.0.0.1'", (user,))


async def test_unreachable_server_is_unavailable(sandbox: Any, mysql_db: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with open_adapters(sandbox, mysql_db, tmp_path, env={"MYSQL_PORT": str(port)}) as (adapter, _):
        with pytest.raises(ToolError) as info:
            await adapter.list_tables()
        assert_one_sentence(info.value, ErrorCode.UNAVAILABLE)
        assert info.value.transient
