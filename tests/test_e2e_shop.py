"""The walking skeleton end to end on the sandbox: validate, plan, apply, plan again, destroy.

Real MariaDB, real moto, real stdio MCP servers, the real local Glue runtime running the
generated job. The items are checked against values computed in this file from the raw
MySQL rows (pymysql) and read back with boto3 — never against migrator's own output.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import assert_coverage_and_settings, browser_dom, shown_figures, aws, own_emulator, project_cli, scan_items
from tests.helpers import project as make_project

from tests.shop_reference import CONTRACT, raw_rows, seed, stored_and_expected


@pytest.fixture
def project(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=7))
    conn.close()
    with own_emulator(tmp_path / "moto") as emulator:  # its tables are this test's alone
        yield make_project(sandbox, mysql_db, tmp_path, emulator)


def _cli(project: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return project_cli(project, *args)


@pytest.fixture
def debris(sandbox: lifecycle.SandboxRecord) -> Iterator[None]:
    """What an earlier failed test may leave in the shared emulator: tables named like ours.

    One failure must stay one failure: a test that owns its emulator does not see them.
    """
    ddb = aws(sandbox, "dynamodb")
    names = [t["table"] for t in json.loads(CONTRACT.read_text())["tables"]]
    for name in names:
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}])
    yield
    for name in names:
        ddb.delete_table(TableName=name)


def test_shop_validate_plan_apply_plan_destroy(sandbox: lifecycle.SandboxRecord, project: dict[str, Any],
                                              debris: None) -> None:
    doc = json.loads(CONTRACT.read_text())
    tables = [t["table"] for t in doc["tables"]]

    validated = _cli(project, "validate", str(CONTRACT))
    assert validated.returncode == 0, validated.stdout + validated.stderr

    plan = _cli(project, "plan", str(CONTRACT))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    n_tables = len(tables)
    n_gsis = sum(len(t.get("gsis") or []) for t in doc["tables"])
    # per table: view, table, script, job, load, check; shared: bucket, runtime bundle, Glue connection
    assert f"Plan: {6 * n_tables + n_gsis + 3} to add, 0 to change, 0 to replace, 0 to destroy." in plan.stdout
    assert sandbox.mysql_password not in plan.stdout

    applied = _cli(project, "apply", str(CONTRACT), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout
    assert sandbox.mysql_password not in applied.stdout + applied.stderr

    # Items equal an independent computation from the raw rows.
    conn = root_connection(sandbox, project["db"])
    raw = raw_rows(conn, doc)
    conn.close()
    ddb = aws(project["aws"], "dynamodb")
    for table, got, exp in stored_and_expected(ddb, doc, raw):
        assert len(got) == len(exp) == len(raw[table["source_table"]]), table["table"]
        assert got == exp, table["table"]
        for check in ("check", ):
            source_rows = len(raw[table["source_table"]])
            assert f"{check}.{table['table']}: source rows {source_rows}, view rows {len(exp)}, items written " \
                   f"{len(exp)}, rejected 0, " \
                   f"table items {len(exp)}: agree" in applied.stdout

    # The report says the same, as JSON and on an HTML page a browser shows.
    assert "Report: " in applied.stdout and "The full report: " in applied.stdout
    report = json.loads(_cli(project, "report", str(CONTRACT), "--json").stdout)
    page = Path(project["cwd"]) / "report.html"
    assert _cli(project, "report", "--html", str(page)).returncode == 0
    shown = shown_figures(browser_dom(page))
    for table in doc["tables"]:
        name, rows = table["table"], len(raw[table["source_table"]])
        (reported,) = [t for t in report["tables"] if t["name"] == name]
        (load,) = reported["loads"]
        assert (load["rows_read"], load["items_written"], load["items_rejected"]) == (rows, rows, 0), name
        assert reported["check"]["ok"] and reported["check"]["sample"]["matching"] == min(rows, 1000), name
        for field in ("rows_read", "items_written", "items_rejected", "retries", "throttles"):
            assert int(shown[(name, field)].replace(",", "")) == load[field], (name, field)
    assert_coverage_and_settings(aws(project["aws"], "dynamodb"), report, shown)
    assert report["ok"] and report["totals"]["rows_read"] == sum(len(raw[t["source_table"]]) for t in doc["tables"])

    # State recorded every resource, and holds no secret.
    state_text = (project["state"] / "migrator.state.json").read_text()
    assert sandbox.mysql_password not in state_text
    state = json.loads(state_text)
    assert len(state["resources"]) == 6 * n_tables + n_gsis + 3 and state["serial"] >= 6 * n_tables + n_gsis + 3

    # No secret anywhere migrator wrote: state, logs, server logs, job logs, saved plans. The
    # mcp.json (configuration) and the local Glue runtime's connection store hold it by design.
    planfile = project["cwd"] / "saved.plan.json"
    assert _cli(project, "plan", str(CONTRACT), "--out", str(planfile)).returncode == 0
    written = [p for p in Path(project["cwd"]).rglob("*") if p.is_file() and p.name != "mcp.json"
               and "connections" not in p.parts]
    assert any(p.suffix == ".log" for p in written) and planfile in written
    leaks = [str(p) for p in written if sandbox.mysql_password.encode() in p.read_bytes()]
    assert leaks == []

    again = _cli(project, "plan", str(CONTRACT), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    second = _cli(project, "apply", str(CONTRACT), "--auto-approve")
    assert second.returncode == 0 and "No changes." in second.stdout
    assert json.loads((project["state"] / "migrator.state.json").read_text())["serial"] == state["serial"]

    destroyed = _cli(project, "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    # destroy walks the reversed graph in parallel: the loads (each a delete in S3) overlap; one at a
    # time, each load would be destroyed before the next one starts
    events = [line.split(": ", 1) for line in destroyed.stdout.splitlines() if line.startswith("load.")]
    first_done = next(i for i, (_, what) in enumerate(events) if what.startswith("destroyed"))
    assert len({a for a, what in events[:first_done] if what == "destroying"}) >= 2, destroyed.stdout
    remaining = set(ddb.list_tables()["TableNames"]) & set(tables)
    assert remaining == set()
    s3 = aws(project["aws"], "s3")
    assert project["bucket"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    conn = root_connection(sandbox, project["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (project["db"],))
        assert cur.fetchone() == (0,)
    conn.close()
    assert not list((project["glue_dir"] / "jobs").glob("*.json"))
    assert not list((project["glue_dir"] / "connections").glob("*.json"))
    assert json.loads((project["state"] / "migrator.state.json").read_text())["resources"] == {}


def test_failed_load_stops_dependants_and_the_next_apply_finishes(sandbox: lifecycle.SandboxRecord,
                                                                  project: dict[str, Any]) -> None:
    from migrator.sandbox.processes import free_port

    doc = json.loads(CONTRACT.read_text())
    tables = [t["table"] for t in doc["tables"]]
    # The Glue jobs are pointed at a port where no MySQL listens: every load fails.
    failed = _cli(project, "apply", str(CONTRACT), "--auto-approve", "--source-port", str(free_port()))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Apply failed." in failed.stdout and "Traceback" not in failed.stdout + failed.stderr
    for name in tables:
        assert f"load.{name}: failed: load.{name}: Glue job migrator-load-{name} run" in failed.stdout
    assert "Not attempted because a dependency failed: " + ", ".join(f"check.{n}" for n in sorted(tables)) \
        in failed.stdout
    state = json.loads((project["state"] / "migrator.state.json").read_text())["resources"]
    assert all(state[f"load.{n}"]["status"] == "tainted" for n in tables)
    assert not any(a.startswith("check.") for a in state)
    assert all(state[f"dynamodb_table.{n}"]["status"] == "ok" for n in tables)  # what succeeded is recorded

    replan = _cli(project, "plan", str(CONTRACT))
    # The connection's address changes back; the tainted loads are replaced; the checks are new.
    assert f"Plan: {len(tables)} to add, 1 to change, {len(tables)} to replace, 0 to destroy." in replan.stdout, \
        replan.stdout
    assert "an earlier apply failed while creating it" in replan.stdout
    fixed = _cli(project, "apply", str(CONTRACT), "--auto-approve")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    ddb = aws(project["aws"], "dynamodb")
    conn = root_connection(sandbox, project["db"])
    with conn.cursor() as cur:
        for table in doc["tables"]:
            cur.execute(f"SELECT COUNT(*) FROM `{table['source_table']}`")
            (rows,) = cur.fetchone()
            assert len(scan_items(ddb, table["table"])) == rows
    conn.close()
    assert "No changes." in _cli(project, "plan", str(CONTRACT)).stdout
    assert _cli(project, "destroy", "--auto-approve").returncode == 0
