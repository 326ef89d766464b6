"""Run records of the local Glue runtime: the files of a run, its processes, its state
(`Run`, `RunDir`), and the rules that settle a run whose supervisor died."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from migrator.protocol import ErrorCode
from migrator.process_identity import ProcessIdentity, is_running


ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING"})

TERMINAL_STATES = frozenset({"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR"})

JOB_TYPES = ("glueetl", "pythonshell")

DEFAULT_TIMEOUT_MINUTES = 2880

TIMEOUT_OVERRIDE = "--migrator-timeout-seconds"

JDBC_JAR = Path("/usr/share/java/mariadb-java-client.jar")

STOP_GRACE_SECONDS = 5.0

class LocalGlueError(Exception):
    """A refused request, with the error code the MCP server reports."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

class FetchError(Exception):
    """The script or an extra file could not be fetched from S3: the run FAILS."""

class StopRequested(Exception):
    """Raised inside the supervisor when SIGTERM arrives while it is not waiting on the script."""

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()

def _write_json(path: Path, doc: Any, mode: int = 0o644) -> None:
    """Atomic: readers see the old or the new document, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

def _read_json(path: Path) -> Any:
    return json.loads(path.read_text())

@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by threads and processes (each call opens its own fd)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

def _tail(path: Path, lines: int, max_bytes: int = 4 << 20) -> str:
    if lines <= 0 or not path.exists():
        return ""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - max_bytes))
        data = fh.read().decode(errors="replace")
    return "\n".join(data.splitlines()[-lines:])

def _check_name(kind: str, name: Any) -> str:
    """Names become file names: refuse what could escape the folder."""
    if not isinstance(name, str) or not name.strip():
        raise LocalGlueError(ErrorCode.INVALID, f"{kind} name must be a non-empty string")
    if len(name) > 255 or name.startswith(".") or any(c in name for c in "/\\") or not name.isprintable():
        raise LocalGlueError(ErrorCode.INVALID, f"{kind} name {name!r} is not allowed locally "
                             "(at most 255 printable characters, no '/' or '\\', not starting with '.')")
    return name

def _str_map(where: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise LocalGlueError(ErrorCode.INVALID, f"{where} must be an object of string values")
    return dict(value)

def _positive_int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LocalGlueError(ErrorCode.INVALID, f"{where} must be a positive integer, got {value!r}")
    return value

def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:] or uri.endswith("/"):
        raise FetchError(f"{uri!r} is not an s3://bucket/key location")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key

def run_pids(run_id: str) -> list[int]:
    """Every process started for this run (script, Spark JVM, ...): they carry GLUE_RUN_ID in their env."""
    needle = f"GLUE_RUN_ID={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found

def _kill_run_processes(run_id: str, sig: int = signal.SIGKILL) -> None:
    for pid in run_pids(run_id):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)

def _signal(process: ProcessIdentity | None, sig: int) -> bool:
    """Signal the recorded process only if it is still that very process."""
    if process is None or not is_running(process):
        return False
    try:
        os.kill(process.pid, sig)
    except ProcessLookupError:
        return False
    return True

@dataclass
class Run:
    """What run.json holds: the AWS JobRun fields plus the runtime's bookkeeping."""

    id: str
    job_name: str
    state: str
    started_on: str
    last_modified_on: str
    arguments: dict[str, str]
    timeout_minutes: int
    timeout_seconds: float
    command_name: str
    glue_version: str | None = None
    worker_type: str | None = None
    number_of_workers: int | None = None
    max_capacity: float | None = None
    completed_on: str | None = None
    running_since: float | None = None
    execution_time: int = 0
    error_message: str | None = None
    supervisor_pid: int | None = None
    supervisor_identity: dict[str, Any] | None = None
    child_pid: int | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Run:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})

    def to_aws(self) -> dict[str, Any]:
        """The AWS JobRun shape."""
        out: dict[str, Any] = {
            "Id": self.id, "Attempt": 0, "JobName": self.job_name, "JobRunState": self.state,
            "StartedOn": self.started_on, "LastModifiedOn": self.last_modified_on,
            "ExecutionTime": self.execution_time, "Arguments": dict(self.arguments), "Timeout": self.timeout_minutes,
            "PredecessorRuns": [], "LogGroupName": "/aws-glue/jobs",
        }
        optional = {"CompletedOn": self.completed_on, "ErrorMessage": self.error_message,
                    "GlueVersion": self.glue_version, "WorkerType": self.worker_type,
                    "NumberOfWorkers": self.number_of_workers, "MaxCapacity": self.max_capacity}
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    def supervisor(self) -> ProcessIdentity | None:
        """The supervisor process as identified when it was spawned (None before that)."""
        return ProcessIdentity.from_doc(self.supervisor_identity)

    def finish(self, state: str, message: str | None = None) -> None:
        """Terminal states are final: a second finish changes nothing."""
        if self.state in TERMINAL_STATES:
            return
        self.state = state
        self.error_message = message
        self.completed_on = _now()
        self.last_modified_on = self.completed_on
        if self.running_since is not None:
            self.execution_time = max(0, round(time.time() - self.running_since))

@dataclass(frozen=True)
class RunDir:
    """One run's folder; every state change is read-modify-write under run.lock."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def job_name(self) -> str:
        return self.path.parent.name

    def file(self, name: str) -> Path:
        return self.path / name

    def load(self) -> Run:
        return Run.from_doc(_read_json(self.file("run.json")))

    def save(self, run: Run) -> None:
        _write_json(self.file("run.json"), asdict(run))

    @contextlib.contextmanager
    def update(self) -> Iterator[Run]:
        with _flock(self.file("run.lock")):
            run = self.load()
            before = asdict(run)
            yield run
            if asdict(run) != before:
                self.save(run)

    def supervisor_alive(self, run: Run) -> bool:
        return is_running(run.supervisor())

def settle(run_dir: RunDir) -> Run:
    """The run's true state: an active run whose supervisor is gone is ERROR (or STOPPED if asked to stop)."""
    run = run_dir.load()
    if run.state not in ACTIVE_STATES or run_dir.supervisor_alive(run):
        return run  # the common case needs no lock and no write
    with run_dir.update() as run:
        if run.state in ACTIVE_STATES and not run_dir.supervisor_alive(run):
            if run.state == "STOPPING":
                run.finish("STOPPED")
            else:
                run.finish("ERROR", f"the local Glue supervisor (pid {run.supervisor_pid}) ended without "
                                    "recording a final state; see supervisor.log in the run folder")
            _kill_run_processes(run.id)
        return run

def _request_stop(run_dir: RunDir) -> ProcessIdentity | None:
    """Mark the run STOPPING and SIGTERM its supervisor; the supervisor, or None if it had none alive."""
    with run_dir.update() as run:
        process = run.supervisor() if run.state in ACTIVE_STATES and run_dir.supervisor_alive(run) else None
        if process is not None:
            run.state = "STOPPING"
            run.last_modified_on = _now()
    if process is None:
        settle(run_dir)
        return None
    _signal(process, signal.SIGTERM)
    return process

def _wait_gone(process: ProcessIdentity | None, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_running(process):
        time.sleep(0.02)

def merge_arguments(job: dict[str, Any], run_args: dict[str, str]) -> dict[str, str]:
    """Glue's precedence: job defaults, then run arguments, then non-overridable arguments."""
    return {**job.get("DefaultArguments", {}), **run_args, **job.get("NonOverridableArguments", {})}
