"""`migrator report` after a real apply: its figures against counts taken with SQL and boto3
directly, and its cut-over guidance followed to the letter (the tables stay, the rest goes).

Real MariaDB, moto, the local Glue runtime and the CLI in a subprocess."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, browser_dom, run_cli, scan_items, shown_figures

REPO = Path(__file__).resolve().parents[1]


def sql_one(sandbox: lifecycle.SandboxRecord, db: str, statement: str) -> Any:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute(statement)
        value = cur.fetchone()[0]
    conn.close()
    return value


def test_the_report_agrees_with_sql_and_boto3_and_its_cut_over_commands_keep_the_tables(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s)", [(i, f"n{i}", 1) for i in range(4, 30)])
        cur.execute("INSERT INTO things VALUES (30, '', 2)")    # rejected: an empty index key
    conn.close()
    env, cwd, table, db = tiny["env"], tiny["tmp"], tiny["table"], tiny["db"]
    contract = json.loads(tiny["contract"].read_text())
    contract["tables"][0]["attributes"].append({"name": "expires", "type": "N", "source_table": "things",
                                                "source_column": "id"})
    contract["tables"][0]["ttl_attribute"] = "expires"     # declared; migrator leaves TTL off
    contract["tables"][0]["load"] = {"max_rejected_rows": 1}   # the empty key above, budgeted
    tiny["contract"].write_text(json.dumps(contract))
    applied = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Report: 1 table(s), 30 rows read, 29 items written, 1 rejected" in applied.stdout, applied.stdout
    assert "The full report: `migrator report" in applied.stdout

    done = run_cli(env, cwd, "report", str(tiny["contract"]), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    Draft202012Validator(json.loads((REPO / "schemas" / "report.schema.json").read_text())).validate(doc)
    ddb = aws(sandbox, "dynamodb")
    items = scan_items(ddb, table)
    (report_table,) = doc["tables"]
    (load,) = report_table["loads"]
    assert load["rows_read"] == sql_one(sandbox, db, "SELECT COUNT(*) FROM things")
    assert load["items_written"] == len(items) == sql_one(sandbox, db, "SELECT COUNT(*) FROM things WHERE name <> ''")
    assert load["items_rejected"] == sql_one(sandbox, db, "SELECT COUNT(*) FROM things WHERE name = ''")
    assert load["rejected_by_reason"] == {"key_empty:name": 1}
    assert load["rejects_location"] == f"s3://{env['MIGRATOR_BUCKET']}/migrator/rejects/{table}/"
    assert report_table["check"]["ok"] and report_table["check"]["sample"]["matching"] == len(items)
    assert report_table["indexes"] == ["ByName"] and doc["ok"] is True
    by_name = len(scan_items(ddb, table, index="ByName"))
    non_empty = sql_one(sandbox, db, "SELECT COUNT(*) FROM things WHERE name IS NOT NULL AND name <> ''")
    assert report_table["check"]["indexes"] == [
        {"index": "ByName", "keys": ["name"], "index_items": by_name, "carrying": non_empty,
         "expected_min": non_empty, "expected_max": sql_one(sandbox, db, "SELECT COUNT(*) FROM things"), "ok": True}]
    assert by_name == non_empty
    ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
    assert report_table["protection"] == {
        "point_in_time_recovery": pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED",
        "deletion_protection": ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"],
        "ttl_declared": "expires", "ttl_status": "DISABLED", "ttl_attribute": None}
    (ttl_advice,) = [a for a in doc["advice"] if a["topic"] == "ttl"]
    assert ttl_advice["commands"] == [f"aws dynamodb update-time-to-live --table-name {table} "
                                      "--time-to-live-specification Enabled=true,AttributeName=expires"]

    # What the guidance says to do, done with boto3: the report with the contract reads it back.
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    ddb.update_table(TableName=table, DeletionProtectionEnabled=True)
    now = json.loads(run_cli(env, cwd, "report", str(tiny["contract"]), "--json").stdout)
    assert now["tables"][0]["protection"] == {"point_in_time_recovery": True, "deletion_protection": True,
                                              "ttl_declared": "expires", "ttl_status": "ENABLED",
                                              "ttl_attribute": "expires"}
    assert not [a for a in now["advice"] if a["topic"] in ("ttl", "backups")]
    assert now["drift"] == []                                  # none of them is the contract's business
    before = (Path(cwd) / "state" / "migrator.state.json").read_text()
    refused = run_cli(env, cwd, "destroy", "--auto-approve")            # it would stop halfway: refused whole
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (f"dynamodb_table.{table} has deletion protection on, so destroy would stop halfway; nothing was changed"
            in refused.stderr), refused.stderr
    assert f"aws dynamodb update-table --table-name {table} --no-deletion-protection-enabled" in refused.stderr
    assert (Path(cwd) / "state" / "migrator.state.json").read_text() == before
    assert ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes")   # its index untouched
    ddb.update_table(TableName=table, DeletionProtectionEnabled=False)   # the cut-over below keeps the table

    page = Path(cwd) / "report.html"
    written = run_cli(env, cwd, "report", "--html", str(page))
    assert written.returncode == 0 and written.stdout == f"Wrote the HTML report to {page}\n", written.stdout
    # (the text report is what `report` prints without --html, not beside it)
    shown = shown_figures(browser_dom(page))
    for field in ("rows_read", "items_written", "items_rejected"):
        assert int(shown[(table, field)].replace(",", "")) == load[field], field

    markdown = run_cli(env, cwd, "report", "--markdown")
    assert markdown.returncode == 0 and f"| {table} | 30 | 29 | 1 |" in markdown.stdout, markdown.stdout
    text = run_cli(env, cwd, "report")
    assert f"load.{table}: 1 (key_empty:name 1)" in text.stdout

    assert doc["drift"] == [] and doc["warnings"] == []          # with the contract, reality was read
    assert json.loads(run_cli(env, cwd, "report", "--json").stdout)["drift"] is None   # state only: not checked
    state = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())
    (view,) = [a.split(".", 1)[1] for a in state["resources"] if a.startswith("mysql_view.")]
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute(f"DROP VIEW `{view}`")                      # drift: removed outside migrator
    conn.close()
    drifted = json.loads(run_cli(env, cwd, "report", str(tiny["contract"]), "--json").stdout)
    assert drifted["drift"] == [f"mysql_view.{view}: it no longer exists (removed outside migrator) "
                                "(apply creates it again)"]
    assert [a["topic"] for a in drifted["advice"]][:1] == ["drift"]

    (cut,) = [a for a in doc["advice"] if a["topic"] == "cut_over"]
    for command in cut["commands"]:
        argv = shlex.split(command)
        assert argv[0] == "migrator"
        extra = ["--auto-approve"] if argv[1] == "destroy" else []
        step = run_cli(env, cwd, *argv[1:], *extra)
        assert step.returncode == 0, step.stdout + step.stderr
    assert len(scan_items(ddb, table)) == len(items)                     # the table and its items stay
    assert sql_one(sandbox, db, "SELECT COUNT(*) FROM information_schema.VIEWS "
                                "WHERE TABLE_SCHEMA = DATABASE()") == 0   # the views go
    state = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())
    assert state["resources"] == {}
    ddb.delete_table(TableName=table)
