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
