"""Changes made outside migrator show in the plan, and apply puts the contract back.

MySQL stores views rewritten (quoted, qualified, lower-cased functions), so a view is
never compared with the contract's SQL as text: what apply observed is the reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection


@pytest.fixture
def tiny(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> dict[str, Any]:
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


def _cli(tiny: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True, env=tiny["env"],
                          cwd=tiny["tmp"], timeout=300)


def test_view_and_gsi_changed_outside_migrator(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    assert _cli(tiny, "apply", contract, "--auto-approve").returncode == 0
    assert "No changes." in _cli(tiny, "plan", contract).stdout

    # Someone edits the view by hand (same columns, different rows) ...
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.execute("CREATE OR REPLACE VIEW ddb_" + tiny["table"].lower() + "_view AS SELECT CONCAT('THING#', id) AS "
                    "`PK`, name AS `name`, NULL AS `kind` FROM things WHERE id > 1")
    conn.close()
    # ... and drops the GSI.
    ddb = boto3.client("dynamodb", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    ddb.update_table(TableName=tiny["table"], GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ByName"}}])

    plan = _cli(tiny, "plan", contract, "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    view = f"mysql_view.ddb_{tiny['table'].lower()}_view"
    assert f"# {view} will be updated in place (changed outside migrator)" in plan.stdout
    assert f"# dynamodb_table.{tiny['table']} will be updated in place" in plan.stdout
    assert "+ GlobalSecondaryIndexes[0]" in plan.stdout
    assert f"# load.{tiny['table']} must be replaced (runs again:" in plan.stdout

    fixed = _cli(tiny, "apply", contract, "--auto-approve")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "No changes." in _cli(tiny, "plan", contract).stdout
    indexes = ddb.describe_table(TableName=tiny["table"])["Table"].get("GlobalSecondaryIndexes", [])
    assert [g["IndexName"] for g in indexes] == ["ByName"]
    assert ddb.scan(TableName=tiny["table"], Select="COUNT")["Count"] == 3
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0
