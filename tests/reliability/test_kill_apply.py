"""`kill -9` of `migrator apply` at every node boundary and in the middle of a load: the next
apply converges, no item is lost or duplicated, and destroy leaves nothing.

Every kill is a real SIGKILL of the CLI process (no cleanup runs). Loads keep running in
their detached Glue runs, as they do on AWS; the next apply waits for such a run.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from migrator.sandbox import lifecycle
from migrator.servers import glue_local
from migrator.servers.glue_local import RunDir
from tests.helpers import Emulator
from tests.reliability.support import (NODE_DONE, assert_loaded, assert_nothing_left, assert_state_true, cli,
                                       cli_process, destroy_and_check, expected, shop_project, shop_subset, state)
from tests.reliability.throttle_proxy import Throttling, throttling_proxy
from tests.shop_reference import CONTRACT


@dataclass
class KillAt:
    """SIGKILL `proc` once `items` items of `table` have reached the emulator (a proxy callback)."""

    table: str
    items: int
    proc: subprocess.Popen[str] | None = None
    fired: threading.Event = field(default_factory=threading.Event)

    def on_write(self, table: str, written: int) -> None:
        if table == self.table and written >= self.items and not self.fired.is_set() and self.proc is not None:
            self.fired.set()
            self.proc.kill()


def test_kill_9_at_every_node_boundary_then_converge(sandbox: lifecycle.SandboxRecord, shop_db: str,
                                                     emulator: Emulator, tmp_path: Path) -> None:
    proj = shop_project(sandbox, shop_db, tmp_path, emulator)
    contract = shop_subset(tmp_path, "Products", "Reviews")  # every node kind; a table with two GSIs, one with none
    killed_after: list[str] = []
    # One node at a time, so each run finishes exactly one more node and dies right after it,
    # usually in the middle of the next one. The runs walk every boundary of the apply.
    for _ in range(100):
        proc = cli_process(proj, "apply", str(contract), "--auto-approve", "--parallelism", "1")
        assert proc.stdout is not None
        done, seen = None, []
        for line in proc.stdout:
            seen.append(line)
            match = NODE_DONE.match(line)
            if match:
                proc.kill()
                done = match.group(1)
                break
        rest, err = proc.communicate(timeout=300)
        out = "".join(seen) + rest
        if done is None:
            assert proc.returncode == 0 and "No changes." in out, out + err
            break
        killed_after.append(done)
        assert_state_true(sandbox, proj)
    else:
        raise AssertionError(f"no convergence after {len(killed_after)} killed applies")

    resources = set(state(proj)["resources"])
    doc = json.loads(contract.read_text())
    # per table: view, table, script, job, load, check; one per index; bucket, bundle, connection
    assert len(resources) == 6 * len(doc["tables"]) + sum(len(t.get("gsis") or []) for t in doc["tables"]) + 3
    assert set(killed_after) == resources, sorted(resources - set(killed_after))  # a kill after every node
    assert_loaded(proj, expected(sandbox, shop_db, contract))
    assert cli(proj, "plan", str(contract), "--detailed-exitcode").returncode == 0
    destroy_and_check(sandbox, proj)


def test_kill_9_inside_a_load_then_converge(sandbox: lifecycle.SandboxRecord, shop_db: str, emulator: Emulator,
                                            tmp_path: Path) -> None:
    """Killed once OrderItems has 400 items written; the run it left finishes, the next apply reloads."""
    want = expected(sandbox, shop_db)
    kill = KillAt("OrderItems", 400)
    with throttling_proxy(emulator.endpoint, Throttling(fraction=0.0, on_write=kill.on_write)) as proxy:
        proj = shop_project(sandbox, shop_db, tmp_path, proxy)
        proc = kill.proc = cli_process(proj, "apply", str(CONTRACT), "--auto-approve")
        out, err = proc.communicate(timeout=300)
        assert kill.fired.is_set() and proc.returncode == -9, out + err
        assert "load.OrderItems: job" in out and "Apply complete" not in out
        assert_state_true(sandbox, proj)
        assert "load.OrderItems" not in state(proj)["resources"]
        left = [p.name for p in (Path(proj["glue_dir"]) / "runs" / "migrator-load-OrderItems").glob("jr_*")]
        assert len(left) == 1  # the run the kill left behind goes on by itself

        finished = cli(proj, "apply", str(CONTRACT), "--auto-approve")
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert state(proj)["resources"]["load.OrderItems"]["attributes"]["run_id"] != left[0]  # loaded again
        assert_loaded(proj, want)
        assert "No changes." in cli(proj, "plan", str(CONTRACT)).stdout
        destroy_and_check(sandbox, proj)


def test_destroy_right_after_a_kill_stops_the_run_left_behind(sandbox: lifecycle.SandboxRecord, shop_db: str,
                                                              emulator: Emulator, tmp_path: Path) -> None:
    """A load slowed by throttling is still running when destroy comes: destroy stops the run
    before it deletes the job, so nothing writes after it and nothing is left."""
    kill = KillAt("OrderItems", 100)
    with throttling_proxy(emulator.endpoint, Throttling(fraction=0.6, mode="error", on_write=kill.on_write)) as proxy:
        proj = shop_project(sandbox, shop_db, tmp_path, proxy)
        proc = kill.proc = cli_process(proj, "apply", str(CONTRACT), "--auto-approve")
        proc.communicate(timeout=300)
        assert kill.fired.is_set() and proc.returncode == -9
        runs = Path(proj["glue_dir"]) / "runs" / "migrator-load-OrderItems"
        assert glue_local.active_runs(Path(proj["glue_dir"])), "the throttled load is still running"
        destroyed = cli(proj, "destroy", "--auto-approve")
        assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
        assert {RunDir(p).load().state for p in runs.glob("jr_*")} <= {"STOPPED", "SUCCEEDED"}
        assert_nothing_left(sandbox, proj)
