"""Bounded resources (issue 24): a server that floods its stderr fills at most twice the log cap, is
never blocked by it, and a built-in server whose client is gone exits.

Real processes: a Python child writing to stderr, a real stdio MCP session to a flooding server,
and the built-in servers started as `migrator mcp serve <role>`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator.mcp.client import ServerConnection
from migrator.mcp.config import ServerSpec
from migrator.mcp.errors import ToolError
from migrator.mcp.server_log import BoundedLog, tail_lines

FLOOD = "import sys\nfor i in range({n}):\n    sys.stderr.write('x' * 1023 + '\\n')\nsys.stderr.write('last words\\n')\n"


def test_a_flood_keeps_the_log_within_twice_its_cap_and_the_writer_is_never_blocked(tmp_path: Path) -> None:
    log = BoundedLog(tmp_path / "s.log", max_bytes=256 * 1024)
    began = time.monotonic()
    child = subprocess.run([sys.executable, "-c", FLOOD.format(n=8 * 1024)], stderr=log.stream, timeout=60)
    log.close(wait=10)
    assert child.returncode == 0 and time.monotonic() - began < 60
    current, previous = tmp_path / "s.log", tmp_path / "s.log.1"
    assert current.stat().st_size <= 256 * 1024 + 200 and previous.stat().st_size <= 256 * 1024
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.log", "s.log.1"]
    assert tail_lines(current)[-1] == "last words"       # 8 MiB written, the newest kept


def test_a_server_flooding_its_stderr_while_it_starts_fails_with_its_last_line_and_a_bounded_log(
        tmp_path: Path) -> None:
    script = tmp_path / "flood.py"
    script.write_text(FLOOD.format(n=12 * 1024) + "import time\ntime.sleep(30)\n")
    conn = ServerConnection(ServerSpec(name="flooder", command=sys.executable, args=(str(script),)), tmp_path,
                            start_timeout=3)

    async def start() -> ToolError:
        try:
            await conn.ensure_started()
        except ToolError as exc:
            return exc
        finally:
            await conn.close()
        raise AssertionError("a server that never initialises started")

    error = asyncio.run(start())
    assert "did not initialise within 3 s" in str(error)
    total = sum(p.stat().st_size for p in tmp_path.glob("flooder.log*"))
    assert total <= 2 * 5 * 1024 * 1024 + 1024, total     # 12 MiB written, two capped files kept


@pytest.mark.parametrize("role", ["mysql", "dynamodb", "glue", "s3"])
def test_a_builtin_server_exits_when_its_client_is_gone(role: str, tmp_path: Path) -> None:
    server = subprocess.Popen([sys.executable, "-m", "migrator", "mcp", "serve", role], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        time.sleep(1.0)
        assert server.poll() is None, "the server did not stay up while its client was there"
        assert server.stdin is not None
        server.stdin.close()          # the client is gone: its end of the pipe closes
        assert server.wait(timeout=20) is not None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_server_whose_working_directory_is_missing_is_one_sentence(tmp_path: Path) -> None:
    """Issue 24: an mcp.json `cwd` that does not exist gave an unreadable sentence."""
    missing = tmp_path / "nowhere"
    conn = ServerConnection(ServerSpec(name="lost", command=sys.executable, args=("-c", "pass"), cwd=str(missing)),
                            tmp_path)

    async def start() -> ToolError:
        try:
            await conn.ensure_started()
        except ToolError as exc:
            return exc
        raise AssertionError("started in a directory that does not exist")

    error = asyncio.run(start())
    assert str(error) == (f"MCP server 'lost' failed (unavailable): its working directory {missing} does not exist: "
                          "fix or remove mcpServers.lost.cwd in your mcp.json.")
