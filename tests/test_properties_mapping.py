"""The mapping property of issue 21, over generated contracts on a generated schema (1:1, 1:n, n:m
through a link table, self references, NULL and dangling foreign keys, declared or not):

- every contract that `validate` and `plan` accept loads exactly: `apply` exits 0 (or 1 when it
  rejected more rows than the table's budget), each entity view has as many rows as its base table,
  and the items read back with boto3 equal a Python model computed from the raw rows
  (tests/mapping_model.py, which never uses migrator's code);
- every refused contract is refused by `validate` or `plan`, exit 1, with sentences naming the JSON
  path of the attribute at fault, no traceback, never "No changes" beside an error;
- a contract the format allows is never refused, and one it forbids (an aggregate in a join's
  value, an unconstrained chain step, a to-many join whose rows multiply) never reaches `apply`.

Everything is real: MariaDB, moto, the MCP servers and the local Glue runtime, the CLI in a
subprocess. One fresh database, DynamoDB table, bucket and state folder per example.
MIGRATOR_STRESS multiplies the examples (benchmarks/stress_properties.py runs it at 10x).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pymysql
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items, stress
from tests.mapping_model import DDL, FOREIGN_KEYS, ORDER, Case, cases, item_key

#: MAPPING_PROPERTY_NO_SHRINK=1 reports the first failing example as found (shrinking costs an apply per step)
_NO_SHRINK = os.environ.get("MAPPING_PROPERTY_NO_SHRINK") == "1"
SETTINGS = settings(
    max_examples=stress(4), deadline=None, report_multiple_bugs=False, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[p for p in Phase if p is not Phase.explain and not (_NO_SHRINK and p is Phase.shrink)])

ATTRIBUTE_PATH = re.compile(r"\$\.tables\[0\](?:\.entities\[\d+\])?\.attributes\[\d+\]")


# =============================================================================== one example's world

class Source:
    """A fresh database for one example, holding the generated rows (dropped afterwards)."""

    def __init__(self, sandbox: lifecycle.SandboxRecord, case: Case) -> None:
        self.name = f"pm_{uuid.uuid4().hex[:10]}"
        self.sandbox = sandbox
        root = root_connection(sandbox)
        with root.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"GRANT ALL PRIVILEGES ON `{self.name}`.* TO %s@%s", (sandbox.mariadb.user, host))
        root.close()
        conn = self.connect()
        with conn.cursor() as cur:
            for table in ORDER:
                cur.execute(DDL[table])
            if case.world.declared_fks:
                for statement in FOREIGN_KEYS:
                    cur.execute(statement)
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")      # dangling keys stay, as in a legacy database
            for table in ORDER:
                rows = case.world.rows[table]
                if rows:
                    columns = list(rows[0])
                    cur.executemany(f"INSERT INTO `{table}` ({', '.join(columns)}) VALUES "
                                    f"({', '.join(['%s'] * len(columns))})",
                                    [tuple(r[c] for c in columns) for r in rows])
        conn.close()

    def connect(self) -> pymysql.Connection:
        return pymysql.connect(unix_socket=str(self.sandbox.mariadb.socket), user="root", database=self.name,
                               autocommit=True, charset="utf8mb4", init_command="SET time_zone='+00:00'")

    def count(self, relation: str) -> int:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) FROM `{relation}`")
                return int(cur.fetchone()[0])
        finally:
            conn.close()

    def views(self) -> list[str]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (self.name,))
                return sorted(r[0] for r in cur.fetchall())
        finally:
            conn.close()

    def drop(self) -> None:
        root = root_connection(self.sandbox)
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
        root.close()


def view_name(table: str, entity_type: str | None) -> str:
    """docs/contract.md: ddb_<table>_view, ddb_<table>__<entity>_view (lower case)."""
    return f"ddb_{table.lower()}_view" if entity_type is None else f"ddb_{table.lower()}__{entity_type.lower()}_view"


# =============================================================================== the checks

def describe(case: Case) -> str:
    return (f"contract:\n{json.dumps(case.contract, ensure_ascii=False, indent=1)}\n"
            f"rows:\n{json.dumps(case.world.rows, default=str, ensure_ascii=False)}\n"
            f"declared foreign keys: {case.world.declared_fks}")


def output(done: Any) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"


def check_refusal(case: Case, stage: str, done: Any) -> None:
    """`validate` or `plan` refused the contract: with sentences naming the attribute at fault, and only
    when the contract deserves it."""
    both = done.stdout + done.stderr
    assert "Traceback" not in both, f"{stage} crashed\n{output(done)}\n{describe(case)}"
    assert done.returncode == 1, f"{stage} exit {done.returncode}\n{output(done)}\n{describe(case)}"
    errors = [line for line in both.splitlines() if line.startswith("error")]
    assert errors, f"{stage} exit 1 without an error sentence\n{output(done)}\n{describe(case)}"
    assert all("$" in line for line in errors), f"an error without a JSON path\n{output(done)}"
    if stage == "plan":
        assert "No changes" not in done.stdout, f"plan says 'No changes' beside an error\n{output(done)}"
    wrong = dict(case.wrong())
    assert wrong, (f"{stage} refused a contract the format allows (every attribute is a good shape)\n"
                   f"{output(done)}\n{describe(case)}")
    named = {m.group(0) for line in errors for m in ATTRIBUTE_PATH.finditer(line)}
    assert named & set(wrong), (f"{stage} refused without naming the attribute at fault {sorted(wrong)}\n"
                                f"{output(done)}\n{describe(case)}")
    assert named <= set(wrong), (f"{stage} also blamed good attributes {sorted(named - set(wrong))} "
                                 f"(the one at fault: {sorted(wrong)})\n{output(done)}\n{describe(case)}")


def check_items(case: Case, items: list[dict[str, Any]]) -> None:
    expected = case.expected_items()
    got, want = Counter(item_key(i) for i in items), Counter(item_key(i) for i in expected)
    if got == want:
        return
    keys = [k for k in ("PK", "SK", "pk_id") if any(k in i for i in expected + items)]

    def ident(item: dict[str, Any]) -> tuple:
        return tuple(str(item.get(k)) for k in keys)

    by_key = {ident(i): i for i in items}
    lines = []
    for item in expected:
        other = by_key.pop(ident(item), None)
        if other is None:
            lines.append(f"  missing {ident(item)}: {item}")
        elif item_key(other) != item_key(item):
            differ = sorted(k for k in set(item) | set(other) if item_key({k: item.get(k)}) != item_key(
                {k: other.get(k)}) or (k in item) != (k in other))
            lines.append(f"  {ident(item)}: " + "; ".join(
                f"{k}: expected {item.get(k, '<absent>')!r}, got {other.get(k, '<absent>')!r}" for k in differ))
    lines += [f"  unexpected {k}: {v}" for k, v in by_key.items()]
    raise AssertionError(f"items differ from the model ({len(items)} items, {len(expected)} expected)\n"
                         + "\n".join(lines[:20]) + f"\n{describe(case)}")


# =============================================================================== the property

@SETTINGS
@given(data=st.data())
def test_accepted_contracts_load_exactly_and_refused_ones_stop_before_apply(
        sandbox: lifecycle.SandboxRecord, tmp_path: Path, data: st.DataObject) -> None:
    table = f"Prop{uuid.uuid4().hex[:8]}"
    case = data.draw(cases(table), label="case")
    note(describe(case))
    for shape in case.shapes():
        event(shape)
    event(case.contract["tables"][0]["type"] + (", foreign keys declared" if case.world.declared_fks else ""))
    must_refuse = case.must_refuse()
    event("must be refused" if must_refuse else ("may be refused" if case.wrong() else "must be accepted"))

    folder = tmp_path / table
    folder.mkdir()
    source = Source(sandbox, case)
    ddb = aws(sandbox, "dynamodb")
    try:
        proj = project(sandbox, source.name, folder)
        contract = folder / "contract.json"
        contract.write_text(json.dumps(case.contract, ensure_ascii=False, indent=1))

        for stage in ("validate", "plan"):
            done = project_cli(proj, stage, str(contract))
            if done.returncode != 0:
                check_refusal(case, stage, done)
                event(f"refused at {stage}")
                return
            assert "Traceback" not in done.stdout + done.stderr, output(done)
        assert not must_refuse, (
            "validate and plan accepted a contract they must refuse: "
            + "; ".join(f"{path} ({spec.shape}"
                        + (", the rows multiply it)" if spec.verdict == "data" else ")") for path, spec in must_refuse)
            + f"\n--- plan\n{output(done)}\n{describe(case)}")

        done = project_cli(proj, "apply", str(contract), "--auto-approve")
        both = done.stdout + done.stderr
        assert "Traceback" not in both, f"apply crashed\n{output(done)}\n{describe(case)}"
        rejected = case.rejected()
        over_budget = rejected > (case.budget or 0)
        event("apply: rows rejected over budget" if over_budget else
              ("apply: rows rejected within budget" if rejected else "apply: no row rejected"))
        assert done.returncode == (1 if over_budget else 0), (
            f"apply exit {done.returncode}, expected {1 if over_budget else 0}: {rejected} rows have a NULL or "
            f"empty sort key, the budget is {case.budget}\n{output(done)}\n{describe(case)}")
        if over_budget:
            assert "every check passed" not in both, f"apply failed yet says every check passed\n{output(done)}"
            read = len(case.world.rows[case.entities[0].source])
            assert any("reject" in line.lower() and re.search(rf"\b{rejected}\b", line) and re.search(rf"\b{read}\b", line)
                       for line in both.splitlines()), \
                f"apply failed without saying how many of the {read} rows were rejected ({rejected})\n{output(done)}"

        views = source.views()
        for entity in case.entities:
            name = view_name(table, entity.entity_type)
            assert name in views, f"no view {name} among {views}\n{describe(case)}"
            rows, base = source.count(name), len(case.world.rows[entity.source])
            assert rows == base, (f"view {name} has {rows} rows, its base table {entity.source} {base}\n"
                                  f"{describe(case)}")
        check_items(case, scan_items(ddb, table))
        event("accepted and loaded exactly")
    finally:
        try:
            ddb.delete_table(TableName=table)
        except ddb.exceptions.ResourceNotFoundException:
            pass
        source.drop()
