"""Capacity steps: a provisioned table (and its index) is raised to the load's write_units while
it loads and put back after; a client killed mid-load leaves the base in the state and the next
apply puts it back. Real MariaDB, moto, the local Glue runtime and the CLI in a subprocess; the
capacity is watched with boto3 directly, the items checked against the raw rows."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli, scan_items

ROWS = 14
BASE, DURING = 5, 40


def provisioned(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any], budget: float) -> list[tuple[str, str]]:
    """The tiny project with ROWS things, a provisioned table and a slow load (the budget)."""
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, NULL)", [(i, f"n{i}") for i in range(4, ROWS + 1)])
        cur.execute("SELECT id, name FROM things ORDER BY id")
        rows = [(f"THING#{i}", name) for i, name in cur.fetchall()]
    conn.close()
    doc = json.loads(Path(tiny["contract"]).read_text())
    doc["tables"][0]["capacity"] = {"read_units": BASE, "write_units": BASE}
    doc["tables"][0]["load"] = {"write_units": DURING, "max_items_per_second": budget, "writers": 1}
    Path(tiny["contract"]).write_text(json.dumps(doc))
    return rows


def capacity(ddb: Any, table: str) -> tuple[int, int]:
    desc = ddb.describe_table(TableName=table)["Table"]
    return (desc["ProvisionedThroughput"]["WriteCapacityUnits"],
            desc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"])


class Watch:
    """Polls the table's write capacity from another thread until stopped."""

    def __init__(self, ddb: Any, table: str) -> None:
        self.seen: set[tuple[int, int]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ddb, table), daemon=True)
        self._thread.start()

    def _run(self, ddb: Any, table: str) -> None:
        while not self._stop.wait(0.1):
            try:
                self.seen.add(capacity(ddb, table))
            except Exception:  # not created yet
                pass

    def stop(self) -> set[tuple[int, int]]:
        self._stop.set()
        self._thread.join()
        return self.seen


def test_write_capacity_is_raised_for_the_load_and_put_back(sandbox: lifecycle.SandboxRecord,
                                                              tiny: dict[str, Any]) -> None:
    rows = provisioned(sandbox, tiny, budget=3)
    ddb = aws(sandbox, "dynamodb")
    contract = str(tiny["contract"])
    planned = run_cli(tiny["env"], tiny["tmp"], "plan", contract)
    assert (f"# capacity: dynamodb_table.{tiny['table']} write capacity {BASE} → {DURING} during the load "
            f"(its indexes too), then {BASE}") in planned.stdout, planned.stdout

    watch = Watch(ddb, tiny["table"])
    applied = run_cli(tiny["env"], tiny["tmp"], "apply", contract, "--auto-approve", "--json")
    seen = watch.stop()
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert (DURING, DURING) in seen and capacity(ddb, tiny["table"]) == (BASE, BASE)

    lines = [json.loads(line) for line in applied.stdout.splitlines()]
    assert lines[0]["type"] == "plan" and lines[-1]["type"] == "summary" and lines[-1]["ok"] is True
    load = f"load.{tiny['table']}"
    progress = [e for e in lines if e["type"] == "progress" and e["address"] == load]
    assert any(p["state"] == "RUNNING" and p["rows_read"] < ROWS for p in progress), progress
    assert progress[-1]["rows_read"] == ROWS and progress[-1]["parts_done"] == 1
    record = lines[-1]["loads"][load]
    assert (record["rows_read"], record["items_written"], record["write_units_during_load"]) == (ROWS, ROWS, DURING)

    items = sorted((i["PK"], i["name"]) for i in scan_items(ddb, tiny["table"]))
    assert items == sorted(rows)
    assert "No changes." in run_cli(tiny["env"], tiny["tmp"], "plan", contract).stdout


def test_a_client_killed_mid_load_leaves_the_base_in_the_state_and_the_next_apply_restores_it(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    rows = provisioned(sandbox, tiny, budget=2)
    ddb = aws(sandbox, "dynamodb")
    contract = str(tiny["contract"])
    killed = subprocess.Popen([sys.executable, "-m", "migrator", "apply", contract, "--auto-approve"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tiny["env"], cwd=tiny["tmp"])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and killed.poll() is None:
        try:
            if capacity(ddb, tiny["table"]) == (DURING, DURING):
                break
        except Exception:
            pass
        time.sleep(0.1)
    assert killed.poll() is None, "the apply ended before the capacity was raised"
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    assert capacity(ddb, tiny["table"]) == (DURING, DURING)

    state = json.loads((Path(tiny["tmp"]) / "state" / "migrator.state.json").read_text())
    record = state["resources"][f"load.{tiny['table']}"]
    assert record["status"] == "tainted"
    assert record["attributes"]["capacity_restore"]["throughput"] == {"ReadCapacityUnits": BASE,
                                                                     "WriteCapacityUnits": BASE}

    planned = run_cli(tiny["env"], tiny["tmp"], "plan", contract)
    assert f"~ dynamodb_table.{tiny['table']}" in planned.stdout, planned.stdout
    finished = run_cli(tiny["env"], tiny["tmp"], "apply", contract, "--auto-approve")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert capacity(ddb, tiny["table"]) == (BASE, BASE)
    assert sorted((i["PK"], i["name"]) for i in scan_items(ddb, tiny["table"])) == sorted(rows)
    assert "No changes." in run_cli(tiny["env"], tiny["tmp"], "plan", contract).stdout


def test_switching_to_provisioned_changes_the_table_and_its_index_in_place_and_loads_nothing_again(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    ddb = aws(sandbox, "dynamodb")
    contract = str(tiny["contract"])
    first = run_cli(tiny["env"], tiny["tmp"], "apply", contract, "--auto-approve")
    assert first.returncode == 0, first.stdout + first.stderr
    doc = json.loads(Path(tiny["contract"]).read_text())
    doc["tables"][0]["capacity"] = {"read_units": 3, "write_units": 4}
    Path(tiny["contract"]).write_text(json.dumps(doc))

    planned = json.loads(run_cli(tiny["env"], tiny["tmp"], "plan", contract, "--json").stdout)
    actions = {c["address"]: c["actions"] for c in planned["resource_changes"] if c["actions"] != ["no-op"]}
    assert actions == {f"dynamodb_table.{tiny['table']}": ["update"],
                       f"dynamodb_gsi.{tiny['table']}/ByName": ["update"]}, actions
    applied = run_cli(tiny["env"], tiny["tmp"], "apply", contract, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    desc = ddb.describe_table(TableName=tiny["table"])["Table"]
    assert desc["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert {k: desc["ProvisionedThroughput"][k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")} == \
        {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}
    index = desc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert (index["ReadCapacityUnits"], index["WriteCapacityUnits"]) == (3, 4)
    assert "No changes." in run_cli(tiny["env"], tiny["tmp"], "plan", contract).stdout
