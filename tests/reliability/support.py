"""What every reliability test needs: a shop project of its own, the CLI, and the checks
that say "nothing lost, nothing duplicated, nothing left", each read straight from the
source: pymysql for MariaDB, boto3 for the emulator, the files of the local Glue runtime.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from migrator.servers import glue_local
from tests.conftest import root_connection
from tests.helpers import HasEndpoint, aws, project, project_cli, scan_items
from tests.shop_reference import CONTRACT, expected_items, key_of, raw_rows, seed

#: an apply's line for a node it finished (`load.Orders: created (1.2s)`).
NODE_DONE = re.compile(r"^(\S+): (created|updated|replaced|destroyed) \(\d")


def shop_doc() -> dict[str, Any]:
    return json.loads(CONTRACT.read_text())


def shop_subset(folder: Path, *names: str) -> Path:
    """A contract of some of the shop's tables: the same node kinds, fewer nodes to walk."""
    doc = shop_doc()
    doc["tables"] = [t for t in doc["tables"] if t["table"] in names]
    assert [t["table"] for t in doc["tables"]] == list(names), "tables named in the shop's order"
    path = folder / "shop-subset.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def seed_shop(sandbox: lifecycle.SandboxRecord, database: str) -> None:
    conn = root_connection(sandbox, database)
    seed.load(conn, seed.generate(scale=1, seed=7))
    conn.close()


def shop_project(sandbox: lifecycle.SandboxRecord, database: str, folder: Path, emulator: HasEndpoint,
                 server_env: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """A project on `emulator`; `server_env` adds environment to named MCP servers (fault switches)."""
    proj = project(sandbox, database, folder, emulator)
    if server_env:
        config = json.loads(proj["mcp_json"].read_text())
        for server, env in server_env.items():
            config["mcpServers"][server]["env"].update(env)
        proj["mcp_json"].write_text(json.dumps(config))
    return proj


def cli(proj: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return project_cli(proj, *args)


def project_env(proj: dict[str, Any]) -> dict[str, str]:
    return {**os.environ, "MIGRATOR_MCP_CONFIG": str(proj["mcp_json"]), "MIGRATOR_STATE_DIR": str(proj["state"]),
            "MIGRATOR_BUCKET": proj["bucket"]}


def cli_process(proj: dict[str, Any], *args: str) -> subprocess.Popen[str]:
    """The CLI as a running process (stdout line by line), to be killed or raced."""
    return subprocess.Popen([sys.executable, "-m", "migrator", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=project_env(proj), cwd=proj["cwd"], bufsize=1)


def state(proj: dict[str, Any]) -> dict[str, Any]:
    path = Path(proj["state"]) / "migrator.state.json"
    return json.loads(path.read_text()) if path.exists() else {"resources": {}}


def expected(sandbox: lifecycle.SandboxRecord, database: str,
             contract: Path = CONTRACT) -> dict[str, dict[tuple[str, ...], dict[str, Any]]]:
    """Per table of `contract`, the item each key must hold, computed from the raw rows."""
    doc = json.loads(contract.read_text())
    conn = root_connection(sandbox, database)
    want = expected_items(doc, raw_rows(conn, doc))
    conn.close()
    out = {}
    for table in doc["tables"]:
        items = {key_of(table, i): i for i in want[table["table"]]}
        assert len(items) == len(want[table["table"]]), "the shop's keys are unique by design"
        out[table["table"]] = items
    return out


def assert_loaded(proj: dict[str, Any], want: dict[str, dict[tuple[str, ...], dict[str, Any]]]) -> dict[str, int]:
    """Every table holds exactly the expected items: none lost, none duplicated, none extra, all equal."""
    ddb = aws(proj["aws"], "dynamodb")
    counts = {}
    for table in (t for t in shop_doc()["tables"] if t["table"] in want):
        name = table["table"]
        got = scan_items(ddb, name)
        keys = [key_of(table, i) for i in got]
        assert len(keys) == len(set(keys)), f"{name}: a key read twice"
        lost, extra = set(want[name]) - set(keys), set(keys) - set(want[name])
        assert not lost and not extra, f"{name}: {len(lost)} lost, {len(extra)} extra, e.g. {sorted(lost | extra)[:3]}"
        wrong = [i for i in got if want[name][key_of(table, i)] != i]
        assert not wrong, f"{name}: {len(wrong)} items differ, e.g. {wrong[0]} != {want[name][key_of(table, wrong[0])]}"
        counts[name] = len(got)
    return counts


def assert_state_true(sandbox: lifecycle.SandboxRecord, proj: dict[str, Any]) -> None:
    """Whatever the state records as done exists (it may know less than reality, never more)."""
    ddb, s3 = aws(proj["aws"], "dynamodb"), aws(proj["aws"], "s3")
    tables = set(ddb.list_tables()["TableNames"])
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    conn = root_connection(sandbox, proj["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (proj["db"],))
        views = {r[0] for r in cur.fetchall()}
    conn.close()
    glue = glue_local.LocalGlue(proj["glue_dir"])
    for address, resource in state(proj)["resources"].items():
        if resource.get("status") != "ok":
            continue
        kind, _, name = address.partition(".")
        if kind == "dynamodb_table":
            assert name in tables, address
        elif kind == "dynamodb_gsi":
            table, _, index = name.partition("/")
            indexes = ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes") or []
            assert index in [g["IndexName"] for g in indexes], address
        elif kind == "mysql_view":
            assert name in views, address
        elif kind == "s3_bucket":
            assert name in buckets, address
        elif kind == "s3_object":
            s3.head_object(Bucket=resource["attributes"]["bucket"], Key=name)
        elif kind == "glue_job":
            glue.get_job(name)
        elif kind == "glue_connection":
            glue.get_connection(name)


def assert_nothing_left(sandbox: lifecycle.SandboxRecord, proj: dict[str, Any]) -> None:
    """After destroy: the project's own emulator is empty, no view, job, connection or run is left."""
    ddb, s3 = aws(proj["aws"], "dynamodb"), aws(proj["aws"], "s3")
    assert ddb.list_tables()["TableNames"] == []
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == []
    conn = root_connection(sandbox, proj["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (proj["db"],))
        assert cur.fetchone() == (0,)
    conn.close()
    glue_dir = Path(proj["glue_dir"])
    assert not list((glue_dir / "jobs").glob("*.json"))
    assert not list((glue_dir / "connections").glob("*.json"))
    assert glue_local.active_runs(glue_dir) == []
    assert state(proj)["resources"] == {}


def destroy_and_check(sandbox: lifecycle.SandboxRecord, proj: dict[str, Any]) -> None:
    done = cli(proj, "destroy", "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_nothing_left(sandbox, proj)
