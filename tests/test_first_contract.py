"""What a new user writes first on a schema of their own (issue 23, findings 1 and 2), through the CLI
on the sandbox's MariaDB and moto: each is said once, correctly, and what it suggests plans.

0. An aggregate without `source_column` (the format requires it) is told which column will do, and
   that is enough.
1. An aggregate whose `source_table` names the table it aggregates (the natural way to write "how
   many employees a department has") plans and loads the counts a Python walk over the raw rows
   computes; it is not told to add a join (which would then be refused for having both).
2. A self-join under an alias with a condition on both rows (`colleague.department_id =
   employee.department_id AND colleague.id <> employee.id`) is read as a join of the entity's own
   table under that alias: a colleague can be several rows, so the plan names this join as one that
   multiplies rows, with MySQL's counts; it is never read as a join of another table.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from migrator.contract.document import check_contract
from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items

EMPLOYEES = [(1, "Ada", 1), (2, "Bo", 1), (3, "Cy", 2), (4, "Di", None), (5, "Eve", 1), (6, "Fay", 2)]
DEPARTMENTS = [(1, "Research"), (2, "Sales"), (3, "Ops")]


@pytest.fixture
def company(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> dict[str, Any]:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE dept (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL)")
        cur.execute("CREATE TABLE employee (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, dept_id INT NULL, "
                    "FOREIGN KEY (dept_id) REFERENCES dept (id))")
        cur.executemany("INSERT INTO dept VALUES (%s, %s)", DEPARTMENTS)
        cur.executemany("INSERT INTO employee VALUES (%s, %s, %s)", EMPLOYEES)
    conn.close()
    return project(sandbox, mysql_db, tmp_path)


def write(proj: dict[str, Any], source_table: str, attributes: list[dict[str, Any]]) -> tuple[Path, str]:
    table = f"First{uuid.uuid4().hex[:6]}"
    doc = {"tables": [{"table": table, "type": "single-entity", "source_table": source_table, "pk": "id",
                       "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "attributes": [
                           {"name": "id", "type": "N", "source_table": source_table, "source_column": "id"},
                           *attributes]}]}
    path = Path(proj["cwd"]) / f"{table}.json"
    path.write_text(json.dumps(doc))
    return path, table


def test_a_calculation_without_source_column_is_told_what_to_put_there_and_that_is_enough() -> None:
    """The format requires `source_column` even where the value comes from a join or a calculation;
    the finding says which column will do, and with it the contract is valid."""
    attribute: dict[str, Any] = {"name": "staff", "type": "N", "source_table": "employee", "calculation": {
        "type": "aggregate", "operation": "COUNT", "target_table": "employee",
        "join_condition": "employee.dept_id = dept.id", "select_column": "id"}}
    doc = {"tables": [{"table": "Depts", "type": "single-entity", "source_table": "dept", "pk": "id",
                       "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "attributes": [
                           {"name": "id", "type": "N", "source_table": "dept", "source_column": "id"}, attribute]}]}
    (finding,) = check_contract(doc)
    assert finding.path == "$.tables[0].attributes[1].source_column" and "its key column" in (finding.fix or "")
    attribute["source_column"] = "id"   # the suggestion, applied
    assert check_contract(doc) == []


def test_an_aggregate_naming_the_table_it_counts_plans_and_loads_the_counts(company: dict[str, Any]) -> None:
    path, table = write(company, "dept", [
        {"name": "staff", "type": "N", "source_table": "employee", "source_column": "id",
         "calculation": {"type": "aggregate", "operation": "COUNT", "target_table": "employee",
                         "join_condition": "employee.dept_id = dept.id", "select_column": "id"}}])
    checked = project_cli(company, "validate", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    done = project_cli(company, "apply", str(path), "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "add a join" not in done.stdout + done.stderr
    want = {d: sum(1 for e in EMPLOYEES if e[2] == d) for d, _ in DEPARTMENTS}   # from the raw rows
    got = {int(i["id"]): int(i["staff"]) for i in scan_items(aws(company["aws"], "dynamodb"), table)}
    assert got == want


def test_a_self_join_under_an_alias_is_read_as_the_entitys_own_table(company: dict[str, Any]) -> None:
    path, _ = write(company, "employee", [
        {"name": "colleague", "type": "S", "source_table": "employee", "source_column": "dept_id",
         "join": {"type": "self-join", "join_alias": "colleague",
                  "join_condition": "colleague.dept_id = employee.dept_id AND colleague.id <> employee.id",
                  "select_column": "name", "null_value": ""}}])
    planned = project_cli(company, "plan", str(path))
    out = planned.stdout + planned.stderr
    assert planned.returncode != 0, out
    errors = [line for line in out.splitlines() if line.startswith("error")]
    # employees with colleagues meet each of them (Ada, Bo, Eve: 2; Cy, Fay: 1); Di (no department) one NULL row
    colleagues = sum(max(1, sum(1 for o in EMPLOYEES if o[2] == e[2] and o[0] != e[0])) if e[2] is not None else 1
                     for e in EMPLOYEES)
    assert len(errors) == 1, out
    assert errors[0].split()[1] == "$.tables[0].attributes[1].join:" and "this join multiplies the rows" in errors[0]
    assert f"employee has {len(EMPLOYEES)} rows, but joined with employee here there are {colleagues}" in errors[0]
    assert "dept" not in errors[0], errors[0]   # never read as a join of another table
