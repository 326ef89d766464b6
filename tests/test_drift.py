"""Changes made outside migrator show in the plan, and apply puts the contract back.

MySQL stores views rewritten (quoted, qualified, lower-cased functions), so a view is
never compared with the contract's SQL as text: what apply observed is the reference.
"""

from __future__ import annotations

import subprocess
from typing import Any

import boto3

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import run_cli


def _cli(tiny: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tiny["env"], tiny["tmp"], *args)


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
    assert f"# dynamodb_table.{tiny['table']} will be updated in place (changed outside migrator)" in plan.stdout
    section = plan.stdout.split("Changed outside migrator (apply puts back what the contract says):")[1].split("\n\n")[0]
    # in plan order: dependencies first, ties by address (so the same plan always reads the same)
    assert section.split() == ["~", f"dynamodb_table.{tiny['table']}", "~", view]
    assert "+ GlobalSecondaryIndexes[0]" in plan.stdout
    assert f"# load.{tiny['table']} must be replaced (runs again:" in plan.stdout

    fixed = _cli(tiny, "apply", contract, "--auto-approve")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "No changes." in _cli(tiny, "plan", contract).stdout
    indexes = ddb.describe_table(TableName=tiny["table"])["Table"].get("GlobalSecondaryIndexes", [])
    assert [g["IndexName"] for g in indexes] == ["ByName"]
    assert ddb.scan(TableName=tiny["table"], Select="COUNT")["Count"] == 3
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0
