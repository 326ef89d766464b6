"""The workshop's real contract end to end on the sandbox: validate, plan, apply, plan again, destroy.

examples/modernizr holds the AWS workshop's MySQL schema and its migration contract, unchanged,
with seed data that exercises the contract's traps. Real MariaDB, real moto, real stdio MCP
servers, the real local Glue runtime. The items read back with boto3 are checked against
tests/modernizr_reference.py (a computation from the raw MySQL rows; what each attribute means
is said there), never against migrator's own output. Two categories `Bags` under two parents
`Accessories` collide on the Categories key: the plan and the apply say so, the apply still
succeeds, and DynamoDB keeps one of the two.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import assert_coverage_and_settings, browser_dom, shown_figures, aws, own_emulator, project_cli, scan_items
from tests.helpers import project as make_project
from tests.modernizr_reference import (CONTRACT, HIERARCHY_CONTRACT, TABLES, assert_items, expected_items, iso,
                                       raw_rows, seed)


@pytest.fixture
def project(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=7))
    conn.close()
    with own_emulator(tmp_path / "moto") as emulator:  # its tables are this test's alone
        yield make_project(sandbox, mysql_db, tmp_path, emulator)


def _cli(project: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return project_cli(project, *args)


def _collision_lines(text: str, table: str) -> list[str]:
    """Lines that report a key collision of `table` (wording loose: collide/duplicate)."""
    return [line for line in text.splitlines()
            if re.search(r"collid|duplicat", line, re.IGNORECASE) and table in line]


def _numbers(line: str) -> set[int]:
    return {int(n) for n in re.findall(r"(?<![\w.$\[])\d+(?![\w.\]])", line)}


def _warning_paths(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^warning\s+(\$\S*?):?\s", text, re.MULTILINE)}


# --------------------------------------------------------------------------------- the test

def test_modernizr_validate_plan_apply_plan_destroy(sandbox: lifecycle.SandboxRecord,
                                                    project: dict[str, Any]) -> None:
    raw = raw_rows(sandbox, project["db"])
    want = expected_items(raw)
    # The seed keeps its traps at every seed: exactly one colliding Categories key, two rows.
    collisions = {k: v for k, v in want["Categories"].items() if len(v) > 1}
    assert list(collisions) == [("Accessories", "Bags")] and len(collisions[("Accessories", "Bags")]) == 2
    colliding_rows = sum(len(v) for v in collisions.values())           # 2
    lost = colliding_rows - len(collisions)                              # 1 item overwritten
    assert any(not o["order_items"] for k, v in want["Users"].items() if k[1].startswith("ORDER#") for o in v)

    validated = _cli(project, "validate", str(CONTRACT))
    assert validated.returncode == 0, validated.stdout + validated.stderr   # warnings allowed

    plan = _cli(project, "plan", str(CONTRACT))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    n_entities, n_tables = 5, len(TABLES)
    n_gsis = sum(len(t.get("gsis") or []) for t in json.loads(CONTRACT.read_text())["tables"])
    # per entity: view, script, job, load; per table: table, check; per index: one; shared: bucket, bundle, connection
    n_resources = 4 * n_entities + 2 * n_tables + n_gsis + 3
    assert f"Plan: {n_resources} to add, 0 to change, 0 to replace, 0 to destroy." in plan.stdout, plan.stdout
    assert sandbox.mysql_password not in plan.stdout + plan.stderr
    plan_text = plan.stdout + plan.stderr
    # The collision is reported, with its count, naming the table.
    reported = _collision_lines(plan_text, "Categories")
    assert reported, plan_text
    assert any({colliding_rows, lost} & _numbers(line) for line in reported), reported
    # The self-references the compiler reads by their evident intent are said out loud.
    warned = _warning_paths(plan.stderr)           # diagnostics on stderr, the plan alone on stdout
    # Both category_path attributes read one level where their names say a path: the hierarchy
    # extension is suggested, written out for each (contract.hierarchy.json is that, applied).
    for path, start in (("$.tables[1].attributes[4].join", "category_id"), ("$.tables[2].attributes[6].join", "id")):
        line = next(x for x in plan.stderr.splitlines() if x.startswith(f"warning {path}: attribute 'category_path' "
                                                                        "is named as a path"))
        assert (f'"source_column": "{start}", "hierarchy": {{"table": "categories", "parent_column": "parent_id", '
                '"value": "path", "path_column": "name"}') in line, line
    assert _warning_paths(plan.stdout) == set() and plan.stdout.startswith("migrator will perform"), plan.stdout[:300]
    for path in ("$.tables[0].entities[0].attributes[5].join.join_condition",    # users.id = users.id
                 "$.tables[1].attributes[4].join",                              # products "self-join" to categories
                 "$.tables[2].attributes[0].join", "$.tables[2].attributes[4].join.join_condition",
                 "$.tables[2].attributes[7].calculation.join_condition",
                 "$.tables[2].attributes[8].calculation.join_condition", "$.tables[2].attributes[11].join"):
        assert any(w.startswith(path) for w in warned), (path, sorted(warned))

    # Long values (the views' SQL) are cut in the text plan, and it says so; --no-truncate shows each whole.
    shown = [line.split(" = ", 1)[1] for line in plan.stdout.splitlines() if line.startswith("      + ") and " = " in line]
    assert any(value.endswith("...") and len(value) == 120 for value in shown), shown[:5]
    assert "`plan --no-truncate` or `plan --json` shows them whole" in plan.stdout
    whole = _cli(project, "plan", str(CONTRACT), "--no-truncate")
    assert whole.returncode == 0, whole.stderr
    values = [line.split(" = ", 1)[1] for line in whole.stdout.splitlines() if line.startswith("      + ") and " = " in line]
    assert len(values) == len(shown) and all(json.loads(v) is not None or v == "null" for v in values)
    sqls = [json.loads(v) for v in values if v.startswith('"SELECT')]
    assert sqls and all(len(sql) > 120 and sql.count("(") == sql.count(")") for sql in sqls)
    assert "--no-truncate" not in whole.stdout

    applied = _cli(project, "apply", str(CONTRACT), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout
    applied_text = applied.stdout + applied.stderr
    assert sandbox.mysql_password not in applied_text
    reported = _collision_lines(applied_text, "Categories")
    assert reported and any({colliding_rows, lost} & _numbers(line) for line in reported), applied_text

    # Items equal an independent computation from the raw rows.
    ddb = aws(project["aws"], "dynamodb")
    assert_items(ddb, want)
    for table in TABLES:
        rows = sum(len(v) for v in want[table].values())
        m = re.search(rf"check\.{table}: source rows (\d+), view rows (\d+), items written (\d+), rejected (\d+), "
                      r"table items (\d+)", applied.stdout)
        assert m, applied.stdout
        assert tuple(int(g) for g in m.groups()) == (rows, rows, rows, 0, len(want[table])), m.group(0)

    # The report: rows and items per table as counted above, on the HTML page as in the JSON.
    report = json.loads(_cli(project, "report", str(CONTRACT), "--json").stdout)
    page = Path(project["cwd"]) / "report.html"
    assert _cli(project, "report", "--html", str(page)).returncode == 0
    shown = shown_figures(browser_dom(page))
    for table in TABLES:
        (reported,) = [t for t in report["tables"] if t["name"] == table]
        rows = sum(len(v) for v in want[table].values())
        assert sum(load["rows_read"] for load in reported["loads"]) == rows, table
        assert sum(load["items_written"] for load in reported["loads"]) == rows, table
        assert reported["check"]["table_items"] == len(want[table]), table
        assert int(shown[(table, "rows_read")].replace(",", "")) == rows, table
    assert_coverage_and_settings(aws(project["aws"], "dynamodb"), report, shown)
    collisions = [a for a in report["advice"] if a["topic"] == "key_collisions"]
    assert [a["table"] for a in collisions] == ["Categories"], collisions

    # Spot checks of the traps, spelled out.
    users = {(i["PK"], i["SK"]): i for i in scan_items(ddb, "Users")}
    nobody = next(u for u in raw["users"] if u["first_name"] is None and u["last_name"] is None)
    assert users[(nobody["email"], "#META")]["profile_data"] == {"first_name": None, "last_name": None}
    order2 = next(o for o in raw["orders"] if o["id"] == 2)
    assert order2["created_at"] == dt.datetime(2024, 4, 2, 15, 30, 45)
    email = next(u["email"] for u in raw["users"] if u["id"] == order2["user_id"])
    assert (email, "ORDER#2024-04-02T15:30:45.000Z#2") in users
    empty = next(o for o in raw["orders"] if o["id"] == 1)
    empty_key = (next(u["email"] for u in raw["users"] if u["id"] == empty["user_id"]),
                 f"ORDER#{iso(empty['created_at'])}#1")
    assert json.loads(users[empty_key]["order_items"]) == []
    bags = [i for i in scan_items(ddb, "Categories") if i["SK"] == "Bags"]
    assert len(bags) == 1 and bags[0]["PK"] == "Accessories" and bags[0]["category_id"] in {"22", "24"}

    # State recorded every resource, and holds no secret.
    state_text = (project["state"] / "migrator.state.json").read_text()
    assert sandbox.mysql_password not in state_text
    state = json.loads(state_text)
    assert len(state["resources"]) == n_resources

    again = _cli(project, "plan", str(CONTRACT), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout

    destroyed = _cli(project, "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert set(ddb.list_tables()["TableNames"]) & set(TABLES) == set()
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


def test_modernizr_opted_into_hierarchies(sandbox: lifecycle.SandboxRecord, project: dict[str, Any]) -> None:
    """contract.hierarchy.json: Categories and Products carry the full category path and its depth
    (WITH RECURSIVE views), equal to a walk up the raw rows in Python. Only those two tables are
    applied (-target their checks): Users is the same as in the test above."""
    plan = _cli(project, "plan", str(HIERARCHY_CONTRACT))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "hierarchy.suggested" not in plan.stderr and "is named as a path" not in plan.stderr, plan.stderr
    applied = _cli(project, "apply", str(HIERARCHY_CONTRACT), "--auto-approve", "-target", "check.Categories",
                   "-target", "check.Products")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    want = expected_items(raw_rows(sandbox, project["db"]), hierarchy=True)
    ddb = aws(project["aws"], "dynamodb")
    scanned = assert_items(ddb, want, tables=("Products", "Categories"))
    paths = {i["category_path"] for i in scanned["Categories"]}
    assert {p.count("/") for p in paths} == {0, 1, 2}, sorted(paths)[:5]     # roots, children, grandchildren
    assert all(i["level"] == i["category_path"].count("/") + 1 for i in scanned["Categories"])
    assert _cli(project, "destroy", "--auto-approve").returncode == 0
    assert ddb.list_tables()["TableNames"] == []
