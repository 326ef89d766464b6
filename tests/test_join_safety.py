"""The compiler cannot multiply or collapse an entity's rows (issue 21, findings 1 and 2), through the
CLI on the sandbox's real MariaDB and moto.

- A chain that comes back to the entity's own table (employee -> department -> its head, an employee)
  joins each step to the row of the step before it: one item per employee, each with the head of
  their own department, as a Python walk over the raw rows computes it.
- A chain step not tied to the step before it is a plan error with the fix, and the fix plans.
- An aggregate or a window function in a fragment is refused by `validate` and by `plan` with one
  sentence; the calculation it points to plans and loads.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, run_cli, scan_items

EMPLOYEES = [(1, "Ada", 1), (2, "Bo", 1), (3, "Cy", 2), (4, "Di", None), (5, "Eve", 3), (6, "Fay", 2), (7, "Gus", 4)]
DEPARTMENTS = [(1, "Research", 2), (2, "Sales", 6), (3, "Ops", None), (4, "Legal", 7)]
HEAD_CHAIN = [
    {"target_table": "department", "join_condition": "department.id = employee.department_id",
     "select_column": "department.name"},
    {"target_table": "employee", "join_condition": "employee.id = department.head_id", "select_column": "employee.name"},
]


@pytest.fixture
def company(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> dict[str, Any]:
    """employee.department_id -> department, department.head_id -> employee (foreign keys both ways)."""
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE employee (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, department_id INT NULL)")
        cur.execute("CREATE TABLE department (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, head_id INT NULL, "
                    "FOREIGN KEY (head_id) REFERENCES employee (id))")
        cur.execute("ALTER TABLE employee ADD FOREIGN KEY (department_id) REFERENCES department (id)")
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        cur.executemany("INSERT INTO employee VALUES (%s, %s, %s)", EMPLOYEES)
        cur.executemany("INSERT INTO department VALUES (%s, %s, %s)", DEPARTMENTS)
    conn.close()
    return project(sandbox, mysql_db, tmp_path)


def contract(proj: dict[str, Any], attributes: list[dict[str, Any]]) -> tuple[Path, str]:
    table = f"Staff{uuid.uuid4().hex[:6]}"
    doc = {"tables": [{"table": table, "type": "single-entity", "source_table": "employee", "pk": "id",
                       "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "attributes": [
                           {"name": "id", "type": "N", "source_table": "employee", "source_column": "id"},
                           *attributes]}]}
    path = Path(proj["cwd"]) / f"{table}.json"
    path.write_text(json.dumps(doc))
    return path, table


def chain_attribute(steps: list[dict[str, Any]], separator: str | None = None) -> dict[str, Any]:
    join: dict[str, Any] = {"type": "chain", "joins": steps}
    if separator is not None:
        join["chain_separator"] = separator
    return {"name": "head", "type": "S", "source_table": "employee", "source_column": "department_id", "join": join}


def errors(out: Any) -> list[str]:
    return [line for line in (out.stdout + out.stderr).splitlines() if line.lower().lstrip().startswith("error")]


def head_of_my_department(employee: tuple[int, str, int | None]) -> str | None:
    """The Python walk over the raw rows: my department's head's name."""
    departments = {d[0]: d for d in DEPARTMENTS}
    people = {e[0]: e for e in EMPLOYEES}
    department = departments.get(employee[2]) if employee[2] is not None else None
    head = people.get(department[2]) if department and department[2] is not None else None
    return head[1] if head else None


def test_a_chain_back_to_the_own_table_gives_each_employee_their_departments_head(company: dict[str, Any]) -> None:
    path, table = contract(company, [chain_attribute(HEAD_CHAIN),
                                     {**chain_attribute(HEAD_CHAIN, " / "), "name": "department_and_head"}])
    out = project_cli(company, "apply", str(path), "--auto-approve")
    assert out.returncode == 0, out.stdout + out.stderr
    items = {int(i["id"]): i for i in scan_items(aws(company["aws"], "dynamodb"), table)}
    assert sorted(items) == [e[0] for e in EMPLOYEES]          # one item per employee: nothing multiplied
    departments = {d[0]: d[1] for d in DEPARTMENTS}
    for employee in EMPLOYEES:
        head = head_of_my_department(employee)
        assert items[employee[0]].get("head") == head, employee
        parts = [departments.get(employee[2]) if employee[2] else None, head]
        assert items[employee[0]].get("department_and_head") == " / ".join(p for p in parts if p), employee


def _first_error_at(out: Any, path: str) -> str:
    found = [line for line in errors(out) if path in line]
    assert len(found) == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    return found[0]


def test_a_step_not_tied_to_the_step_before_is_a_plan_error_whose_fix_plans(company: dict[str, Any]) -> None:
    """`employee.id = employee.department_id` in the second step names only the step's own table."""
    loose = [HEAD_CHAIN[0], {**HEAD_CHAIN[1], "join_condition": "employee.id = employee.department_id"}]
    path, _ = contract(company, [chain_attribute(loose)])
    out = project_cli(company, "plan", str(path))
    assert out.returncode != 0
    line = _first_error_at(out, "$.tables[0].attributes[1].join.joins[1].join_condition")
    assert "not constrained by the step before it" in line or "does not name a column of department" in line, line
    fix = re.search(r"e\.g\. (\S+ = \S+?)\.?$", line)
    assert fix, line
    fixed, _ = contract(company, [chain_attribute([HEAD_CHAIN[0], {**HEAD_CHAIN[1], "join_condition": fix.group(1)}])])
    again = project_cli(company, "plan", str(fixed))
    assert again.returncode == 0 and not errors(again), again.stdout + again.stderr


AGGREGATE_JOIN = {"name": "dept", "type": "S", "source_table": "employee", "source_column": "department_id",
                  "join": {"type": "foreign-key", "target_table": "department",
                           "join_condition": "department.id = employee.department_id",
                           "select_column": "MAX(department.name)"}}


@pytest.mark.parametrize("field, text, words", [
    ("select_column", "MAX(department.name)", "aggregate function MAX()"),
    ("select_column", "CONCAT(COUNT(*), '')", "aggregate function COUNT()"),
    ("select_column", "GROUP_CONCAT(department.name)", "aggregate function GROUP_CONCAT()"),
    ("select_column", "ROW_NUMBER() OVER (ORDER BY department.id)", "window function ROW_NUMBER()"),
    ("join_condition", "department.id = employee.department_id AND SUM(department.id) > 0", "aggregate function SUM()"),
    # named as written, though sqlglot reads them as STDDEV_POP and JSONObjectAgg
    ("select_column", "STD(department.id)", "aggregate function STD()"),
    ("select_column", "JSON_OBJECTAGG(department.id, department.name)", "JSON_OBJECTAGG(): a join's"),
])
def test_validate_refuses_an_aggregate_or_window_in_a_join(tmp_path: Path, field: str, text: str,
                                                           words: str) -> None:
    code, line = validate_join(tmp_path, field, text)
    assert code == 1
    assert words in line and "one row's value" in line, line


def test_plan_refuses_max_in_a_join_and_the_aggregate_calculation_it_suggests_loads(company: dict[str, Any]) -> None:
    """The finding of issue 21: MAX() on a foreign-key join collapsed the view to one row. Refused by plan
    with one sentence; the calculation of type aggregate it names plans, loads one item per employee, and
    its value is the maximum over the related rows."""
    path, _ = contract(company, [AGGREGATE_JOIN])
    out = project_cli(company, "plan", str(path))
    assert out.returncode != 0
    line = _first_error_at(out, "$.tables[0].attributes[1].join.select_column")
    assert "end a path in an aggregate (\"aggregate\": {\"function\": \"MAX\"" in line and "calculation of type aggregate" in line, line
    calc = {"name": "dept", "type": "S", "source_table": "employee", "source_column": "department_id",
            "calculation": {"type": "aggregate", "operation": "MAX", "target_table": "department",
                            "join_condition": "department.id = employee.department_id",
                            "select_column": "department.name"}}
    fixed, table = contract(company, [calc])
    applied = project_cli(company, "apply", str(fixed), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    items = {int(i["id"]): i.get("dept") for i in scan_items(aws(company["aws"], "dynamodb"), table)}
    assert items == {e[0]: max((d[1] for d in DEPARTMENTS if d[0] == e[2]), default=None) for e in EMPLOYEES}


def validate_select(tmp_path: Path, text: str) -> tuple[int, str]:
    return validate_join(tmp_path, "select_column", text)


def validate_join(tmp_path: Path, field: str, text: str) -> tuple[int, str]:
    """`validate` of a contract whose one join's `field` is `text`: its exit code, and the first
    error line at that field ("" when there is none)."""
    attr = json.loads(json.dumps(AGGREGATE_JOIN))
    attr["join"][field] = text
    doc = {"tables": [{"table": "Staff", "type": "single-entity", "source_table": "employee", "pk": "id",
                       "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "attributes": [
                           {"name": "id", "type": "N", "source_table": "employee", "source_column": "id"}, attr]}]}
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(doc))
    out = run_cli({}, tmp_path, "validate", str(path))
    if out.returncode == 0:
        return 0, ""
    return out.returncode, _first_error_at(out, f"$.tables[0].attributes[1].join.{field}")


@pytest.mark.parametrize("text, name", [
    ("DATEDIFF(NOW(), department.name)", "NOW()"), ("IF(CURDATE() > '2024-01-01', 'a', 'b')", "CURDATE()"),
    ("CONCAT(department.name, UNIX_TIMESTAMP())", "UNIX_TIMESTAMP()"), ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP()")])
def test_validate_refuses_the_clock_in_a_fragment_and_its_advice_validates(tmp_path: Path, text: str,
                                                                           name: str) -> None:
    """A value read from the clock changes between the load and its check: the check could never pass.
    The advice (a column that holds the time) validates; UNIX_TIMESTAMP of a column stays allowed."""
    code, line = validate_select(tmp_path, text)
    assert code == 1
    assert f"calls {name}, which reads the clock" in line and "a column that holds the time" in line, line
    assert validate_select(tmp_path, "UNIX_TIMESTAMP(department.name)") == (0, "")


def test_validate_refuses_regexp_like_with_a_match_type_and_its_advice_validates(tmp_path: Path) -> None:
    """MariaDB has no REGEXP_LIKE: the two-argument form is written as the REGEXP operator; the
    three-argument form (a match type) has no such spelling, so it is refused with one that works."""
    code, line = validate_select(tmp_path, "IF(REGEXP_LIKE(department.name, '^r', 'i'), 'r', 'other')")
    assert code == 1
    assert "REGEXP_LIKE() with a match type" in line and "REGEXP '(?i)pattern'" in line, line
    assert validate_select(tmp_path, "IF(department.name REGEXP '(?i)^r', 'r', 'other')") == (0, "")
