"""The built-in MySQL server over a real stdio session against a real MariaDB.

Expected values come from what the test inserted (Python), checked where useful with
pymysql as root; never from the server's own output alone.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.sandbox import lifecycle, processes
from tests.conftest import StdioServer, builtin_server, root_connection

SCHEMA = """
CREATE TABLE customers (
  id INT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(100), balance DECIMAL(12,4),
  score DOUBLE, active TINYINT(1), born DATE, created DATETIME(6), seen TIMESTAMP NULL, alarm TIME,
  prefs JSON, avatar VARBINARY(16)
) CHARACTER SET utf8mb4;
CREATE TABLE orders (
  id INT, region CHAR(2), customer_id INT NOT NULL, total DECIMAL(10,2),
  PRIMARY KEY (id, region), CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers(id)
);
CREATE TABLE order_lines (
  order_id INT, order_region CHAR(2), line INT, sku VARCHAR(20), PRIMARY KEY (order_id, order_region, line),
  CONSTRAINT fk_lines_order FOREIGN KEY (order_id, order_region) REFERENCES orders(id, region)
);
CREATE VIEW big_spenders AS SELECT id, email FROM customers WHERE balance > 100
"""

ROWS = [
    (1, "a@x.io", "Zoë, \"the\" 'first'; \\ \n 🚀 汉字", decimal.Decimal("1234.5678"), 1.5, 1, dt.date(1990, 1, 2),
     dt.datetime(2024, 4, 2, 15, 30, 45, 123456), dt.datetime(2024, 4, 2, 15, 30, 45), dt.timedelta(hours=7, minutes=5),
     '{"k": [1, 2]}', b"\x00\xff\x10"),
    (2, "b@x.io", "", decimal.Decimal("-0.0001"), None, 0, None, None, None, None, None, None),
    (3, "c@x.io", None, None, 0.0, None, None, dt.datetime(1999, 12, 31, 23, 59, 59), None, dt.timedelta(0), "[]", b""),
]


@pytest.fixture
def db(sandbox: lifecycle.SandboxRecord, mysql_db: str) -> str:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        for stmt in SCHEMA.split(";"):
            cur.execute(stmt)
        cur.executemany("INSERT INTO customers VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", ROWS)
    conn.close()
    return mysql_db


@pytest.fixture
def server(sandbox: lifecycle.SandboxRecord, db: str, tmp_path: Path) -> Iterator[StdioServer]:
    with builtin_server("mysql", {**sandbox.mysql_env(), "MYSQL_DATABASE": db}, tmp_path / "mysql.log") as srv:
        yield srv


def test_server_info(server: StdioServer, db: str) -> None:
    info = server.call("server_info")["result"]
    assert info["flavour"] == "mariadb" and info["version_number"][:2] == [10, 11]
    assert info["time_zone"] == "+00:00" and info["database"] == db and info["read_only"] is False


def test_query_returns_typed_values(server: StdioServer) -> None:
    res = server.call("query", sql="SELECT * FROM customers ORDER BY id")["result"]
    types = {c["name"]: c["type"] for c in res["columns"]}
    assert types == {"id": "integer", "email": "string", "name": "string", "balance": "decimal", "score": "float",
                     "active": "integer", "born": "date", "created": "datetime", "seen": "datetime", "alarm": "time",
                     "prefs": "string", "avatar": "binary"}  # MariaDB's JSON is LONGTEXT
    first, second, third = res["rows"]
    assert first[2] == ROWS[0][2]
    assert decimal.Decimal(first[3]) == ROWS[0][3] and isinstance(first[3], str)  # exact, never a float
    assert first[6] == "1990-01-02" and first[7] == "2024-04-02T15:30:45.123456" and first[9] == "07:05:00"
    assert base64.b64decode(first[11]) == b"\x00\xff\x10"
    assert second[2] == "" and third[2] is None  # empty string and NULL stay distinct
    assert second[3] == "-0.0001" and third[9] == "00:00:00" and base64.b64decode(third[11]) == b""
    assert res["next_cursor"] is None and res["row_count"] == 3


def test_timestamps_are_read_in_utc(server: StdioServer, sandbox: lifecycle.SandboxRecord, db: str) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("SET time_zone = '+05:00'")
        cur.execute("UPDATE customers SET seen = '2024-01-01 05:00:00' WHERE id = 2")  # = 00:00 UTC
    conn.close()
    res = server.call("query", sql="SELECT seen FROM customers WHERE id = 2")["result"]
    assert res["rows"] == [["2024-01-01T00:00:00"]]


def test_pagination_returns_every_row_once(server: StdioServer, sandbox: lifecycle.SandboxRecord, db: str) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE n (i INT PRIMARY KEY)")
        cur.executemany("INSERT INTO n VALUES (%s)", [(i,) for i in range(1, 24)])
    conn.close()
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = server.call("query", sql="SELECT i FROM n ORDER BY i", page_size=5, cursor=cursor)["result"]
        seen += [r[0] for r in page["rows"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 24)) and pages == 5


def test_query_params_and_one_statement_only(server: StdioServer) -> None:
    res = server.call("query", sql="SELECT id FROM customers WHERE email = %s OR name = %s",
                      params=["b@x.io", "x'; DROP TABLE customers; --"])["result"]
    assert res["rows"] == [[2]]
    two = server.call("query", sql="SELECT 1; SELECT 2")
    assert two["error"]["code"] == "invalid" and "one statement" in two["error"]["message"]
    assert server.call("query", sql="SELECT ';' AS s")["result"]["rows"] == [[";"]]


@pytest.mark.parametrize("sql", ["DELETE FROM customers", "UPDATE customers SET name = 'x'",
                                 "INSERT INTO customers (id, email) VALUES (9, 'z')", "DROP TABLE customers",
                                 "CREATE TABLE t2 (i INT)"])
def test_query_refuses_writes(server: StdioServer, sandbox: lifecycle.SandboxRecord, db: str, sql: str) -> None:
    out = server.call("query", sql=sql)
    assert out["ok"] is False and out["error"]["code"] == "invalid"
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*), SUM(name = 'x') FROM customers")
        assert cur.fetchone() == (3, 0)
        cur.execute("SHOW TABLES LIKE 't2'")
        assert cur.fetchone() is None
    conn.close()


def test_write_hidden_in_a_select_is_refused(server: StdioServer, sandbox: lifecycle.SandboxRecord, db: str) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE w (i INT)")
        cur.execute("CREATE FUNCTION sneaky() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO w VALUES (1); RETURN 1; END")
    out = server.call("query", sql="SELECT sneaky() AS s")  # a SELECT that writes: the READ ONLY transaction stops it
    assert out["ok"] is False and "READ ONLY" in out["error"]["message"]
    assert server.call("query", sql="SELECT * FROM w FOR UPDATE")["ok"] is False
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM w")
        assert cur.fetchone() == (0,)
    conn.close()
    assert server.call("query", sql="WITH x AS (SELECT 1 AS one) SELECT * FROM x")["result"]["rows"] == [[1]]


def test_views_create_replace_and_drop(server: StdioServer, sandbox: lifecycle.SandboxRecord, db: str) -> None:
    assert server.call("execute_ddl", sql="CREATE OR REPLACE VIEW v_a AS SELECT id FROM customers")["result"] == \
        {"statement": "create_view", "views": ["v_a"]}
    server.call("execute_ddl", sql="CREATE OR REPLACE VIEW `v_a` AS SELECT id, email FROM customers")
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME='v_a' "
                    "ORDER BY ORDINAL_POSITION", (db,))
        assert [r[0] for r in cur.fetchall()] == ["id", "email"]
    assert server.call("execute_ddl", sql="DROP VIEW IF EXISTS v_a")["result"]["statement"] == "drop_view"
    with conn.cursor() as cur:
        cur.execute("SHOW FULL TABLES WHERE Table_type = 'VIEW' AND Tables_in_" + db + " = 'v_a'")
        assert cur.fetchone() is None
    conn.close()
    assert server.call("execute_ddl", sql="DROP VIEW v_a")["error"]["code"] == "not_found"


@pytest.mark.parametrize("sql", ["DROP TABLE customers", "CREATE TABLE x (i INT)", "TRUNCATE customers",
                                 "CREATE VIEW v AS SELECT 1; DROP TABLE customers", "GRANT ALL ON *.* TO x"])
def test_execute_ddl_accepts_only_view_statements(server: StdioServer, sql: str) -> None:
    out = server.call("execute_ddl", sql=sql)
    assert out["error"]["code"] == "invalid"
    assert server.call("query", sql="SELECT COUNT(*) FROM customers")["result"]["rows"] == [[3]]


def test_describe_schema_keys_and_views(server: StdioServer) -> None:
    doc = server.call("describe_schema")["result"]
    tables = {t["name"]: t for t in doc["tables"]}
    assert set(tables) == {"customers", "orders", "order_lines", "big_spenders"}
    assert tables["customers"]["primary_key"] == ["id"]
    assert tables["customers"]["unique_keys"] == [{"name": "email", "columns": ["email"]}]
    assert tables["orders"]["primary_key"] == ["id", "region"]
    assert tables["orders"]["foreign_keys"] == [{"name": "fk_orders_customer", "columns": ["customer_id"],
                                                 "referenced_table": "customers", "referenced_columns": ["id"]}]
    assert tables["order_lines"]["foreign_keys"][0]["columns"] == ["order_id", "order_region"]
    assert tables["order_lines"]["foreign_keys"][0]["referenced_columns"] == ["id", "region"]
    cols = {c["name"]: c for c in tables["customers"]["columns"]}
    assert cols["balance"]["column_type"] == "decimal(12,4)" and cols["email"]["nullable"] is False
    assert tables["big_spenders"]["type"] == "view"
    (view,) = doc["views"]
    assert view["name"] == "big_spenders" and "balance" in view["definition"]
    only = server.call("describe_schema", tables=["orders"])["result"]
    assert [t["name"] for t in only["tables"]] == ["orders"]


def test_grants_and_read_only_switch(sandbox: lifecycle.SandboxRecord, db: str, tmp_path: Path) -> None:
    env = {**sandbox.mysql_env(), "MYSQL_DATABASE": db, "MYSQL_READ_ONLY": "true"}
    with builtin_server("mysql", env, tmp_path / "ro.log") as ro:
        grants = ro.call("grants")["result"]
        assert grants["can"] == {"select": True, "create_view": True, "show_view": True, "drop": True}
        assert not any("*" in g and "PASSWORD '*" in g for g in grants["grants"])  # hashes redacted
        out = ro.call("execute_ddl", sql="CREATE VIEW v AS SELECT 1")
        assert out["error"]["code"] == "access_denied"
        assert ro.call("query", sql="SELECT 1")["ok"]


def test_limited_user_grants(sandbox: lifecycle.SandboxRecord, db: str, tmp_path: Path) -> None:
    conn = root_connection(sandbox)
    with conn.cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS 'reader'@'127.0.0.1' IDENTIFIED BY 'pw-reader'")
        cur.execute(f"GRANT SELECT ON `{db}`.* TO 'reader'@'127.0.0.1'")
    env = {**sandbox.mysql_env(), "MYSQL_DATABASE": db, "MYSQL_USER": "reader", "MYSQL_PASSWORD": "pw-reader"}
    try:
        with builtin_server("mysql", env, tmp_path / "reader.log") as srv:
            can = srv.call("grants")["result"]["can"]
            assert can == {"select": True, "create_view": False, "show_view": False, "drop": False}
            out = srv.call("execute_ddl", sql="CREATE VIEW v AS SELECT 1")
            assert out["error"]["code"] == "access_denied"
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP USER 'reader'@'127.0.0.1'")
        conn.close()


def test_errors_are_coded(server: StdioServer, sandbox: lifecycle.SandboxRecord, db: str, tmp_path: Path) -> None:
    assert server.call("query", sql="SELECT * FROM nope")["error"]["code"] == "not_found"
    assert server.call("query", sql="SELEC 1")["error"]["code"] == "invalid"
    assert server.call("query", sql="SELECT 1", cursor="garbage")["error"]["code"] == "invalid"
    assert server.call("query", sql="SELECT SLEEP(3)", timeout_seconds=0.5)["error"]["code"] == "timeout"
    bad_pw = {**sandbox.mysql_env(), "MYSQL_DATABASE": db, "MYSQL_PASSWORD": "wrong"}
    with builtin_server("mysql", bad_pw, tmp_path / "pw.log") as srv:
        out = srv.call("server_info")
        assert out["error"]["code"] == "access_denied" and "wrong" not in out["error"]["message"]
    closed = {**sandbox.mysql_env(), "MYSQL_PORT": str(processes.free_port()), "MYSQL_CONNECT_TIMEOUT": "2"}
    with builtin_server("mysql", closed, tmp_path / "closed.log") as srv:
        assert srv.call("server_info")["error"]["code"] == "unavailable"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40), number=st.decimals(min_value=-10**7, max_value=10**7, places=4,
                                                     allow_nan=False, allow_infinity=False))
def test_any_text_and_decimal_round_trip(server: StdioServer, text: str, number: decimal.Decimal) -> None:
    text = text.replace("\x00", "")
    res = server.call("query", sql="SELECT CAST(%s AS CHAR CHARACTER SET utf8mb4) AS t, CAST(%s AS DECIMAL(12,4)) AS d",
                      params=[text, str(number)])["result"]
    assert res["rows"] == [[text, str(number.quantize(decimal.Decimal("0.0001")))]]
