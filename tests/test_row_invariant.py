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
