"""Shared fixtures: one real sandbox (MariaDB + moto) per test session, real stdio MCP sessions.

Nothing here mocks MySQL, boto3 or the MCP transport.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import pymysql
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from migrator.sandbox import lifecycle

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.SandboxRecord]:
    root = tmp_path_factory.mktemp("sandbox")
    record = lifecycle.up(root)
    try:
        yield record
    finally:
        lifecycle.down(root)


@pytest.fixture
def mysql_db(sandbox: lifecycle.SandboxRecord) -> Iterator[str]:
    """A fresh database per test, granted to the sandbox user; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    spec = sandbox.mariadb
    root = pymysql.connect(unix_socket=str(spec.socket), user="root", autocommit=True)
    with root.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (spec.user, host))
    try:
        yield name
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        root.close()


def root_connection(sandbox: lifecycle.SandboxRecord, database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(unix_socket=str(sandbox.mariadb.socket), user="root", database=database,
                           autocommit=True, init_command="SET time_zone='+00:00'")


class StdioServer:
    """A real MCP stdio session to a server process, usable from synchronous tests."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, session: ClientSession) -> None:
        self._portal = portal
        self.session = session

    def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """The parsed envelope of a built-in server's tool, with `isError` checked against `ok`."""
        result = self._portal.call(self.session.call_tool, tool, arguments)
        doc = json.loads(result.content[0].text)
        assert doc == result.structuredContent
        assert result.isError == (not doc["ok"]), doc
        return doc

    def raw(self, tool: str, **arguments: Any) -> Any:
        return self._portal.call(self.session.call_tool, tool, arguments)

    def tool_names(self) -> set[str]:
        listed = self._portal.call(self.session.list_tools)
        return {t.name for t in listed.tools}


@contextlib.asynccontextmanager
async def _open(command: str, args: list[str], env: dict[str, str], errlog: Any) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=command, args=args, env=env)
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


@contextlib.contextmanager
def stdio_server(command: str, args: list[str], env: dict[str, str], log: Path) -> Iterator[StdioServer]:
    full_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **env}
    with open(log, "a") as errlog, anyio.from_thread.start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(_open(command, args, full_env, errlog)) as session:
            yield StdioServer(portal, session)


@contextlib.contextmanager
def builtin_server(kind: str, env: dict[str, str], log: Path) -> Iterator[StdioServer]:
    with stdio_server(sys.executable, ["-m", "migrator", "mcp", "serve", kind], env, log) as server:
        yield server


@pytest.fixture
def tiny(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> dict[str, Any]:
    """A two-table source, a one-table contract, its mcp.json, state folder and bucket."""
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE kinds (id INT PRIMARY KEY, label VARCHAR(20) NOT NULL)")
        cur.execute("CREATE TABLE things (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, kind_id INT)")
        cur.executemany("INSERT INTO kinds VALUES (%s, %s)", [(1, "big"), (2, "small")])
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s)", [(1, "a", 1), (2, "b", None), (3, "c", 2)])
    conn.close()
    table = f"Things{uuid.uuid4().hex[:6]}"
    contract = {"tables": [{"table": table, "type": "single-entity", "source_table": "things", "pk": "PK", "sk": None,
                            "gsis": [{"index_name": "ByName", "pk": "name", "projection": "KEYS_ONLY"}],
                            "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "attributes": [
        {"name": "PK", "type": "S", "source_table": "things", "source_column": "id",
         "transformation": {"type": "string-format", "format": "THING#{id}"}},
        {"name": "name", "type": "S", "source_table": "things", "source_column": "name"},
        {"name": "kind", "type": "S", "source_table": "things", "source_column": "kind_id",
         "join": {"type": "foreign-key", "target_table": "kinds", "join_condition": "kinds.id = things.kind_id",
                  "select_column": "kinds.label"}}]}]}
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(contract))
    config = lifecycle.mcp_config(sandbox)
    config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] = mysql_db
    config["mcpServers"]["migrator-glue"]["env"]["MIGRATOR_GLUE_LOCAL_DIR"] = str(tmp_path / "glue")
    (tmp_path / "mcp.json").write_text(json.dumps(config))
    return {"contract": path, "table": table, "db": mysql_db, "tmp": tmp_path,
            "env": {**os.environ, "MIGRATOR_MCP_CONFIG": str(tmp_path / "mcp.json"),
                    "MIGRATOR_STATE_DIR": str(tmp_path / "state"), "MIGRATOR_BUCKET": f"d-{uuid.uuid4().hex[:10]}"}}



