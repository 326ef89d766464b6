"""Fragments generated in the server's dialect: every realistic fragment compiled into a view runs on the
sandbox's real MariaDB, and returns what MariaDB computes for the fragment as the author wrote it.

The expectation is independent of the compiler: `SELECT <the fragment's text>` sent as is (or, where
MariaDB lacks the author's syntax, the MariaDB form of the same meaning, written here by hand).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
import pytest

from migrator.mysql_schema import schema_from_doc, server_info_from_doc
from migrator.mysql_schema import SchemaInfo, ServerInfo
from migrator.sandbox import lifecycle
from migrator.servers.mysql import MySQLTools, Settings
from migrator.sql.dialect import generate
from migrator.sql.fragments import parse_fragment
from tests.conftest import root_connection
from tests.helpers import project, project_cli
from tests.patterns.support import entity_views, model

DDL = ("CREATE TABLE vals (id INT PRIMARY KEY, s VARCHAR(64) NULL, n INT NULL, d DECIMAL(10,2) NULL, f DOUBLE NULL, "
       "dt DATETIME(6) NULL, da DATE NULL, j LONGTEXT NULL, b INT UNSIGNED NULL)",
       "CREATE TABLE items (id INT PRIMARY KEY, vals_id INT NULL)")
ROWS = [
    (1, "Hello, World", 42, "12.34", 1.5, "2024-02-29 13:45:10.123456", "2024-01-31",
     '{"a": "x\\"y", "b": [1, 2, 3], "n": 7}', 5),
    (2, "ab%_c'd\\e", -7, "-0.50", -2.25, "1999-12-31 23:59:59", "2000-02-29", '{"a": null, "b": []}', 0),
    (3, None, None, None, None, None, None, None, None),
    (4, "", 0, "0.00", 0.0, "2024-03-31 00:00:00", "2024-03-31", "[]", 255),
    (5, "Zoë 汉字 🚀", 7, "99999999.99", 1e-3, "1971-01-01 00:00:00.5", "1971-01-01", '{"a": "é"}', 1),
]

#: (fragment over `vals`, or (fragment, the same meaning as MariaDB spells it where it lacks the author's form))
FRAGMENTS: list[str | tuple[str, str]] = [
    # regular expressions
    "vals.s REGEXP '^[A-Z]'", "vals.s NOT REGEXP 'o'", "vals.s RLIKE 'l+'", "NOT vals.s REGEXP BINARY 'h'",
    "vals.s REGEXP '^a' OR vals.s REGEXP 'W'", "CONCAT(vals.s, 'x') REGEXP 'x$'", "REGEXP_REPLACE(vals.s, '[aeiou]', '*')",
    "REGEXP_SUBSTR(vals.s, '[a-z]+')", "REGEXP_INSTR(vals.s, 'o')", ("REGEXP_LIKE(vals.s, 'o')", "vals.s REGEXP 'o'"),
    # LIKE
    "vals.s LIKE 'H%'", "vals.s NOT LIKE '%o%'", "vals.s LIKE 'ab!%%' ESCAPE '!'", "vals.s LIKE BINARY 'h%'",
    "vals.s LIKE '%\\\\%'",
    # strings
    "CONCAT(vals.s, '-', vals.n)", "CONCAT_WS('/', vals.s, NULL, vals.n)", "'a' 'b'", "SUBSTRING(vals.s, 2, 3)",
    "SUBSTRING(vals.s FROM 2 FOR 3)", "SUBSTR(vals.s, 2)", "MID(vals.s, 2, 1)", "LEFT(vals.s, 2)", "RIGHT(vals.s, 2)",
    "LPAD(vals.n, 6, '0')", "RPAD(vals.s, 3, '.')", "TRIM(vals.s)", "TRIM(LEADING 'H' FROM vals.s)",
    "TRIM(BOTH 'a' FROM vals.s)", "LTRIM(CONCAT('  ', vals.s))", "UPPER(vals.s)", "LCASE(vals.s)", "LENGTH(vals.s)",
    "CHAR_LENGTH(vals.s)", "LOCATE('o', vals.s)", "LOCATE('o', vals.s, 6)", "INSTR(vals.s, 'o')",
    "POSITION('o' IN vals.s)", "REPLACE(vals.s, 'o', '0')", "REVERSE(vals.s)", "REPEAT(vals.s, 2)",
    "SUBSTRING_INDEX(vals.s, ',', 1)", "FIELD(vals.s, 'x', 'Hello, World')", "FIND_IN_SET('b', 'a,b,c')",
    "ELT(2, 'a', 'b')", "HEX(vals.s)", "UNHEX('41')", "MD5(vals.s)", "SHA2(vals.s, 256)", "TO_BASE64(vals.s)",
    "FORMAT(vals.d, 1)", "ASCII(vals.s)", "SPACE(2)", "INSERT(vals.s, 1, 2, 'X')", "QUOTE(vals.s)",
    "STRCMP(vals.s, 'b')", "vals.s COLLATE utf8mb4_bin", "BINARY vals.s = 'hello, world'", "CHAR(65, 66)",
    "CONVERT(vals.s USING utf8mb4)", "_utf8mb4'x'", "X'41'", "0x41 + 0", "CONCAT(0x41, 'b')", "b'101' + 0", "0b101 + 0",
    ("X'41' + 0", "0x41 + 0"),  # MySQL reads a hex literal as a number in arithmetic (MariaDB only 0x41) "'it''s'", "'a\\'b'",
    "\"dq\"", "vals.s = 'hello, world'", "SOUNDEX(vals.s)",
    # numbers
    "vals.n DIV 5", "vals.n MOD 5", "vals.n % 5", "MOD(vals.n, 5)", "vals.n / 3", "-vals.n", "ROUND(vals.d, 1)",
    "ROUND(vals.d)", "TRUNCATE(vals.d, 1)", "CEIL(vals.d)", "FLOOR(vals.d)", "ABS(vals.n)", "POW(vals.n, 2)",
    "SQRT(ABS(vals.n))", "LOG(vals.f)", "LOG(2, ABS(vals.n))", "LN(vals.f)", "SIGN(vals.n)", "CONV(vals.n, 10, 16)",
    "GREATEST(vals.n, 1)", "LEAST(vals.n, 1)", "vals.d * 1.5", "0.1 + 0.2", "1e3", "vals.f + vals.d",
    "CRC32(vals.s)", "vals.n BETWEEN 0 AND 10", "vals.n NOT BETWEEN 0 AND 10", "vals.n IN (0, 42)",
    "vals.n NOT IN (0, 42)",
    # bits
    "vals.b & 3", "vals.b | 8", "vals.b ^ 1", "~vals.b", "vals.b << 2", "vals.b >> 1", "BIT_COUNT(vals.b)",
    # NULL-safe and logic
    "vals.n <=> NULL", "vals.n <=> 42", "NOT (vals.n <=> 7)", "vals.n IS NULL", "vals.n IS NOT NULL", "vals.b IS TRUE",
    "vals.n > 0 XOR vals.b > 0", "!(vals.n > 0)", "vals.n > 0 && vals.b > 0", "vals.n > 0 || vals.b > 0",
    "vals.n > 0 AND NOT vals.b", "ISNULL(vals.n)",
    # conditionals
    "CASE WHEN vals.n > 10 THEN 'big' WHEN vals.n < 0 THEN 'neg' ELSE 'small' END",
    "CASE vals.n WHEN 42 THEN 'answer' END", "IF(vals.n > 0, 'pos', 'not')", "IFNULL(vals.s, 'none')",
    "COALESCE(vals.s, vals.n, 'x')", "NULLIF(vals.n, 0)", "NVL(vals.n, -1)",
    # casts
    "CAST(vals.n AS CHAR)", "CAST(vals.s AS SIGNED)", "CAST(vals.n AS UNSIGNED)", "CAST(vals.f AS DECIMAL(10,2))",
    "CAST(vals.dt AS DATE)", "CAST(vals.da AS DATETIME)", "CAST(vals.n AS CHAR(1))", "CAST(vals.s AS BINARY)",
    "CAST(vals.d AS DOUBLE)", "CAST(vals.dt AS TIME)", "CONVERT(vals.n, CHAR)", "CONVERT(vals.d, SIGNED)",
    "CONVERT(vals.f, DECIMAL(10,3))", "CAST(vals.s AS CHAR CHARACTER SET utf8mb4)",
    # dates
    "DATE_ADD(vals.dt, INTERVAL 1 DAY)", "DATE_SUB(vals.da, INTERVAL 2 MONTH)", "vals.da + INTERVAL 1 MONTH",
    "vals.dt - INTERVAL 90 MINUTE", "DATE_ADD(vals.da, INTERVAL vals.n DAY)", "DATE_ADD(vals.dt, INTERVAL '1:30' HOUR_MINUTE)",
    "DATE_ADD(vals.da, INTERVAL -1 YEAR)", "ADDDATE(vals.da, 3)", "SUBDATE(vals.da, INTERVAL 1 WEEK)",
    "TIMESTAMPDIFF(DAY, vals.da, vals.dt)", "TIMESTAMPDIFF(MONTH, vals.da, '2025-01-01')", "DATEDIFF(vals.dt, vals.da)",
    "DATE_FORMAT(vals.dt, '%Y-%m-%dT%H:%i:%s.%f')", "DATE_FORMAT(vals.da, '%W %M %e %Y')",
    "STR_TO_DATE('31/01/2024', '%d/%m/%Y')", "EXTRACT(YEAR FROM vals.da)", "EXTRACT(YEAR_MONTH FROM vals.dt)",
    "YEAR(vals.da)", "MONTH(vals.dt)", "DAYOFWEEK(vals.da)", "WEEKDAY(vals.da)", "WEEK(vals.da, 3)",
    "DAYNAME(vals.da)", "LAST_DAY(vals.da)", "UNIX_TIMESTAMP(vals.dt)", "FROM_UNIXTIME(1700000000)",
    "TIMESTAMPADD(MINUTE, 5, vals.dt)", "CONVERT_TZ(vals.dt, '+00:00', '+01:00')", "DATE(vals.dt)", "TIME(vals.dt)",
    "MICROSECOND(vals.dt)", "TIME_TO_SEC(TIME(vals.dt))", "SEC_TO_TIME(3661)", "MAKEDATE(2024, 60)",
    "TO_DAYS(vals.da)", "PERIOD_DIFF(202403, 202312)", "DATE '2024-01-01'", "TIMESTAMP '2024-01-01 10:00:00'",
    "vals.da < DATE '2024-01-01'", "INTERVAL 1 DAY + vals.da",
    # JSON
    "JSON_EXTRACT(vals.j, '$.a')", "JSON_UNQUOTE(JSON_EXTRACT(vals.j, '$.a'))", "JSON_EXTRACT(vals.j, '$.b[1]')",
    ("vals.j->'$.a'", "JSON_EXTRACT(vals.j, '$.a')"),
    ("vals.j->>'$.a'", "JSON_UNQUOTE(JSON_EXTRACT(vals.j, '$.a'))"),
    ("vals.j->>'$.b[0]'", "JSON_UNQUOTE(JSON_EXTRACT(vals.j, '$.b[0]'))"),
    "JSON_OBJECT('k', vals.s, 'n', vals.n)", "JSON_ARRAY(vals.n, vals.s)", "JSON_CONTAINS(vals.j, '1', '$.b')",
    "JSON_LENGTH(vals.j)", "JSON_VALUE(vals.j, '$.n')", "JSON_KEYS(vals.j)", "JSON_SET(vals.j, '$.z', 1)",
    "JSON_TYPE(vals.j)", "JSON_VALID(vals.j)", "JSON_QUOTE(vals.s)", "JSON_SEARCH(vals.j, 'one', 'é')",
    "JSON_MERGE_PATCH(vals.j, '{\"q\": 1}')", "JSON_ARRAY_APPEND('[1]', '$', vals.n)",
    "JSON_CONTAINS_PATH(vals.j, 'one', '$.a')", "JSON_DEPTH(vals.j)",
]


def _pair(entry: str | tuple[str, str]) -> tuple[str, str]:
    return (entry, entry) if isinstance(entry, str) else entry


@dataclass
class Source:
    conn: pymysql.Connection
    schema: SchemaInfo
    server: ServerInfo


def _server(tools: MySQLTools) -> ServerInfo:
    d = tools.server_info()
    return server_info_from_doc(d)


@pytest.fixture(scope="module")
def source(sandbox: lifecycle.SandboxRecord) -> Iterator[Source]:
    """One database for the module: `vals` (every kind of value, a row of NULLs) and `items` pointing at it."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = root_connection(sandbox)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (sandbox.mariadb.user, host))
    conn = pymysql.connect(unix_socket=str(sandbox.mariadb.socket), user="root", database=name, autocommit=True,
                           charset="utf8mb4", init_command="SET time_zone='+00:00'")
    with conn.cursor() as cur:
        for ddl in DDL:
            cur.execute(ddl)
        cur.executemany("INSERT INTO vals VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", ROWS)
        cur.executemany("INSERT INTO items VALUES (%s, %s)", [(r[0], r[0]) for r in ROWS])
    env = sandbox.mysql_env()
    tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                password=env["MYSQL_PASSWORD"], database=name, read_only=False, connect_timeout=10))
    try:
        yield Source(conn, schema_from_doc(tools.describe_schema()), _server(tools))
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def _contract(fragment: str) -> dict[str, Any]:
    """A one-table contract whose attribute `value` is `fragment` over the joined `vals` row."""
    return {"table": "Dialect", "type": "single-entity", "source_table": "items", "pk": "id", "satisfies": ["AP1"],
            "estimated_item_size_bytes": 100, "attributes": [
                {"name": "id", "type": "N", "source_table": "items", "source_column": "id"},
                {"name": "value", "type": "S", "source_table": "items", "source_column": "vals_id",
                 "join": {"type": "foreign-key", "target_table": "vals", "join_condition": "vals.id = items.vals_id",
                          "select_column": fragment}}]}


def _rows(conn: pymysql.Connection, sql: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


@pytest.mark.parametrize("entry", FRAGMENTS, ids=[_pair(e)[0] for e in FRAGMENTS])
def test_fragment_view_runs_on_mariadb_and_means_what_was_written(source: Source, entry: str | tuple[str, str]) -> None:
    fragment, meaning = _pair(entry)
    table, _ = model(_contract(fragment))
    ((_, _, spec, findings),) = entity_views(table, source.schema, source.server)
    assert spec is not None, [f.sentence() for f in findings]
    view = f"v_{uuid.uuid4().hex[:8]}"
    with source.conn.cursor() as cur:
        cur.execute(f"CREATE VIEW `{view}` AS {spec.select_sql}")
    try:
        got = _rows(source.conn, f"SELECT `id`, `value` FROM `{view}` ORDER BY `id`")
    finally:
        with source.conn.cursor() as cur:
            cur.execute(f"DROP VIEW `{view}`")
    want = _rows(source.conn, f"SELECT vals.id, {meaning} FROM vals ORDER BY vals.id")
    assert got == want, f"{fragment}\n{spec.select_sql}"


def test_regexp_is_generated_as_the_operator_both_servers_know() -> None:
    """MariaDB 10.11 has no REGEXP_LIKE(): `a REGEXP b`, `NOT a REGEXP b` and RLIKE stay operators."""
    for text, sql in (("a REGEXP '^x'", "`a` REGEXP '^x'"), ("a RLIKE 'x'", "`a` REGEXP 'x'"),
                      ("a NOT REGEXP 'x'", "NOT `a` REGEXP 'x'"), ("REGEXP_LIKE(a, 'x')", "`a` REGEXP 'x'")):
        assert generate(parse_fragment(text).tree) == sql


def test_generate_leaves_the_tree_it_is_given_unchanged() -> None:
    tree = parse_fragment("a REGEXP 'x' AND j->>'$.k' = 'v'").tree
    before = repr(tree)
    generate(tree)
    assert repr(tree) == before


def test_plan_of_a_regexp_condition_runs_on_mariadb(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                     tmp_path: Path) -> None:
    """Through the CLI: a conditional join on REGEXP plans without a server error (it was REGEXP_LIKE)."""
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        for ddl in DDL:
            cur.execute(ddl)
        cur.executemany("INSERT INTO vals VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", ROWS)
        cur.executemany("INSERT INTO items VALUES (%s, %s)", [(r[0], r[0]) for r in ROWS])
    conn.close()
    doc = _contract("vals.s")
    doc["table"] = f"Dialect{uuid.uuid4().hex[:6]}"
    doc["attributes"][1]["join"] = {"type": "conditional", "condition": "items.id REGEXP '^[0-3]$'",
                                    "target_table": "vals", "join_condition": "vals.id = items.vals_id",
                                    "select_column": "vals.s REGEXP '^H'", "else_value": "'none'"}
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps({"tables": [doc]}))
    proj = project(sandbox, mysql_db, tmp_path)
    out = project_cli(proj, "plan", str(contract))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "REGEXP_LIKE" not in out.stdout + out.stderr
    assert "could not run" not in out.stdout + out.stderr   # the key check ran the view's SELECT on MariaDB
