"""The invariant the mapping cannot fool (issue 21): an entity's view has exactly one row per row
of its source table. `plan` counts the compiled SELECT against the source table and names the
join that multiplies; `check.<table>` counts each view against its source table again after the
load, per load.

Through the CLI on the real sandbox; the expected counts are computed here in Python from the
rows the test inserts, never read back from migrator."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from migrator.compile.keystats import KeyStats
from migrator.providers.check import check_problems
from migrator.compare.rowcount import EntityRows
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items

DEPTS = [(1, "Sales"), (2, "Ops"), (3, "Empty")]
#: (id, name, dept_id): NULL and dangling departments too
PEOPLE = [(1, "Ann", 1), (2, "Bob", 1), (3, "Cid", 1), (4, "Dee", 2), (5, "Eve", None), (6, "Fay", 9)]


def _setup(sandbox: lifecycle.SandboxRecord, db: str) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE dept (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL)")
        cur.execute("CREATE TABLE person (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, dept_id INT NULL)")
        cur.executemany("INSERT INTO dept VALUES (%s, %s)", DEPTS)
        cur.executemany("INSERT INTO person VALUES (%s, %s, %s)", PEOPLE)
    conn.close()


def _contract(folder: Path, member_join: dict[str, Any]) -> Path:
    """Departments, with a 'member' attribute whose join is the one under test."""
    doc = {"tables": [{"table": "Departments", "type": "single-entity", "source_table": "dept", "pk": "id",
                       "sk": None, "gsis": [], "satisfies": [], "estimated_item_size_bytes": 100, "attributes": [
                           {"name": "id", "type": "N", "source_table": "dept", "source_column": "id"},
                           {"name": "name", "type": "S", "source_table": "dept", "source_column": "name"},
                           {"name": "member", "type": "S", "source_table": "person", "source_column": "name",
                            "join": member_join}]}]}
    path = folder / "contract.json"
    path.write_text(json.dumps(doc))
    return path


def test_plan_names_the_join_that_multiplies_with_the_counts(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                               tmp_path: Path) -> None:
    _setup(sandbox, mysql_db)
    proj = project(sandbox, mysql_db, tmp_path)
    # a to-many join written as a foreign-key join: every department meets each of its people
    contract = _contract(tmp_path, {"type": "foreign-key", "target_table": "person",
                                    "join_condition": "person.dept_id = dept.id", "select_column": "person.name"})
    members = Counter(d for _, _, d in PEOPLE)
    expected_rows = sum(max(1, members[d]) for d, _ in DEPTS)   # a LEFT JOIN keeps a department without people
    assert expected_rows == 5
    plan = project_cli(proj, "plan", str(contract))
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "Traceback" not in plan.stderr
    errors = [line for line in plan.stderr.splitlines() if "view.multiplies" in line or "multiplies" in line]
    assert len(errors) == 1, plan.stderr
    line = errors[0]
    assert "$.tables[0].attributes[2].join" in line
    assert f"dept has {len(DEPTS)} rows" in line and f"there are {expected_rows} ({expected_rows - len(DEPTS)} more)" in line
    assert "No changes" not in plan.stdout
    # nothing was created: apply refuses the same plan before touching anything
    applied = project_cli(proj, "apply", "--auto-approve", str(contract))
    assert applied.returncode == 1 and "multiplies" in applied.stderr
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (mysql_db,))
        assert cur.fetchone()[0] == 0
    conn.close()


def test_following_the_advice_removes_the_finding(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                  tmp_path: Path) -> None:
    """The fix the error gives — gather the people with an aggregate — plans clean and loads one
    item per department whose value is computed here from the raw rows."""
    _setup(sandbox, mysql_db)
    proj = project(sandbox, mysql_db, tmp_path)
    doc = json.loads(_contract(tmp_path, {"type": "foreign-key", "target_table": "person",
                                          "join_condition": "person.dept_id = dept.id",
                                          "select_column": "person.name"}).read_text())
    member = doc["tables"][0]["attributes"][2]
    del member["join"]
    member.update(name="members", type="N", calculation={
        "type": "aggregate", "operation": "COUNT", "target_table": "person",
        "join_condition": "person.dept_id = dept.id", "select_column": "person.id"})
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps(doc))
    plan = project_cli(proj, "plan", str(contract))
    assert plan.returncode == 0, plan.stderr
    assert "multiplies" not in plan.stderr
    applied = project_cli(proj, "apply", "--auto-approve", str(contract))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    state = json.loads((proj["state"] / "migrator.state.json").read_text())
    check = state["resources"]["check.Departments"]["attributes"]
    assert check["ok"] is True
    assert check["source_rows"] == len(DEPTS) and check["view_rows"] == len(DEPTS)
    members = Counter(d for _, _, d in PEOPLE)
    expected = sorted((i, name, members[i]) for i, name in DEPTS)
    stored = sorted((int(i["id"]), i["name"], int(i["members"])) for i in scan_items(aws(proj["aws"], "dynamodb"),
                                                                                      "Departments"))
    assert stored == expected


def test_verify_catches_a_join_that_multiplies_after_the_load(
        sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> None:
    """A join on a column that is unique only by accident plans and loads clean; when the source
    later gives it a second partner, `verify` counts the view against its source table and says so,
    though every sampled item still matches (`verify --full` adds the same counts: Session.verify_full);
    a saved plan is checked again."""
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE region (id INT PRIMARY KEY, code CHAR(2) NOT NULL, name VARCHAR(32) NOT NULL)")
        cur.execute("CREATE TABLE shop (id INT PRIMARY KEY, region_code CHAR(2) NULL)")
        cur.executemany("INSERT INTO region VALUES (%s, %s, %s)", [(1, "no", "North"), (2, "so", "South")])
        cur.executemany("INSERT INTO shop VALUES (%s, %s)", [(1, "no"), (2, "no"), (3, "so"), (4, None)])
    proj = project(sandbox, mysql_db, tmp_path)
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps({"tables": [{
        "table": "Shops", "type": "single-entity", "source_table": "shop", "pk": "id", "sk": None, "gsis": [],
        "satisfies": [], "estimated_item_size_bytes": 100, "attributes": [
            {"name": "id", "type": "N", "source_table": "shop", "source_column": "id"},
            {"name": "region", "type": "S", "source_table": "region", "source_column": "name",
             "join": {"type": "foreign-key", "target_table": "region",
                      "join_condition": "region.code = shop.region_code", "select_column": "region.name"}}]}]}))
    applied = project_cli(proj, "apply", "--auto-approve", str(contract))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    saved = tmp_path / "reload.plan"
    planned = project_cli(proj, "plan", "--out", str(saved), "-replace", "load.Shops", str(contract))
    assert planned.returncode == 0, planned.stderr
    with conn.cursor() as cur:   # a second region with code 'no': shops 1 and 2 now meet two rows each
        cur.execute("INSERT INTO region VALUES (3, 'no', 'Nord')")
    conn.close()
    shops, view_rows = 4, 4 + 2
    # applying the plan saved before the change checks the data again: refused, nothing reloaded
    before = json.loads((proj["state"] / "migrator.state.json").read_text())["resources"]["load.Shops"]
    reloaded = project_cli(proj, "apply", str(saved))
    assert reloaded.returncode == 1, reloaded.stdout + reloaded.stderr
    assert f"shop has {shops} rows, but joined with region here there are {view_rows}" in reloaded.stderr
    assert json.loads((proj["state"] / "migrator.state.json").read_text())["resources"]["load.Shops"] == before
    verify = project_cli(proj, "verify", str(contract))
    assert verify.returncode == 1, verify.stdout + verify.stderr
    sentence = (f"view ddb_shops_view has {view_rows} rows but its source table shop has {shops}: the view "
                "multiplies rows")
    assert sentence in verify.stdout
    doc = json.loads(project_cli(proj, "verify", "--json", str(contract)).stdout)
    assert doc["ok"] is False and any(sentence in p for p in doc["tables"][0]["row_problems"])
    # the plan refuses the contract now, naming the join and the counts
    plan = project_cli(proj, "plan", str(contract))
    assert plan.returncode == 1
    assert f"shop has {shops} rows, but joined with region here there are {view_rows}" in plan.stderr


def test_the_checks_accounting_per_entity_and_per_load() -> None:
    """check.<table>'s verdict from its counts (pure; the counts come from MySQL and the job):
    a view off its source table, a load that read other than its view, rows not accounted for."""
    stats = KeyStats(rows=10, unloadable=0, keys=10, colliding_rows=0, colliding_keys=0)
    fine = EntityRows("ddb_t_view", "t", "load.T", source_rows=10, view_rows=10)
    load = {"rows_read": 10, "items_written": 8, "items_rejected": 1, "items_skipped": 1}
    assert check_problems([fine], {"load.T": load}, load, 9, stats) == []
    many = EntityRows("ddb_t_view", "t", "load.T", source_rows=8, view_rows=10)
    assert check_problems([many], {"load.T": load}, load, 9, stats) == [
        "view ddb_t_view has 10 rows but its source table t has 8: the view multiplies rows (`migrator plan` names "
        "the join)"]
    short = {"rows_read": 9, "items_written": 7, "items_rejected": 0, "items_skipped": 0}
    assert check_problems([fine], {"load.T": short}, short, 7, stats) == [
        "load.T read 9 rows but view ddb_t_view has 10",
        "load.T read 9 rows but wrote 7, rejected 0: 2 rows are not accounted for",
        "the table holds 7 items but the views have 10 distinct loadable keys"]
    # items whose rows are gone (a re-load after rows were deleted): the cause, and the commands that show and fix it
    extra = check_problems([fine], {"load.T": load}, load, 12_345, KeyStats(rows=10_000, unloadable=0, keys=10_000,
                                                                          colliding_rows=0, colliding_keys=0), "T")
    assert extra == [
        "the table holds 12,345 items but the views have 10,000 distinct loadable keys: 2,345 items have no row any "
        "more (rows deleted, or given another key, since an earlier load); `migrator verify --full` lists them, and "
        "`migrator apply -replace dynamodb_table.T --allow-data-loss` reloads the table from the views alone"]
