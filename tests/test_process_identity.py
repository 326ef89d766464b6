"""A process that has not finished starting is alive; a reused PID is not ours.

Regression for a run declared ERROR 3 ms after it started: its supervisor was judged by
its command line, which reads as the parent's between fork and exec. These tests hold a
real child in exactly that window (forked, exec delayed) and ask the runtime and the
sandbox whether it lives.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.process_identity import ProcessIdentity, identify, is_running
from migrator.sandbox import processes
from migrator.servers.glue_local import Run, RunDir, settle


@pytest.fixture
def forked_not_yet_execed() -> Iterator[int]:
    """A child that sleeps 2 s before exec: until then /proc/PID/cmdline is this test's."""
    pid = os.fork()
    if pid == 0:  # the child: nothing but sleep and exec
        try:
            time.sleep(2.0)
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(1)"])
        finally:
            os._exit(1)
    try:
        yield pid
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)


def _starting_run(tmp_path: Path, process: ProcessIdentity) -> RunDir:
    run_dir = RunDir(tmp_path / "runs" / "job" / ("jr_" + "0" * 64))
    run_dir.path.mkdir(parents=True)
    run_dir.save(Run(id=run_dir.run_id, job_name="job", state="STARTING", started_on="2026-01-01T00:00:00+00:00",
                     last_modified_on="2026-01-01T00:00:00+00:00", arguments={}, timeout_minutes=1,
                     timeout_seconds=60.0, command_name="pythonshell", supervisor_pid=process.pid,
                     supervisor_identity=process.to_doc()))
    return run_dir


def test_a_supervisor_between_fork_and_exec_is_not_declared_dead(tmp_path: Path, forked_not_yet_execed: int) -> None:
    pid = forked_not_yet_execed
    assert b"glue_local.supervisor" not in Path(f"/proc/{pid}/cmdline").read_bytes()  # the window the bug lived in
    process = identify(pid)
    assert process is not None
    run_dir = _starting_run(tmp_path, process)
    assert settle(run_dir).state == "STARTING"
    assert run_dir.load().error_message is None

    os.kill(pid, 9)
    os.waitpid(pid, 0)
    settled = settle(run_dir)
    assert settled.state == "ERROR" and f"pid {pid}" in (settled.error_message or "")


def test_a_reused_pid_is_not_the_recorded_process(tmp_path: Path) -> None:
    me = identify(os.getpid())
    assert me is not None and is_running(me)
    assert not is_running(dataclasses.replace(me, start_ticks=me.start_ticks + 1))
    assert not is_running(dataclasses.replace(me, boot_id="another-boot"))
    assert settle(_starting_run(tmp_path, dataclasses.replace(me, start_ticks=me.start_ticks - 1))).state == "ERROR"


def test_the_sandbox_waits_for_a_process_that_is_still_starting(forked_not_yet_execed: int) -> None:
    process = identify(forked_not_yet_execed)
    assert processes.is_ours(process)
    assert ProcessIdentity.from_doc(process.to_doc() if process else None) == process


def test_a_sandbox_record_without_identities_adopts_only_its_own_processes() -> None:
    me = os.getpid()
    assert processes.adopt(me, "no such marker in this command line") is None
    executable = Path("/proc/self/cmdline").read_bytes().split(b"\0")[0].decode()  # pytest or an xdist worker
    adopted = processes.adopt(me, executable)
    assert adopted is not None and adopted.pid == me and processes.is_ours(adopted)
