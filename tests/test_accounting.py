"""Honest accounting through the CLI (issue 21, findings 3, 4 and 7), on real MariaDB, moto and the
local Glue runtime: a load that rejects rows fails apply unless its table budgets them; a load that
fails or stops shows under its table in every report format and turns the headline red; a plan with
errors never says "No changes" and prints each error once. Every expected figure is computed here
from the rows the test inserts, never taken from migrator's own output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from migrator.runtime.faults import ENV
from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli, scan_items

REPO = Path(__file__).resolve().parents[1]
REPORT_SCHEMA = Draft202012Validator(json.loads((REPO / "schemas" / "report.schema.json").read_text()))


def insert(sandbox: lifecycle.SandboxRecord, db: str, rows: list[tuple[int, str, int | None]]) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s)", rows)
    conn.close()


def all_rows(sandbox: lifecycle.SandboxRecord, db: str) -> list[tuple[int, str, int | None]]:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("SELECT id, name, kind_id FROM things ORDER BY id")
        rows = [(int(r[0]), str(r[1]), r[2]) for r in cur.fetchall()]
    conn.close()
    return rows


def with_load(tiny: dict[str, Any], load: dict[str, Any] | None) -> None:
    contract = json.loads(tiny["contract"].read_text())
    if load is None:
        contract["tables"][0].pop("load", None)
    else:
        contract["tables"][0]["load"] = load
    tiny["contract"].write_text(json.dumps(contract))


def state_of(tiny: dict[str, Any]) -> dict[str, Any]:
    return json.loads((Path(tiny["tmp"]) / "state" / "migrator.state.json").read_text())


def report_json(tiny: dict[str, Any]) -> dict[str, Any]:
    done = run_cli(tiny["env"], tiny["tmp"], "report", "--json")
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)
    REPORT_SCHEMA.validate(doc)
    return doc


def test_rejected_rows_fail_apply_unless_budgeted_and_the_report_says_so_in_every_format(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    # an empty name is an empty key of the ByName index: the runtime rejects such a row (key_empty:name)
    insert(sandbox, tiny["db"], [(i, f"n{i}" if i % 7 else "", 1) for i in range(4, 40)])
    rows = all_rows(sandbox, tiny["db"])
    rejected = [r for r in rows if r[1] == ""]
    assert len(rejected) == 5
    env, cwd, table = tiny["env"], tiny["tmp"], tiny["table"]
    address = f"load.{table}"

    failed = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    sentence = (f"{address}: {len(rejected)} of {len(rows)} rows rejected (over budget 0 rows): "
                f"key_empty:name {len(rejected)}; e.g. PK=THING#")
    assert sentence in failed.stderr, out
    assert f"every rejected row is listed in s3://{env['MIGRATOR_BUCKET']}/migrator/rejects/{table}/" in failed.stderr
    assert f'"max_rejected_rows": {len(rejected)} in $.tables[0].load' in failed.stderr, out
    assert "Traceback" not in out and "every check passed" not in out
    last = [line for line in failed.stdout.splitlines() if line.startswith("Report:")]
    assert last and f"{address} failed: {len(rejected)} of {len(rows)} rows rejected (over budget 0 rows)" in last[0]

    # recorded with its table and figures, tainted so the next apply runs it again; its check ran
    record = state_of(tiny)["resources"][address]
    assert record["status"] == "tainted"
    figures = record["attributes"]
    assert (figures["table"], figures["rows_read"], figures["items_written"], figures["items_rejected"]) == (
        table, len(rows), len(rows) - len(rejected), len(rejected))
    assert figures["rejected_by_reason"] == {"key_empty:name": len(rejected)}
    assert len(scan_items(aws(sandbox, "dynamodb"), table)) == len(rows) - len(rejected)   # the rest is loaded
    sample_ids = {int(s["key"]["PK"].split("#")[1]) for s in figures["samples"]}
    assert sample_ids <= {r[0] for r in rejected}

    doc = report_json(tiny)
    assert doc["ok"] is False
    (shown,) = doc["tables"]
    (load,) = shown["loads"]
    assert (shown["name"], load["address"], load["status"], load["within_budget"]) == (table, address, "tainted",
                                                                                       False)
    assert load["items_rejected"] == len(rejected) and load["reject_budget"] == "0 rows"
    assert f"{address} failed: {len(rejected)} of {len(rows)} rows rejected (over budget 0 rows)" in doc["problems"]
    assert not [a for a in doc["advice"] if a["topic"] == "cut_over"]
    markdown = run_cli(env, cwd, "report", "--markdown").stdout
    assert markdown.startswith("### migrator report: ❌") and "every check passed" not in markdown
    text = run_cli(env, cwd, "report").stdout
    assert "Not done:" in text and "every check passed" not in text and "OVER budget 0 rows" in text

    # budgeted: the apply re-runs the tainted load and passes; the report says within budget
    with_load(tiny, {"max_rejected_rows": len(rejected)})
    passed = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert (f"every check passed, every row accounted for ({len(rejected)} rejected within budget)"
            in passed.stdout), passed.stdout
    doc = report_json(tiny)
    assert doc["ok"] is True and doc["problems"] == []
    (load,) = doc["tables"][0]["loads"]
    assert (load["status"], load["within_budget"], load["reject_budget"]) == ("ok", True, f"{len(rejected)} rows")
    (advice,) = [a for a in doc["advice"] if a["topic"] == "rejected_rows"]
    assert f"within the load's budget of {len(rejected)} rows" in advice["sentence"]

    # a budget is a judgement of a result, not what the items are: changing it reloads nothing
    with_load(tiny, {"max_rejected_rows": 100, "max_rejected_percent": 50})
    plan = run_cli(env, cwd, "plan", str(tiny["contract"]))
    assert plan.returncode == 0 and "No changes." in plan.stdout, plan.stdout + plan.stderr
    assert "the load fails when either limit is exceeded" in plan.stderr


def test_a_load_that_dies_part_way_shows_under_its_table_and_the_headline_is_red(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    insert(sandbox, tiny["db"], [(i, f"n{i}", 2) for i in range(4, 201)])
    rows = all_rows(sandbox, tiny["db"])
    marker = Path(tiny["tmp"]) / "fired"
    config = json.loads((Path(tiny["tmp"]) / "mcp.json").read_text())
    config["mcpServers"]["migrator-glue"]["env"][ENV] = f"{tiny['table']}:60:{marker}"
    (Path(tiny["tmp"]) / "mcp.json").write_text(json.dumps(config))
    env, cwd, table = tiny["env"], tiny["tmp"], tiny["table"]
    address = f"load.{table}"

    failed = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1 and marker.exists(), out
    assert "every check passed" not in out and "Traceback" not in out
    record = state_of(tiny)["resources"][address]
    assert record["status"] == "tainted" and record["attributes"]["table"] == table
    assert record["attributes"]["finished"] is False
    assert f"check.{table}" not in state_of(tiny)["resources"]
    written = len(scan_items(aws(sandbox, "dynamodb"), table))
    assert 60 <= written < len(rows)

    doc = report_json(tiny)
    assert doc["ok"] is False
    (shown,) = doc["tables"]
    (load,) = shown["loads"]
    assert (shown["name"], load["address"], load["finished"]) == (table, address, False)
    assert any(p.startswith(f"{address} did not finish (its run ended FAILED)") for p in doc["problems"]), doc
    assert f"check.{table} did not run ({address} did not finish)" in doc["problems"]
    assert not [a for a in doc["advice"] if a["topic"] == "cut_over"]
    markdown = run_cli(env, cwd, "report", "--markdown").stdout
    assert markdown.startswith(f"### migrator report: ❌ {address} did not finish"), markdown
    page = Path(cwd) / "report.html"
    assert run_cli(env, cwd, "report", "--html", str(page)).returncode == 0
    assert "every check passed" not in page.read_text() and f"{address} did not finish" in page.read_text()

    finished = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")   # the fault fires once
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "; every check passed." in finished.stdout
    assert len(scan_items(aws(sandbox, "dynamodb"), table)) == len(rows)
    assert report_json(tiny)["ok"] is True


def test_a_plan_with_errors_says_it_failed_never_no_changes_and_prints_each_error_once(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    contract = json.loads(tiny["contract"].read_text())
    contract["tables"][0]["attributes"] += [
        {"name": "colour", "type": "S", "source_table": "things", "source_column": "colour"},
        {"name": "size", "type": "S", "source_table": "things", "source_column": "size"}]
    tiny["contract"].write_text(json.dumps(contract))
    env, cwd = tiny["env"], tiny["tmp"]

    for command in ("plan", "apply"):
        done = run_cli(env, cwd, command, str(tiny["contract"]), *(["--auto-approve"] if command == "apply" else []))
        assert done.returncode == 1, done.stdout + done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
        assert len(errors) >= 2 and len(errors) == len(set(errors)), done.stderr
        assert any("colour" in e for e in errors) and any("size" in e for e in errors), done.stderr
        assert "No changes" not in done.stdout + done.stderr, command
        assert f"Plan failed: {len(errors)} errors (each listed once above)" in done.stdout, done.stdout
        assert "Traceback" not in done.stdout + done.stderr
    assert not (Path(cwd) / "state" / "migrator.state.json").exists() or not state_of(tiny)["resources"]

    as_json = run_cli(env, cwd, "plan", str(tiny["contract"]), "--json")
    assert as_json.returncode == 1
    doc = json.loads(as_json.stdout)
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert doc["errors"] == len(errors) >= 2 and doc["message"].startswith(
        f"Plan failed: {len(errors)} errors (each listed once in `findings`)")
    assert "above" not in doc["message"]   # a JSON document has no "above"
    markdown = run_cli(env, cwd, "plan", str(tiny["contract"]), "--markdown")
    assert markdown.returncode == 1
    assert markdown.stdout.startswith(f"### migrator plan: failed, {len(errors)} errors"), markdown.stdout
    assert "no changes" not in markdown.stdout.lower()


def rejecting_rows(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any], count: int) -> tuple[int, int]:
    """Insert rows until `count` of them have an empty name (rejected key_empty:name); (read, rejected)."""
    insert(sandbox, tiny["db"], [(i, "" if i < 4 + count else f"n{i}", 1) for i in range(4, 40)])
    rows = all_rows(sandbox, tiny["db"])
    rejected = len([r for r in rows if r[1] == ""])
    assert rejected == count
    return len(rows), rejected


def test_the_advice_of_a_load_over_its_percentage_applied_literally_makes_it_pass(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    read, rejected = rejecting_rows(sandbox, tiny, 5)
    env, cwd, address = tiny["env"], tiny["tmp"], f"load.{tiny['table']}"
    with_load(tiny, {"max_rejected_rows": 100, "max_rejected_percent": 5})   # the rows hold, the percent does not
    # the smallest percentage with two decimals covering 5 of 39 rows: 12.83 (12.82 × 39 < 500 ≤ 12.83 × 39)
    hundredths = -(-rejected * 10_000 // read)
    assert (hundredths - 1) * read < rejected * 10_000 <= hundredths * read
    percent = f"{hundredths // 100}.{hundredths % 100:02d}"
    advice = f'"max_rejected_percent": {percent} in $.tables[0].load'

    failed = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"{address}: {rejected} of {read} rows rejected (over budget 100 rows and 5% of the rows read)" \
        in failed.stderr, failed.stderr
    (error,) = [ln for ln in failed.stderr.splitlines() if ln.startswith("Error:")]
    assert error.endswith(f"or allow them with {advice}.") and "max_rejected_rows" not in error, error
    (guidance,) = [a for a in report_json(tiny)["advice"] if a["topic"] == "rejected_rows"]
    assert f"or allow them with {advice}." in guidance["sentence"], guidance   # the same words, from the state

    with_load(tiny, {"max_rejected_rows": 100, "max_rejected_percent": json.loads(percent)})
    passed = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert report_json(tiny)["ok"] is True


def test_a_budget_lowered_below_a_recorded_load_reruns_it_and_raised_back_is_no_change(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    read, rejected = rejecting_rows(sandbox, tiny, 3)
    env, cwd, address = tiny["env"], tiny["tmp"], f"load.{tiny['table']}"
    contract = str(tiny["contract"])
    with_load(tiny, {"max_rejected_rows": 5})
    assert run_cli(env, cwd, "apply", contract, "--auto-approve").returncode == 0
    assert state_of(tiny)["resources"][address]["status"] == "ok"

    with_load(tiny, {"max_rejected_rows": rejected - 1})
    plan = run_cli(env, cwd, "plan", contract, "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    (line,) = [ln for ln in plan.stdout.splitlines() if "its rejected rows exceed the budget now" in ln]
    assert address in line and "No changes" not in plan.stdout, plan.stdout
    doc = json.loads(run_cli(env, cwd, "plan", contract, "--json").stdout)
    (change,) = [c for c in doc["resource_changes"] if c["address"] == address]
    assert (change["actions"], change["reason"]) == (["delete", "create"], "replace_because_over_budget")
    # the report reads the state only: the run is judged by the budget recorded with it
    assert report_json(tiny)["ok"] is True

    failed = run_cli(env, cwd, "apply", contract, "--auto-approve")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"{address}: {rejected} of {read} rows rejected (over budget {rejected - 1} rows)" in failed.stderr

    with_load(tiny, {"max_rejected_rows": rejected})
    assert run_cli(env, cwd, "apply", contract, "--auto-approve").returncode == 0
    again = run_cli(env, cwd, "plan", contract, "--detailed-exitcode")
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout + again.stderr


def test_a_load_recorded_done_whose_figures_do_not_add_up_is_advised_to_be_replaced_and_that_works(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    env, cwd, address = tiny["env"], tiny["tmp"], f"load.{tiny['table']}"
    contract = str(tiny["contract"])
    assert run_cli(env, cwd, "apply", contract, "--auto-approve").returncode == 0
    # a state an older migrator wrote: the load recorded ok though its job's figures do not add up
    path = Path(cwd) / "state" / "migrator.state.json"
    doc = json.loads(path.read_text())
    figures = doc["resources"][address]["attributes"]
    read = figures["rows_read"]
    figures["items_written"] = read - 1
    path.write_text(json.dumps(doc))

    report = report_json(tiny)
    assert report["ok"] is False
    assert (f"{address} does not account for every row: {read} read but {read - 1} written, 0 rejected, "
            "0 skipped") in report["problems"]
    (advice,) = [a for a in report["advice"] if a["topic"] == "load_unfinished"]
    assert advice["commands"] == [f"migrator apply -replace {address} CONTRACT"]
    assert "the next apply runs it again" not in advice["sentence"]
    plain = run_cli(env, cwd, "plan", contract)
    assert "No changes." in plain.stdout   # which is why apply alone would not help

    replaced = run_cli(env, cwd, *advice["commands"][0].replace("CONTRACT", contract).split()[1:], "--auto-approve")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert report_json(tiny)["ok"] is True
