"""Changes made outside migrator show in the plan, and apply puts the contract back.

MySQL stores views rewritten (quoted, qualified, lower-cased functions), so a view is
never compared with the contract's SQL as text: what apply observed is the reference.
"""

from __future__ import annotations

import json
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
    gsi = f"dynamodb_gsi.{tiny['table']}/ByName"
    assert f"# {view} will be updated in place (changed outside migrator)" in plan.stdout
    assert f"# {gsi} will be created (it no longer exists (removed outside migrator))" in plan.stdout
    assert f"dynamodb_table.{tiny['table']} will be" not in plan.stdout  # the table itself is as it was
    section = plan.stdout.split("Changed outside migrator (apply puts back what the contract says):")[1].split("\n\n")[0]
    # in plan order: dependencies first, ties by address (so the same plan always reads the same)
    assert section.split() == ["~", view, "+", gsi]
    # the view feeds the load: it runs again; the index does not (it backfills on its own)
    assert f"# load.{tiny['table']} must be replaced (runs again: {view} changes)" in plan.stdout
    assert "Plan: 1 to add, 1 to change, 2 to replace, 0 to destroy." in plan.stdout  # load and check

    fixed = _cli(tiny, "apply", contract, "--auto-approve")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "No changes." in _cli(tiny, "plan", contract).stdout
    indexes = ddb.describe_table(TableName=tiny["table"])["Table"].get("GlobalSecondaryIndexes", [])
    assert [g["IndexName"] for g in indexes] == ["ByName"]
    assert ddb.scan(TableName=tiny["table"], Select="COUNT")["Count"] == 3
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0


def test_adding_an_index_loads_nothing_again_and_removing_it_deletes_only_it(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    assert _cli(tiny, "apply", contract, "--auto-approve").returncode == 0
    state_file = tiny["tmp"] / "state" / "migrator.state.json"
    load = f"load.{tiny['table']}"
    run_before = json.loads(state_file.read_text())["resources"][load]["attributes"]["run_id"]

    doc = json.loads(tiny["contract"].read_text())
    doc["tables"][0]["gsis"].append({"index_name": "ByKind", "pk": "kind", "sk": "name", "projection": "ALL"})
    tiny["contract"].write_text(json.dumps(doc))
    gsi = f"dynamodb_gsi.{tiny['table']}/ByKind"
    plan = _cli(tiny, "plan", contract)
    assert f"# {gsi} will be created" in plan.stdout
    assert f"# {load} " not in plan.stdout  # the items do not depend on an index
    assert "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy." in plan.stdout, plan.stdout  # the index alone
    added = _cli(tiny, "apply", contract, "--auto-approve")
    assert added.returncode == 0, added.stdout + added.stderr
    ddb = boto3.client("dynamodb", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    indexes = {g["IndexName"]: g for g in ddb.describe_table(TableName=tiny["table"])["Table"]["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["ByKind", "ByName"] and indexes["ByKind"]["IndexStatus"] == "ACTIVE"
    assert [k["AttributeName"] for k in indexes["ByKind"]["KeySchema"]] == ["kind", "name"]
    # the index holds the items that have its keys (thing 2 has no kind), read from DynamoDB directly
    queried = ddb.scan(TableName=tiny["table"], IndexName="ByKind")["Items"]
    assert sorted(i["PK"]["S"] for i in queried) == ["THING#1", "THING#3"]
    assert json.loads(state_file.read_text())["resources"][load]["attributes"]["run_id"] == run_before
    assert "No changes." in _cli(tiny, "plan", contract).stdout

    doc["tables"][0]["gsis"] = [g for g in doc["tables"][0]["gsis"] if g["index_name"] != "ByName"]
    tiny["contract"].write_text(json.dumps(doc))
    removed = _cli(tiny, "apply", contract, "--auto-approve")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert f"dynamodb_gsi.{tiny['table']}/ByName: destroyed" in removed.stdout
    assert [g["IndexName"] for g in ddb.describe_table(TableName=tiny["table"])["Table"]["GlobalSecondaryIndexes"]] \
        == ["ByKind"]
    assert ddb.scan(TableName=tiny["table"], Select="COUNT")["Count"] == 3
    assert json.loads(state_file.read_text())["resources"][load]["attributes"]["run_id"] == run_before
    assert "No changes." in _cli(tiny, "plan", contract).stdout
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0
    assert tiny["table"] not in ddb.list_tables()["TableNames"]
