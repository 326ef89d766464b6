"""Start, find and stop the sandbox's background processes by PID.

A PID alone can be reused by the OS, so a recorded process counts as ours only while its
identity (PID, kernel start time, boot ID; `migrator.process_identity`) still matches.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from migrator.errors import MigratorError
from migrator.process_identity import ProcessIdentity, boot_id, identify, is_running


def free_port(preferred: int | None = None) -> int:
    """The preferred port if it is free on 127.0.0.1, otherwise one the OS picks."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def adopt(pid: int | None, marker: str) -> ProcessIdentity | None:
    """The identity of a PID recorded without one (an older sandbox.json), if its command line is ours."""
    if not pid or marker not in cmdline(pid):
        return None
    return identify(pid)


def is_ours(process: ProcessIdentity | None) -> bool:
    """True while the very process we started runs (not exited, not a zombie, PID not reused)."""
    return is_running(process)


def spawn(argv: Sequence[str], *, log_path: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> ProcessIdentity:
    """Start a detached process (own session) writing to `log_path`; return who it is.

    The identity is read before anyone can reap the child, and holds from `fork` on, so a
    process that is still starting up is never taken for a dead one.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=True, close_fds=True)
    return identify(proc.pid) or ProcessIdentity(proc.pid, -1, boot_id())


def stop(process: ProcessIdentity | None, *, timeout: float = 15.0) -> bool:
    """SIGTERM the process if it is ours, escalate to SIGKILL; True if it was running."""
    if process is None or not is_ours(process):
        return False
    pid = process.pid
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_ours(process):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_ready(what: str, process: ProcessIdentity, port: int, healthy: Callable[[int], bool], log: Path,
               timeout: float = 30.0) -> None:
    """Until `process` answers `healthy` on `port`; one sentence naming its log if it dies or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_ours(process):
            raise MigratorError(f"the {what} exited during start-up", hint=f"see {log}")
        if port_open(port) and healthy(port):
            return
        time.sleep(0.05)
    raise MigratorError(f"the {what} did not answer within {timeout:.0f} s", hint=f"see {log}")
