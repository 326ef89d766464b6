"""`migrator sandbox load`: a user's own dump into a sandbox database, then their contract — two
commands, through the CLI in a subprocess, on a sandbox of this module's own (it changes the
sandbox's database, which the shared one must not). The dump is `mariadb-dump` of the shop
seeded in the shared sandbox; the rows loaded are compared with the rows dumped, the items with
a Python computation from those rows (tests/shop_reference.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws
from tests.shop_reference import CONTRACT, raw_rows, seed, stored_and_expected


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATOR_")}   # as a new user's shell
    return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=900)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project folder whose sandbox (.migrator/sandbox) is this module's; stopped afterwards."""
    folder = tmp_path_factory.mktemp("own-db")
    try:
        yield folder
    finally:
        lifecycle.down(folder / ".migrator" / "sandbox")


@pytest.fixture(scope="module")
def dump(sandbox: lifecycle.SandboxRecord, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The shop, seeded in the shared sandbox, dumped by mariadb-dump as a user would dump theirs."""
    name = "shop_src_dump"
    conn = root_connection(sandbox)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    conn.close()
    conn = root_connection(sandbox, name)
    seed.load(conn, seed.generate(scale=1, seed=21))
    raw = raw_rows(conn, json.loads(CONTRACT.read_text()))
    conn.close()
    path = tmp_path_factory.mktemp("dump") / "shop.sql"
    with path.open("wb") as out:
        subprocess.run(["mariadb-dump", f"--socket={sandbox.mariadb.socket}", "--user=root", "--routines",
                        "--default-character-set=utf8mb4", name], stdout=out, check=True, timeout=120)
    conn = root_connection(sandbox)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE `{name}`")
    conn.close()
    yield {"path": path, "raw": raw}


def _root(home: Path, database: str) -> pymysql.Connection:
    record = lifecycle.load_record(home / ".migrator" / "sandbox")
    assert record is not None
    return pymysql.connect(unix_socket=record.mysql_socket, user="root", database=database, autocommit=True,
                           init_command="SET time_zone = '+00:00'")


def test_your_own_database_in_two_commands(home: Path, dump: dict[str, Any]) -> None:
    loaded = _cli(home, "sandbox", "load", str(dump["path"]), "--database", "mine")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    rows = sum(len(v) for v in dump["raw"].values())
    assert "loaded" in loaded.stdout and "database mine: 8 tables" in loaded.stdout, loaded.stdout
    record = lifecycle.load_record(home / ".migrator" / "sandbox")
    assert record is not None and record.mysql_database == "mine" and Path(record.mysql_socket).is_socket()
    config = json.loads(record.mcp_json.read_text())
    assert config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] == "mine"
    conn = _root(home, "mine")
    doc = json.loads(CONTRACT.read_text())
    assert raw_rows(conn, doc) == dump["raw"] and rows > 0        # every row as dumped

    applied = _cli(home, "apply", str(CONTRACT), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    ddb = aws(record, "dynamodb")
    for table, got, exp in stored_and_expected(ddb, doc, raw_rows(conn, doc)):
        assert got == exp, table["table"]
    conn.close()
    typo = _cli(home, "destroy", "contract.jsn", "--auto-approve")     # a mistyped contract: nothing happens
    assert typo.returncode == 1 and typo.stderr.startswith("Error: contract.jsn is not a file; destroy needs no "
                                                           "contract"), typo.stderr
    assert len(ddb.list_tables()["TableNames"]) == len(doc["tables"])
    destroyed = _cli(home, "destroy", str(CONTRACT), "--auto-approve")   # as Terraform takes its configuration
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert ddb.list_tables()["TableNames"] == []


def test_a_dump_with_triggers_and_a_failing_statement(home: Path, tmp_path: Path) -> None:
    good = tmp_path / "routines.sql"
    good.write_text("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), n INT DEFAULT 0);\n"
                    "DELIMITER ;;\n"
                    "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.n = 7; END ;;\n"
                    "DELIMITER ;\n"
                    "INSERT INTO t (id, name) VALUES (1, 'Ana 🌻'), (2, 'O''Brien; \\\\x');\n", encoding="utf-8")
    loaded = _cli(home, "sandbox", "load", str(good), "--database", "trig")
    assert loaded.returncode == 0 and "database trig: 1 tables, 2 rows" in loaded.stdout, loaded.stdout + loaded.stderr
    assert loaded.stderr == ""
    conn = _root(home, "trig")
    with conn.cursor() as cur:
        cur.execute("SELECT id, name, n FROM t ORDER BY id")
        assert cur.fetchall() == ((1, "Ana 🌻", 7), (2, "O'Brien; \\x", 7))
    conn.close()

    elsewhere = tmp_path / "elsewhere.sql"
    elsewhere.write_text("CREATE DATABASE IF NOT EXISTS elsewhere;\nUSE elsewhere;\nCREATE TABLE x (id INT);\n")
    switched = _cli(home, "sandbox", "load", str(elsewhere), "--database", "meant")
    assert switched.returncode == 0 and "database meant: 0 tables, 0 rows" in switched.stdout, switched.stdout
    assert f"warning: {elsewhere} switches to database elsewhere (USE elsewhere)" in switched.stderr

    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE a (id INT PRIMARY KEY);\nINSERT INTO a VALUES (1);\nCREATE TABLE b (id INT PRIMARY KEY,);\n"
                   "CREATE TABLE c (id INT);\n")
    failed = _cli(home, "sandbox", "load", str(bad), "--database", "broken")
    assert failed.returncode == 1 and failed.stdout == "", failed.stdout
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {bad} line 3 could not be loaded into database broken: "
                                                   "You have an error in your SQL syntax"), failed.stderr
    assert "Traceback" not in failed.stderr
    # the mcp.json still reads the database the last good load chose, and the error says so
    assert "still reads database meant" in failed.stderr, failed.stderr
    mcp = json.loads((home / ".migrator" / "sandbox" / "mcp.json").read_text())
    assert mcp["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] == "meant"
    conn = _root(home, "broken")
    with conn.cursor() as cur:                       # what came before the error stays, nothing after it ran
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'broken' ORDER BY 1")
        assert cur.fetchall() == (("a",),)
    conn.close()

    missing = _cli(home, "sandbox", "load", str(tmp_path / "nope.sql"))
    assert missing.returncode == 1 and missing.stderr.startswith(f"Error: {tmp_path / 'nope.sql'} is not a file")
    named = _cli(home, "sandbox", "load", str(bad), "--database", "no-dashes")
    assert named.returncode == 1 and "'no-dashes' cannot be a sandbox database name" in named.stderr


def test_the_database_option_overrides_the_mcp_json(home: Path, tmp_path: Path) -> None:
    """`--database` reads another database through the same mcp.json (its MYSQL_DATABASE stays as is)."""
    tiny = tmp_path / "tiny.sql"
    tiny.write_text("CREATE TABLE only_here (id INT PRIMARY KEY);\nINSERT INTO only_here VALUES (1), (2);\n")
    assert _cli(home, "sandbox", "load", str(tiny), "--database", "alpha").returncode == 0
    assert _cli(home, "sandbox", "up", "--database", "beta").returncode == 0     # the mcp.json now reads beta
    doctor = _cli(home, "doctor", "--database", "alpha", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    mysql = next(r for r in json.loads(doctor.stdout)["roles"] if r["role"] == "mysql")
    assert mysql["server_info"]["database"] == "alpha" and "1 tables and views" in mysql["probes"][1]["detail"]
    plain = json.loads(_cli(home, "doctor", "--json").stdout)
    assert next(r for r in plain["roles"] if r["role"] == "mysql")["server_info"]["database"] == "beta"
    plan = _cli(home, "plan", str(CONTRACT), "--database", "alpha")
    assert plan.returncode == 1 and "does not exist in database 'alpha'" in plan.stderr, plan.stdout + plan.stderr

    # Views live in the database they were created in: a destroy reading another one refuses.
    mine = tmp_path / "only_here.json"
    mine.write_text(json.dumps({"tables": [{
        "table": "OnlyHere", "type": "single-entity", "source_table": "only_here", "pk": "id", "satisfies": ["AP1"],
        "estimated_item_size_bytes": 50,
        "attributes": [{"name": "id", "type": "N", "source_table": "only_here", "source_column": "id"}]}]}))
    applied = _cli(home, "apply", str(mine), "--database", "alpha", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    views = "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'alpha'"
    conn = _root(home, "alpha")
    with conn.cursor() as cur:
        cur.execute(views)
        assert len(cur.fetchall()) == 1
    refused = _cli(home, "destroy", "--auto-approve")                  # the mcp.json reads beta
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert ("the state's views were created in database alpha, but the mysql server now reads database beta; "
            "nothing was changed") in refused.stderr and "--database alpha" in refused.stderr
    assert len(aws(lifecycle.load_record(home / ".migrator" / "sandbox"), "dynamodb").list_tables()["TableNames"]) == 1
    destroyed = _cli(home, "destroy", "--database", "alpha", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    with conn.cursor() as cur:
        cur.execute(views)
        assert cur.fetchall() == ()
    conn.close()
