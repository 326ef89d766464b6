"""The processes of a local Glue run: found by the `GLUE_RUN_ID` every one of them carries in
its environment, and signalled only while they are still the very process recorded."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from migrator.process_identity import ProcessIdentity, is_running


RUN_ID_VARIABLE = "GLUE_RUN_ID"


def run_pids(run_id: str) -> list[int]:
    """Every process of this run but the caller: they carry GLUE_RUN_ID in their environment.

    The supervisor carries it too, so a child it forked but had not yet exec'd when the
    supervisor died (it still has the supervisor's environment) is found as well."""
    needle = f"{RUN_ID_VARIABLE}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_run_processes(run_id: str, sig: int = signal.SIGKILL) -> None:
    for pid in run_pids(run_id):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def signal_process(process: ProcessIdentity | None, sig: int) -> bool:
    """Signal the recorded process only if it is still that very process."""
    if process is None or not is_running(process):
        return False
    try:
        os.kill(process.pid, sig)
    except ProcessLookupError:
        return False
    return True


def wait_gone(process: ProcessIdentity | None, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_running(process):
        time.sleep(0.02)
