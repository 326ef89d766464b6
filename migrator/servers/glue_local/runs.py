"""Run records of the local Glue runtime: a run's state (`Run`) in its folder (`RunDir`),
the rules that settle a run whose supervisor died, and the small file helpers (JSON written
atomically, locks, log tails) the jobs, connections and runs are kept with."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from migrator.fileio import atomic_write
from migrator.process_identity import ProcessIdentity, is_running
from migrator.protocol import ErrorCode
from migrator.servers.glue_local.processes import kill_run_processes, signal_process

ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING"})

TERMINAL_STATES = frozenset({"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR"})

JOB_TYPES = ("glueetl", "pythonshell")

DEFAULT_TIMEOUT_MINUTES = 2880

TIMEOUT_OVERRIDE = "--migrator-timeout-seconds"


class LocalGlueError(Exception):
    """A refused request, with the error code the MCP server reports."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FetchError(Exception):
    """The script or an extra file could not be fetched from S3: the run FAILS."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def write_json(path: Path, doc: Any, mode: int = 0o644) -> None:
    """Atomic: readers see the old or the new document, never half of one."""
    atomic_write(path, json.dumps(doc, indent=2, sort_keys=True) + "\n", mode=mode)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


@contextlib.contextmanager
def flock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by threads and processes (each call opens its own fd)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def tail(path: Path, lines: int, max_bytes: int = 4 << 20) -> str:
    if lines <= 0 or not path.exists():
        return ""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - max_bytes))
        data = fh.read().decode(errors="replace")
    return "\n".join(data.splitlines()[-lines:])


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:] or uri.endswith("/"):
        raise FetchError(f"{uri!r} is not an s3://bucket/key location")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


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
        self.completed_on = now()
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
        return Run.from_doc(read_json(self.file("run.json")))

    def save(self, run: Run) -> None:
        write_json(self.file("run.json"), asdict(run))

    @contextlib.contextmanager
    def update(self) -> Iterator[Run]:
        with flock(self.file("run.lock")):
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
            kill_run_processes(run.id)
        return run


def request_stop(run_dir: RunDir) -> ProcessIdentity | None:
    """Mark the run STOPPING and SIGTERM its supervisor; the supervisor, or None if it had none alive."""
    with run_dir.update() as run:
        process = run.supervisor() if run.state in ACTIVE_STATES and run_dir.supervisor_alive(run) else None
        if process is not None:
            run.state = "STOPPING"
            run.last_modified_on = now()
    if process is None:
        settle(run_dir)
        return None
    signal_process(process, signal.SIGTERM)
    return process


def merge_arguments(job: dict[str, Any], run_args: dict[str, str]) -> dict[str, str]:
    """Glue's precedence: job defaults, then run arguments, then non-overridable arguments."""
    return {**job.get("DefaultArguments", {}), **run_args, **job.get("NonOverridableArguments", {})}
