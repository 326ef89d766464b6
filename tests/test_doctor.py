"""`migrator doctor` end to end: real servers from an mcp.json, exit codes, sentences."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from migrator.sandbox import lifecycle, processes
from tests.conftest import root_connection
from tests.shop_reference import CONTRACT, seed
from tests.helpers import third_party_server


def _doctor(config: dict | str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "mcp.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return subprocess.run([sys.executable, "-m", "migrator", "doctor", "--mcp-config", str(path), *extra],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)


def _sandbox_config(sandbox: lifecycle.SandboxRecord) -> dict:
    return lifecycle.mcp_config(sandbox)


def test_all_roles_ready_on_the_sandbox(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    out = _doctor(_sandbox_config(sandbox), tmp_path, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] is True
    roles = {r["role"]: r for r in doc["roles"]}
    assert set(roles) == {"mysql", "dynamodb", "glue", "s3"}
    for r in roles.values():
        assert r["started"] and r["start_seconds"] > 0 and all(o["ok"] for o in r["operations"])
        assert all(p["ok"] for p in r["probes"])
    assert roles["mysql"]["server_info"]["flavour"] == "mariadb"
    assert sandbox.mysql_password not in out.stdout  # no secret in the report

    text = _doctor(_sandbox_config(sandbox), tmp_path)
    assert text.returncode == 0 and "all roles ready" in text.stdout
    assert "\x1b[" not in text.stdout  # no colour when not on a terminal


def test_workshop_mysql_server_as_the_mysql_role(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    config = _sandbox_config(sandbox)
    config["mcpServers"]["workshop-mysql"] = {"command": "mysql_mcp_server", "args": [], "env": sandbox.mysql_env()}
    config["migrator"]["roles"]["mysql"] = {"server": "workshop-mysql", "adapter": "mysql_mcp_server"}
    out = _doctor(config, tmp_path, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    mysql = next(r for r in json.loads(out.stdout)["roles"] if r["role"] == "mysql")
    assert mysql["adapter"] == "mysql_mcp_server" and mysql["server_info"]["flavour"] == "mariadb"


def test_the_aws_labs_dynamodb_server_as_the_dynamodb_role(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    config = _sandbox_config(sandbox)
    config["mcpServers"]["workshop-dynamodb"] = {"command": third_party_server("awslabs.dynamodb-mcp-server", "1.0.9"),
                                                 "args": [], "env": sandbox.aws_env()}
    config["migrator"]["roles"]["dynamodb"] = {"server": "workshop-dynamodb", "adapter": "awslabs_dynamodb"}
    out = _doctor(config, tmp_path, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    dynamodb = next(r for r in json.loads(out.stdout)["roles"] if r["role"] == "dynamodb")
    cannot = {o["operation"]: o for o in dynamodb["operations"] if not o["ok"]}
    assert set(cannot) == {"batch_write"} and not cannot["batch_write"]["required"]
    assert dynamodb["server_info"]["name"] == "awslabs.dynamodb-mcp-server" and dynamodb["probes"][0]["ok"]
    text = _doctor(config, tmp_path)
    assert text.returncode == 0, text.stdout + text.stderr
    assert "note: dynamodb: cannot batch_write, which no migrator step calls: awslabs.dynamodb-mcp-server has " \
           "no batch write" in text.stdout
    assert "which is its MCP SDK's, not its own; this adapter was measured against awslabs.dynamodb-mcp-server " \
           "1.0.9" in text.stdout
    row = next(line for line in text.stdout.splitlines() if line.startswith("dynamodb"))
    assert "workshop-dynamodb" in row and "awslabs_dynamodb" in row and "awslabs.dynamodb-mcp-server" in row


def test_missing_tools_name_the_operation(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    config = _sandbox_config(sandbox)
    config["migrator"]["roles"]["dynamodb"] = {"server": "migrator-s3", "adapter": "builtin"}  # wrong server
    out = _doctor(config, tmp_path)
    assert out.returncode == 1
    assert "problem: dynamodb: cannot create_table: needs tool 'create_table', which server 'migrator-s3' does not list" \
        in out.stdout


def test_wrong_password_and_unreachable_server(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    config = _sandbox_config(sandbox)
    config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_PASSWORD"] = "not-the-password"
    config["mcpServers"]["migrator-dynamodb"]["env"]["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{processes.free_port()}"
    out = _doctor(config, tmp_path, "--json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    problems = {r["role"]: r["problems"] for r in doc["roles"]}
    assert any("access_denied" in p and "Access denied" in p for p in problems["mysql"])
    assert any("unavailable" in p for p in problems["dynamodb"])
    assert problems["glue"] == [] and problems["s3"] == []
    assert "not-the-password" not in out.stdout and "Traceback" not in out.stdout + out.stderr


def test_server_that_cannot_start(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    config = _sandbox_config(sandbox)
    config["mcpServers"]["migrator-glue"] = {"command": "no-such-glue-server"}
    config["mcpServers"]["migrator-s3"] = {"command": sys.executable,
                                           "args": ["-c", "raise SystemExit('s3 server: missing bucket setting')"]}
    out = _doctor(config, tmp_path)
    assert out.returncode == 1
    assert "glue: MCP server 'migrator-glue' failed (unavailable): command 'no-such-glue-server' was not found" in out.stdout
    assert "s3 server: missing bucket setting" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_malformed_mcp_json(tmp_path: Path) -> None:
    out = _doctor('{"mcpServers": {"a": {"command": 1}}}', tmp_path)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == f"Error: {tmp_path / 'mcp.json'}: mcpServers.a has no 'command': set the executable that starts the server."
    out = _doctor("{", tmp_path)
    assert out.returncode == 1 and "is not valid JSON" in out.stderr and "Traceback" not in out.stderr


def test_no_config_anywhere(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MIGRATOR_MCP_CONFIG"}
    out = subprocess.run([sys.executable, "-m", "migrator", "doctor"], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=60)
    assert out.returncode == 1 and "no MCP configuration found" in out.stderr and "migrator sandbox up" in out.stderr


def test_a_role_with_no_server_is_a_row_of_the_report(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    """doctor reports every role, the ones it cannot bind included (it does not stop at the first)."""
    config = _sandbox_config(sandbox)
    config["mcpServers"] = {"migrator-mysql": config["mcpServers"]["migrator-mysql"]}
    config.pop("migrator", None)
    out = _doctor(config, tmp_path, "--json")
    assert out.returncode == 1, out.stdout + out.stderr
    roles = {r["role"]: r for r in json.loads(out.stdout)["roles"]}
    assert set(roles) == {"mysql", "dynamodb", "glue", "s3"}
    assert roles["mysql"]["ok"] is True
    for role in ("dynamodb", "glue", "s3"):
        assert roles[role]["ok"] is False and any(role in p for p in roles[role]["problems"]), roles[role]


def test_with_a_contract_only_its_plan_operations_are_required(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                                tmp_path: Path) -> None:
    """`doctor CONTRACT` compiles the plan against the live schema and requires what its resources
    and commands call: the shop has no Spark load and no index update, but loads, views, checks."""
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=3))
    conn.close()
    config = _sandbox_config(sandbox)
    config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] = mysql_db
    out = _doctor(config, tmp_path, str(CONTRACT), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["scope"] == f"the plan of {CONTRACT}" and doc["warnings"] == []
    ops = {(r["role"], o["operation"]): o for r in doc["roles"] for o in r["operations"]}
    assert ops[("glue", "start_job_run")]["needed_by"] == ["load", "verify --full"] and ops[("glue", "start_job_run")]["required"]
    assert ops[("mysql", "create_view")]["needed_by"] == ["mysql_view"]
    assert ops[("dynamodb", "batch_get")]["needed_by"] == ["check", "verify"]
    assert ops[("dynamodb", "batch_write")]["needed_by"] == [] and not ops[("dynamodb", "batch_write")]["required"]
    assert ops[("glue", "get_job_run_logs")]["needed_by"] == ["load"] and not ops[("glue", "get_job_run_logs")]["required"]
    text = _doctor(config, tmp_path, str(CONTRACT))
    assert f"operations the plan of {CONTRACT} calls, per role:" in text.stdout, text.stdout
    assert any(line.split()[:3] == ["glue", str(sum(1 for (role, _), o in ops.items() if role == "glue"
                                                    and o["needed_by"])), "all"] for line in text.stdout.splitlines())


def test_the_data_processing_server_as_the_s3_role_says_what_it_lacks(sandbox: lifecycle.SandboxRecord,
                                                                      tmp_path: Path) -> None:
    config = _sandbox_config(sandbox)
    config["mcpServers"]["aws-dataprocessing"] = {
        "command": third_party_server("awslabs.aws-dataprocessing-mcp-server", "0.2.2"), "args": ["--allow-write"],
        "env": sandbox.aws_env()}
    config["migrator"]["roles"]["s3"] = {"server": "aws-dataprocessing", "adapter": "awslabs_dataprocessing"}
    out = _doctor(config, tmp_path, "--json")
    assert out.returncode == 1, out.stdout + out.stderr
    s3 = next(r for r in json.loads(out.stdout)["roles"] if r["role"] == "s3")
    cannot = {o["operation"] for o in s3["operations"] if not o["ok"]}
    assert cannot == {"list_buckets", "create_bucket", "delete_bucket", "get_object", "head_object", "delete_object",
                      "list_objects"}, s3["operations"]
    text = _doctor(config, tmp_path)
    assert text.returncode == 1
    assert ("problem: s3: cannot create_bucket: awslabs.aws-dataprocessing-mcp-server only uploads text (upload_to_s3), "
            "it cannot create a bucket; bind the s3 role to migrator's S3 server") in text.stdout, text.stdout
    assert "Traceback" not in text.stdout + text.stderr
