"""Errors with the way out (issue 24): a server that cannot be reached names the mcp.json it was
configured in, and when that is a sandbox's, says how to see and start the sandbox.

Real CLI in a subprocess, real MCP servers; the MySQL port is one nothing listens on (the
sandbox's MariaDB "down" without stopping the session's shared sandbox).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from migrator.sandbox import lifecycle, processes
import pytest

from tests.helpers import project, project_cli, run_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chinook" / "contract.json"


def _mysql_down(proj: dict[str, object], sandbox_like: bool) -> Path:
    mcp_json = Path(str(proj["mcp_json"]))
    config = json.loads(mcp_json.read_text())
    config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_PORT"] = str(processes.free_port())
    folder = mcp_json.parent / ("sandbox" if sandbox_like else "elsewhere")
    folder.mkdir()
    moved = folder / "mcp.json"
    moved.write_text(json.dumps(config))
    if sandbox_like:
        (folder / "sandbox.json").write_text("{}")   # what marks a sandbox's folder
    proj["mcp_json"] = moved
    return moved


def test_a_sandbox_that_is_down_says_sandbox_up_and_names_its_mcp_json(sandbox: lifecycle.SandboxRecord,
                                                                        mysql_db: str, tmp_path: Path) -> None:
    proj = project(sandbox, mysql_db, tmp_path)
    mcp_json = _mysql_down(proj, sandbox_like=True)
    shutil.copy(EXAMPLE, tmp_path / "contract.json")
    out = project_cli(proj, "plan", str(tmp_path / "contract.json"))
    assert out.returncode == 1, out.stdout + out.stderr
    error = out.stderr.strip().splitlines()[-1]
    assert f"(mcpServers.migrator-mysql in {mcp_json})" in error, error
    assert "`migrator sandbox up` starts it" in error and "Traceback" not in out.stderr, error


def test_any_other_mcp_json_is_named_without_sandbox_advice(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                             tmp_path: Path) -> None:
    proj = project(sandbox, mysql_db, tmp_path)
    mcp_json = _mysql_down(proj, sandbox_like=False)
    shutil.copy(EXAMPLE, tmp_path / "contract.json")
    out = project_cli(proj, "plan", str(tmp_path / "contract.json"))
    assert out.returncode == 1
    error = out.stderr.strip().splitlines()[-1]
    assert f"(mcpServers.migrator-mysql in {mcp_json})" in error and "sandbox up" not in error, error


@pytest.mark.parametrize("database", ["information_schema", "MySQL", "performance_schema", "sys"])
def test_a_system_database_is_refused_before_any_server_starts(database: str, tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "contract.json")
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": {}}))
    out = run_cli({"MIGRATOR_MCP_CONFIG": str(tmp_path / "mcp.json")}, tmp_path, "plan", "contract.json",
                  "--database", database)
    assert out.returncode == 1 and out.stderr.startswith(f"Error: --database {database} names one of MySQL's own "
                                                         "databases"), out.stderr
