"""A Glue job run that dies part way through a load (the runtime's test-only switch makes
the script exit after N rows, without writing its result): the run is recorded as failed
with the job's error line, and the next apply finishes the load with no item lost or
duplicated."""

from __future__ import annotations

from pathlib import Path

from migrator.runtime.faults import ENV
from migrator.sandbox import lifecycle
from tests.helpers import Emulator, aws
from tests.reliability.support import (assert_loaded, assert_state_true, cli, destroy_and_check, expected,
                                       shop_project, state)
from tests.shop_reference import CONTRACT


def test_a_job_that_dies_mid_load_is_failed_with_its_error_line_and_the_next_apply_finishes(
        sandbox: lifecycle.SandboxRecord, shop_db: str, emulator: Emulator, tmp_path: Path) -> None:
    marker = tmp_path / "fired"
    proj = shop_project(sandbox, shop_db, tmp_path, emulator,
                        server_env={"migrator-glue": {ENV: f"OrderItems:300:{marker}"}})
    failed = cli(proj, "apply", str(CONTRACT), "--auto-approve")
    text = failed.stdout + failed.stderr
    assert failed.returncode == 1 and marker.exists(), text
    line = "RuntimeError: injected fault: the load of OrderItems stops after 300 rows"
    assert "load.OrderItems: failed: load.OrderItems: Glue job migrator-load-OrderItems run" in text, text
    assert f"ended FAILED: {line}" in text, text
    record = state(proj)["resources"]["load.OrderItems"]
    assert record["status"] == "tainted" and line in record["attributes"]["error"]
    assert "check.OrderItems" not in state(proj)["resources"]
    partial = aws(proj["aws"], "dynamodb").scan(TableName="OrderItems", Select="COUNT")["Count"]
    want = expected(sandbox, shop_db)
    assert 300 <= partial < len(want["OrderItems"])  # the job died part way: some items, not all
    assert_state_true(sandbox, proj)

    finished = cli(proj, "apply", str(CONTRACT), "--auto-approve")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_loaded(proj, want)
    assert "No changes." in cli(proj, "plan", str(CONTRACT)).stdout
    destroy_and_check(sandbox, proj)
