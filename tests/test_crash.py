"""Killing `apply` at any moment leaves a state from which the next `apply` finishes the job,
with nothing duplicated or lost, and `destroy` still leaves nothing behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli, scan_items, stress


@settings(max_examples=stress(5), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delay=st.floats(min_value=0.1, max_value=6.0))
def test_apply_killed_at_any_moment_then_finished(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any],
                                                  delay: float) -> None:
    contract = str(tiny["contract"])
    killed = subprocess.Popen([sys.executable, "-m", "migrator", "apply", contract, "--auto-approve"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tiny["env"], cwd=tiny["tmp"])
    time.sleep(delay)
    killed.send_signal(signal.SIGKILL)  # no cleanup of any kind: a laptop losing power
    killed.communicate()

    finished = run_cli(tiny["env"], tiny["tmp"], "apply", contract, "--auto-approve")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "No changes." in run_cli(tiny["env"], tiny["tmp"], "plan", contract).stdout

    items = sorted(scan_items(aws(sandbox, "dynamodb"), tiny["table"]), key=lambda i: i["PK"])
    assert [(i["PK"], i["name"], i.get("kind")) for i in items] == [
        ("THING#1", "a", "big"), ("THING#2", "b", None), ("THING#3", "c", "small")]

    destroyed = run_cli(tiny["env"], tiny["tmp"], "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert tiny["table"] not in aws(sandbox, "dynamodb").list_tables()["TableNames"]
    bucket = tiny["env"]["MIGRATOR_BUCKET"]
    assert bucket not in [b["Name"] for b in aws(sandbox, "s3").list_buckets()["Buckets"]]
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (tiny["db"],))
        assert cur.fetchone() == (0,)
    conn.close()
    glue = Path(tiny["tmp"]) / "glue"
    assert not list((glue / "jobs").glob("*.json")) and not list((glue / "connections").glob("*.json"))
    assert json.loads((Path(tiny["tmp"]) / "state" / "migrator.state.json").read_text())["resources"] == {}
