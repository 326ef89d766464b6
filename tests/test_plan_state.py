"""Plans and state like a production tool: saved plans, data-loss safety, targeting, forced
replacement, refresh-only, state commands, import, locks. Real sandbox, CLI in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import REPO, root_connection
from tests.helpers import aws, run_cli


def _cli(tiny: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tiny["env"], tiny["tmp"], *args)


def _edit(tiny: dict[str, Any], change: Any) -> None:
    doc = json.loads(Path(tiny["contract"]).read_text())
    change(doc["tables"][0])
    Path(tiny["contract"]).write_text(json.dumps(doc))


def _state(tiny: dict[str, Any]) -> dict[str, Any]:
    return json.loads((tiny["tmp"] / "state" / "migrator.state.json").read_text())


def test_saved_plan_applies_exactly_or_refuses(tiny: dict[str, Any]) -> None:
    contract, planfile = str(tiny["contract"]), str(tiny["tmp"] / "reviewed.plan.json")
    saved = _cli(tiny, "plan", contract, "-out", planfile)
    assert saved.returncode == 0 and "Saved the plan" in saved.stdout
    assert json.loads(Path(planfile).read_text())["format"] == "migrator-plan"
    applied = _cli(tiny, "apply", planfile)  # a saved plan needs no confirmation
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = _cli(tiny, "apply", planfile)
    assert again.returncode == 1 and "the state changed since the plan" in again.stderr

    second = str(tiny["tmp"] / "second.plan.json")
    assert _cli(tiny, "plan", contract, "--out", second).returncode == 0
    _edit(tiny, lambda t: t["attributes"].append({"name": "extra", "type": "S", "source_table": "things",
                                                  "source_column": "name"}))
    stale = _cli(tiny, "apply", second)
    assert stale.returncode == 1 and "the contract" in stale.stderr and "changed since the plan" in stale.stderr
    assert "Traceback" not in stale.stderr
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0


def test_tables_with_data_are_protected(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    assert _cli(tiny, "apply", contract, "--auto-approve").returncode == 0
    # A key schema change is a replace: refused while the table holds items.
    _edit(tiny, lambda t: t.update(sk="name"))
    plan = _cli(tiny, "plan", contract)
    assert plan.returncode == 1
    assert f"dynamodb_table.{tiny['table']} holds items and the plan would replace it (the key schema changed" \
        in plan.stderr         # diagnostics on stderr, the plan on stdout
    refused = _cli(tiny, "apply", contract, "--auto-approve")
    assert refused.returncode == 1 and "Plan failed: 1 error (each listed once above); nothing was changed" \
        in refused.stdout and refused.stderr.count("holds items and the plan would replace it") == 1
    ddb = aws(sandbox, "dynamodb")
    assert ddb.scan(TableName=tiny["table"], Select="COUNT")["Count"] == 3
    allowed = _cli(tiny, "apply", contract, "--auto-approve", "--allow-data-loss")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=tiny["table"])["Table"]["KeySchema"]]
    assert keys == ["PK", "name"] and ddb.scan(TableName=tiny["table"], Select="COUNT")["Count"] == 3

    # Removing the table from the contract is a delete: refused too, unless the table opts out.
    doc = json.loads(Path(contract).read_text())
    empty = dict(doc, tables=[])
    Path(contract).write_text(json.dumps(empty))
    removed = _cli(tiny, "plan", contract)
    assert removed.returncode == 1 and "holds items and the plan would destroy it" in removed.stderr
    Path(contract).write_text(json.dumps(doc))
    _edit(tiny, lambda t: t.update(allow_data_loss=True, sk=None))
    assert _cli(tiny, "plan", contract).returncode == 0  # the table's own opt-out
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0


def test_target_and_forced_replace(tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    view = f"mysql_view.ddb_{tiny['table'].lower()}_view"
    targeted = _cli(tiny, "plan", contract, "-target", view)
    assert targeted.returncode == 0
    assert "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy." in targeted.stdout
    assert "resource targeting is in effect" in targeted.stderr
    assert _cli(tiny, "apply", contract, "--auto-approve", "--target", view).returncode == 0
    assert list(_state(tiny)["resources"]) == [view]
    bad = _cli(tiny, "plan", contract, "-target", "mysql_view.nope")
    assert bad.returncode == 1 and "mysql_view.nope is neither in the contract nor in the state" in bad.stderr

    assert _cli(tiny, "apply", contract, "--auto-approve", "--parallelism", "2").returncode == 0
    forced = _cli(tiny, "plan", contract, "-replace", view)
    assert f"# {view} must be replaced (replacement requested with -replace)" in forced.stdout
    assert f"# load.{tiny['table']} must be replaced (runs again: {view} changes)" in forced.stdout
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0


def test_refresh_only_records_reality(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    assert _cli(tiny, "apply", contract, "--auto-approve").returncode == 0
    view = f"ddb_{tiny['table'].lower()}_view"
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT CONCAT('X#', id) AS `PK`, name AS `name`, "
                    "NULL AS `kind` FROM things")
    conn.close()
    serial = _state(tiny)["serial"]
    refreshed = _cli(tiny, "plan", contract, "--refresh-only")
    assert refreshed.returncode == 0
    assert f"~ mysql_view.{view}: changed outside migrator" in refreshed.stdout
    after = _state(tiny)
    assert after["serial"] == serial + 1 and "X#" in after["resources"][f"mysql_view.{view}"]["attributes"]["definition"]
    # The next plan puts the contract back.
    plan = _cli(tiny, "plan", contract)
    assert f"# mysql_view.{view} will be updated in place" in plan.stdout
    assert "No changes." in _cli(tiny, "plan", contract, "--refresh-only").stdout
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0


def test_state_commands_and_import(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    assert _cli(tiny, "apply", contract, "--auto-approve").returncode == 0
    listed = _cli(tiny, "state", "list").stdout.splitlines()
    assert f"dynamodb_table.{tiny['table']}" in listed and f"dynamodb_gsi.{tiny['table']}/ByName" in listed
    assert len(listed) == 10  # view, table, its one index, script, bundle, bucket, connection, job, load, check
    shown = json.loads(_cli(tiny, "state", "show", f"check.{tiny['table']}").stdout)
    assert shown["attributes"]["ok"] is True and shown["attributes"]["table_items"] == 3
    assert "is not in the state" in _cli(tiny, "state", "show", "check.nope").stderr

    table = f"dynamodb_table.{tiny['table']}"
    removed = _cli(tiny, "state", "rm", table)
    assert removed.returncode == 0 and "the resource itself is untouched" in removed.stdout
    assert tiny["table"] in aws(sandbox, "dynamodb").list_tables()["TableNames"]
    # Not in the state, and tagged with this lineage: the plan adopts it rather than failing.
    adopt = _cli(tiny, "plan", contract)
    assert adopt.returncode == 0 and "created by an earlier run that stopped before recording it" in adopt.stdout

    assert _cli(tiny, "import", table, tiny["table"]).returncode == 0
    assert "No changes." in _cli(tiny, "plan", contract).stdout
    again = _cli(tiny, "import", table, tiny["table"])
    assert again.returncode == 1 and "already in the state" in again.stderr
    assert "cannot be imported" in _cli(tiny, "import", "glue_job.x", "x").stderr
    assert "there is no mysql view named 'nope'" in _cli(tiny, "import", "mysql_view.nope", "nope").stderr
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0


HOLD_LOCK = """
import sys, time
from pathlib import Path
from migrator.state.store import StateStore
with StateStore(Path(sys.argv[1])).lock("apply"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_concurrent_runs_one_wins_the_other_names_the_holder(tiny: dict[str, Any]) -> None:
    state_dir = tiny["tmp"] / "state"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(state_dir), "60"], stdout=subprocess.PIPE,
                              text=True, cwd=REPO)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        blocked = _cli(tiny, "apply", str(tiny["contract"]), "--auto-approve")
        assert blocked.returncode == 1
        assert "is locked by" in blocked.stderr and f"pid {holder.pid}" in blocked.stderr
        lock_id = json.loads((state_dir / "migrator.lock").read_text())["id"]
        # the truth about an flock: a run that holds it is alive, and it goes with its process
        assert lock_id in blocked.stderr and f"`kill {holder.pid}`" in blocked.stderr
        assert "force-unlock" not in blocked.stderr and "locked by 0 " not in blocked.stderr
        wrong = _cli(tiny, "force-unlock", "not-the-id")
        assert wrong.returncode == 1 and f"has ID {lock_id}" in wrong.stderr
        refused = _cli(tiny, "force-unlock", lock_id)     # breaking a live holder's lock would let two runs in
        assert refused.returncode == 1 and f"held by pid {holder.pid}, which is still running apply" in refused.stderr
        # a holder on another machine (a shared folder): force-unlock is the way once that machine is gone
        record = json.loads((state_dir / "migrator.lock").read_text())
        (state_dir / "migrator.lock").write_text(json.dumps({**record, "host": "elsewhere"}))
        remote = _cli(tiny, "apply", str(tiny["contract"]), "--auto-approve")
        assert f"only if that machine is gone, run `migrator force-unlock {lock_id}`" in remote.stderr, remote.stderr
        assert _cli(tiny, "force-unlock", lock_id).returncode == 0
        assert not (state_dir / "migrator.lock").exists()
    finally:
        holder.kill()
        holder.wait()


def test_two_applies_at_once_exactly_one_wins(tiny: dict[str, Any]) -> None:
    contract = str(tiny["contract"])
    procs = [subprocess.Popen([sys.executable, "-m", "migrator", "apply", contract, "--auto-approve"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tiny["env"],
                              cwd=tiny["tmp"]) for _ in range(2)]
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    codes = sorted(o[2] for o in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(o for o in outcomes if o[2] == 1)
    assert "is locked by" in loser[1] and "lock ID" in loser[1]
    assert "No changes." in _cli(tiny, "plan", contract).stdout
    assert _cli(tiny, "destroy", "--auto-approve").returncode == 0
