"""The local Glue runtime: jobs, connections and job runs kept in one folder.

Why it exists: there is no AWS account here and moto never executes a job's script, so
`migrator` runs Glue jobs itself, with Glue's API shapes and run states.

Layout under the root folder (the sandbox's `glue/`):

    jobs/<name>.json                 {"Job": <AWS Job>, "Tags": {...}}
    connections/<name>.json          {"Connection": <ConnectionInput + times>} (mode 0600: holds PASSWORD)
    runs/<job>/<run_id>/run.json     the run's state (`Run`), written atomically under run.lock
    runs/<job>/<run_id>/job.json     the job definition as it was when the run started
    runs/<job>/<run_id>/stdout.log, stderr.log, supervisor.log
    runs/<job>/<run_id>/script/      the script fetched from S3
    runs/<job>/<run_id>/py/          --extra-py-files (on PYTHONPATH)
    runs/<job>/<run_id>/work/        the script's working directory (--extra-files land here)

A run is executed by a detached supervisor (`python -m migrator.servers.glue_local
supervise RUN_DIR`, its own session) so runs outlive the MCP server. The supervisor
fetches the script from S3, runs it as a child process in its own process group with
Glue's argv convention, enforces the timeout and records the final state. Every process
of a run carries `GLUE_RUN_ID=<run id>` in its environment, which is how leftovers are
found and stopped.

Test hook: the run argument `--migrator-timeout-seconds N` (N may be fractional)
replaces the timeout in minutes; it is not passed to the script.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from migrator.mcp.errors import ErrorCode

ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING"})
TERMINAL_STATES = frozenset({"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR"})
JOB_TYPES = ("glueetl", "pythonshell")
DEFAULT_TIMEOUT_MINUTES = 2880
TIMEOUT_OVERRIDE = "--migrator-timeout-seconds"
JDBC_JAR = Path("/usr/share/java/mariadb-java-client.jar")
STOP_GRACE_SECONDS = 5.0

_JOB_KEYS = frozenset({
    "Name", "JobMode", "JobRunQueuingEnabled", "Description", "LogUri", "Role", "ExecutionProperty", "Command",
    "DefaultArguments", "NonOverridableArguments", "Connections", "MaxRetries", "AllocatedCapacity", "Timeout",
    "MaxCapacity", "SecurityConfiguration", "Tags", "NotificationProperty", "GlueVersion", "NumberOfWorkers",
    "WorkerType", "CodeGenConfigurationNodes", "ExecutionClass", "SourceControlDetails", "MaintenanceWindow"})
_CONNECTION_KEYS = frozenset({
    "Name", "Description", "ConnectionType", "MatchCriteria", "ConnectionProperties", "SparkProperties",
    "AthenaProperties", "PythonProperties", "PhysicalConnectionRequirements", "AuthenticationConfiguration",
    "ValidateCredentials", "ValidateForComputeEnvironments"})
_SECRET_KEYS = frozenset({"BasicAuthenticationCredentials", "CustomAuthenticationCredentials", "ClientSecret",
                          "UserManagedClientApplicationClientSecret", "AccessToken", "RefreshToken", "JwtToken",
                          "AuthorizationCode"})
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b(:.*)?$")


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


# ----------------------------------------------------------------------------- files


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


def redact_connection(doc: Any) -> Any:
    """A connection without anything secret: PASSWORD-like properties and credential blocks go."""
    if isinstance(doc, dict):
        return {k: redact_connection(v) for k, v in doc.items()
                if "PASSWORD" not in k.upper() and k not in _SECRET_KEYS}
    if isinstance(doc, list):
        return [redact_connection(v) for v in doc]
    return doc


# ----------------------------------------------------------------------------- processes


def _alive(pid: int | None, marker: str) -> bool:
    """Running, not a zombie, and its command line still contains `marker` (PIDs get reused)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}:
            return False
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError):
        return False
    return marker in cmdline


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


def _signal(pid: int | None, marker: str, sig: int) -> bool:
    if not _alive(pid, marker):
        return False
    assert pid is not None
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


# ----------------------------------------------------------------------------- run records


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

    @property
    def marker(self) -> str:
        """What the supervisor's command line contains."""
        return f"supervise {self.path}"

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
        return _alive(run.supervisor_pid, self.marker)


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


# ----------------------------------------------------------------------------- the runtime


@dataclass(frozen=True)
class LocalGlue:
    """The local Glue backend: the same operations as the AWS backend, on files and local processes."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    # -- paths

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def connections_dir(self) -> Path:
        return self.root / "connections"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def _job_file(self, name: str) -> Path:
        return self.jobs_dir / f"{_check_name('job', name)}.json"

    def _connection_file(self, name: str) -> Path:
        return self.connections_dir / f"{_check_name('connection', name)}.json"

    def _run_dir(self, job_name: str, run_id: str) -> RunDir:
        if not isinstance(run_id, str) or not re.fullmatch(r"jr_[0-9a-f]{64}", run_id):
            raise LocalGlueError(ErrorCode.NOT_FOUND, f"job run {run_id!r} of job {job_name!r} does not exist")
        return RunDir(self.runs_dir / _check_name("job", job_name) / run_id)

    # -- jobs

    def _normalise_job(self, name: str, doc: dict[str, Any], *, allow: frozenset[str]) -> dict[str, Any]:
        """Validate a CreateJob/JobUpdate document and fill the defaults AWS fills."""
        if not isinstance(doc, dict):
            raise LocalGlueError(ErrorCode.INVALID, "the job definition must be an object")
        unknown = sorted(set(doc) - allow)
        if unknown:
            raise LocalGlueError(ErrorCode.INVALID, f"unknown job field(s): {', '.join(unknown)}")
        if not isinstance(doc.get("Role"), str) or not doc["Role"]:
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Role is required")
        command = doc.get("Command")
        if not isinstance(command, dict):
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Command is required")
        if command.get("Name") not in JOB_TYPES:
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Command.Name must be one of {', '.join(JOB_TYPES)} "
                                 f"for the local Glue runtime, got {command.get('Name')!r}")
        location = command.get("ScriptLocation")
        try:
            _split_s3(location if isinstance(location, str) else "")
        except FetchError:
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Command.ScriptLocation must be an "
                                 f"s3://bucket/key location, got {location!r}") from None
        job = {k: v for k, v in doc.items() if k not in {"Name", "Tags"}}
        job["Name"] = name
        job["DefaultArguments"] = _str_map("DefaultArguments", doc.get("DefaultArguments"))
        if "NonOverridableArguments" in doc:
            job["NonOverridableArguments"] = _str_map("NonOverridableArguments", doc["NonOverridableArguments"])
        job["Timeout"] = _positive_int("Timeout", doc.get("Timeout", DEFAULT_TIMEOUT_MINUTES))
        execution = doc.get("ExecutionProperty") or {}
        if not isinstance(execution, dict):
            raise LocalGlueError(ErrorCode.INVALID, "ExecutionProperty must be an object")
        job["ExecutionProperty"] = {"MaxConcurrentRuns": _positive_int(
            "ExecutionProperty.MaxConcurrentRuns", execution.get("MaxConcurrentRuns", 1))}
        job.setdefault("MaxRetries", 0)
        return job

    def _load_job_doc(self, name: str) -> dict[str, Any]:
        path = self._job_file(name)
        try:
            return _read_json(path)
        except FileNotFoundError:
            raise LocalGlueError(ErrorCode.NOT_FOUND, f"EntityNotFoundException: job {name!r} does not exist") from None

    def create_job(self, job: dict[str, Any]) -> dict[str, Any]:
        name = _check_name("job", job.get("Name") if isinstance(job, dict) else None)
        definition = self._normalise_job(name, job, allow=_JOB_KEYS)
        tags = _str_map("Tags", job.get("Tags"))
        with _flock(self.jobs_dir / ".lock"):
            path = self._job_file(name)
            if path.exists():
                raise LocalGlueError(ErrorCode.ALREADY_EXISTS, f"AlreadyExistsException: job {name!r} already exists")
            definition["CreatedOn"] = definition["LastModifiedOn"] = _now()
            _write_json(path, {"Job": definition, "Tags": tags})
        return {"name": name}

    def update_job(self, name: str, job_update: dict[str, Any]) -> dict[str, Any]:
        """Like AWS UpdateJob: the new definition replaces the old one entirely (tags and CreatedOn stay)."""
        allow = _JOB_KEYS - {"Name", "Tags"}
        definition = self._normalise_job(_check_name("job", name), job_update, allow=allow)
        with _flock(self.jobs_dir / ".lock"):
            old = self._load_job_doc(name)
            definition["CreatedOn"] = old["Job"].get("CreatedOn", _now())
            definition["LastModifiedOn"] = _now()
            _write_json(self._job_file(name), {"Job": definition, "Tags": old.get("Tags", {})})
        return {"name": name}

    def get_job(self, name: str) -> dict[str, Any]:
        return self._load_job_doc(name)["Job"]

    def delete_job(self, name: str) -> dict[str, Any]:
        """Idempotent. Finished runs' history goes with the job; active runs finish on their own."""
        with _flock(self.jobs_dir / ".lock"):
            try:
                self._job_file(name).unlink()
            except FileNotFoundError:
                return {"deleted": False}
        for run_dir in self._run_dirs(name):
            with contextlib.suppress(OSError, ValueError):
                if run_dir.load().state in TERMINAL_STATES:
                    shutil.rmtree(run_dir.path, ignore_errors=True)
        return {"deleted": True}

    def list_jobs(self, next_token: str | None = None, max_results: int = 100) -> dict[str, Any]:
        names = sorted(p.name[:-5] for p in self.jobs_dir.glob("*.json") if not p.name.startswith(".")) \
            if self.jobs_dir.exists() else []
        return _page("job_names", names, names, next_token, max_results)

    # -- runs

    def _run_dirs(self, job_name: str) -> list[RunDir]:
        folder = self.runs_dir / _check_name("job", job_name)
        if not folder.is_dir():
            return []
        return [RunDir(p) for p in folder.iterdir() if p.name.startswith("jr_") and (p / "run.json").exists()]

    def _active(self, job_name: str) -> list[Run]:
        active = []
        for run_dir in self._run_dirs(job_name):
            if run_dir.load().state in ACTIVE_STATES:
                run = settle(run_dir)
                if run.state in ACTIVE_STATES:
                    active.append(run)
        return active

    def start_job_run(self, job_name: str, arguments: dict[str, Any] | None = None,
                      timeout_minutes: int | None = None) -> dict[str, Any]:
        job = self.get_job(job_name)
        run_args = _str_map("arguments", arguments)
        timeout = _positive_int("timeout_minutes", timeout_minutes) if timeout_minutes is not None else job["Timeout"]
        merged = merge_arguments(job, run_args)
        timeout_seconds = float(timeout * 60)
        if TIMEOUT_OVERRIDE in merged:
            try:
                timeout_seconds = float(merged[TIMEOUT_OVERRIDE])
            except ValueError:
                timeout_seconds = -1.0
            if not timeout_seconds > 0:
                raise LocalGlueError(ErrorCode.INVALID, f"{TIMEOUT_OVERRIDE} must be a positive number of seconds")
        limit = job["ExecutionProperty"]["MaxConcurrentRuns"]
        with _flock(self.runs_dir / job_name / ".lock"):
            active = self._active(job_name)
            if len(active) >= limit:
                raise LocalGlueError(ErrorCode.LIMIT_EXCEEDED,
                                     f"ConcurrentRunsExceededException: job {job_name!r} already has {len(active)} "
                                     f"active run(s) and MaxConcurrentRuns is {limit}")
            run_dir = RunDir(self.runs_dir / job_name / ("jr_" + secrets.token_hex(32)))
            run_dir.path.mkdir(parents=True)
            _write_json(run_dir.file("job.json"), job)
            now = _now()
            run = Run(id=run_dir.run_id, job_name=job_name, state="STARTING", started_on=now, last_modified_on=now,
                      arguments=run_args, timeout_minutes=timeout, timeout_seconds=timeout_seconds,
                      command_name=job["Command"]["Name"], glue_version=job.get("GlueVersion"),
                      worker_type=job.get("WorkerType"), number_of_workers=job.get("NumberOfWorkers"),
                      max_capacity=job.get("MaxCapacity"))
            with _flock(run_dir.file("run.lock")):  # nobody may judge the run before its supervisor PID is recorded
                run_dir.save(run)
                try:
                    run.supervisor_pid = _spawn_supervisor(run_dir)
                except OSError as exc:
                    run.finish("ERROR", f"could not start the local Glue supervisor: {exc}")
                    run_dir.save(run)
                    raise LocalGlueError(ErrorCode.UNAVAILABLE, run.error_message or str(exc)) from exc
                run_dir.save(run)
        return {"run_id": run.id}

    def get_job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        run_dir = self._run_dir(job_name, run_id)
        if not run_dir.file("run.json").exists():
            raise LocalGlueError(ErrorCode.NOT_FOUND,
                                 f"EntityNotFoundException: job run {run_id} of job {job_name!r} does not exist")
        return settle(run_dir).to_aws()

    def list_job_runs(self, job_name: str, next_token: str | None = None, max_results: int = 100) -> dict[str, Any]:
        run_dirs = self._run_dirs(job_name)
        if not run_dirs and not self._job_file(job_name).exists():
            raise LocalGlueError(ErrorCode.NOT_FOUND, f"EntityNotFoundException: job {job_name!r} does not exist")
        runs = [settle(d) if d.load().state in ACTIVE_STATES else d.load() for d in run_dirs]
        runs.sort(key=lambda r: (r.started_on, r.id), reverse=True)
        return _page("job_runs", [r.to_aws() for r in runs], [r.id for r in runs], next_token, max_results)

    def stop_job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        """Ask the supervisor to stop (SIGTERM); it kills the script and records STOPPED."""
        self.get_job_run(job_name, run_id)  # not_found, and settles a dead supervisor
        run_dir = self._run_dir(job_name, run_id)
        _request_stop(run_dir)
        return {"state": settle(run_dir).state}

    def get_job_run_logs(self, job_name: str, run_id: str, tail_lines: int = 200) -> dict[str, Any]:
        self.get_job_run(job_name, run_id)
        run_dir = self._run_dir(job_name, run_id)
        return {"stdout": _tail(run_dir.file("stdout.log"), tail_lines),
                "stderr": _tail(run_dir.file("stderr.log"), tail_lines)}

    # -- connections

    def create_connection(self, connection: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(connection, dict):
            raise LocalGlueError(ErrorCode.INVALID, "the connection must be an object")
        name = _check_name("connection", connection.get("Name"))
        unknown = sorted(set(connection) - _CONNECTION_KEYS)
        if unknown:
            raise LocalGlueError(ErrorCode.INVALID, f"unknown connection field(s): {', '.join(unknown)}")
        if not isinstance(connection.get("ConnectionType"), str):
            raise LocalGlueError(ErrorCode.INVALID, f"connection {name!r}: ConnectionType is required")
        doc = dict(connection)
        doc["ConnectionProperties"] = _str_map("ConnectionProperties", connection.get("ConnectionProperties"))
        with _flock(self.connections_dir / ".lock"):
            os.chmod(self.connections_dir, 0o700)  # the files hold passwords
            path = self._connection_file(name)
            if path.exists():
                raise LocalGlueError(ErrorCode.ALREADY_EXISTS,
                                     f"AlreadyExistsException: connection {name!r} already exists")
            doc["CreationTime"] = doc["LastUpdatedTime"] = _now()
            _write_json(path, {"Connection": doc}, mode=0o600)
        return {"name": name}

    def get_connection(self, name: str) -> dict[str, Any]:
        try:
            doc = _read_json(self._connection_file(name))["Connection"]
        except FileNotFoundError:
            raise LocalGlueError(ErrorCode.NOT_FOUND,
                                 f"EntityNotFoundException: connection {name!r} does not exist") from None
        return redact_connection(doc)

    def delete_connection(self, name: str) -> dict[str, Any]:
        with _flock(self.connections_dir / ".lock"):
            try:
                self._connection_file(name).unlink()
            except FileNotFoundError:
                return {"deleted": False}
        return {"deleted": True}

    def list_connections(self) -> dict[str, Any]:
        if not self.connections_dir.exists():
            return {"connections": []}
        names = sorted(p.name[:-5] for p in self.connections_dir.glob("*.json") if not p.name.startswith("."))
        return {"connections": [self.get_connection(n) for n in names]}

    # -- the sandbox's view

    def all_run_dirs(self) -> list[RunDir]:
        if not self.runs_dir.is_dir():
            return []
        return [RunDir(p) for job in sorted(self.runs_dir.iterdir()) if job.is_dir()
                for p in sorted(job.iterdir()) if p.name.startswith("jr_") and (p / "run.json").exists()]

    def active_runs(self) -> list[str]:
        """`job/run_id` of every run still in progress (read only)."""
        out = []
        for run_dir in self.all_run_dirs():
            with contextlib.suppress(OSError, ValueError):
                run = run_dir.load()
                if run.state in ACTIVE_STATES and run_dir.supervisor_alive(run):
                    out.append(f"{run_dir.job_name}/{run_dir.run_id}")
        return out

    def stop_all_runs(self, timeout: float = 15.0) -> list[str]:
        """Stop every run in progress: SIGTERM the supervisors, wait, then SIGKILL whatever is left."""
        stopping: list[tuple[RunDir, int]] = []
        for run_dir in self.all_run_dirs():
            with contextlib.suppress(OSError, ValueError):
                if run_dir.load().state in ACTIVE_STATES:
                    pid = _request_stop(run_dir)
                    if pid is not None:
                        stopping.append((run_dir, pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(pid, d.marker) for d, pid in stopping):
            time.sleep(0.05)
        for run_dir, pid in stopping:
            _signal(pid, run_dir.marker, signal.SIGKILL)
            _kill_run_processes(run_dir.run_id)
            _wait_gone(pid, run_dir.marker)
            settle(run_dir)
        return [f"{d.job_name}/{d.run_id}" for d, _ in stopping]


def _request_stop(run_dir: RunDir) -> int | None:
    """Mark the run STOPPING and SIGTERM its supervisor; the supervisor's PID, or None if it had none alive."""
    with run_dir.update() as run:
        pid = run.supervisor_pid if run.state in ACTIVE_STATES and run_dir.supervisor_alive(run) else None
        if pid is not None:
            run.state = "STOPPING"
            run.last_modified_on = _now()
    if pid is None:
        settle(run_dir)
        return None
    _signal(pid, run_dir.marker, signal.SIGTERM)
    return pid


def _wait_gone(pid: int | None, marker: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid, marker):
        time.sleep(0.02)


def _page(key: str, items: list[Any], keys: list[str], next_token: str | None, max_results: int) -> dict[str, Any]:
    """Pages by key: the token is the last key returned, so new entries never shift a page."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 1000:
        raise LocalGlueError(ErrorCode.INVALID, f"max_results must be between 1 and 1000, got {max_results!r}")
    start = 0
    if next_token:
        if next_token not in keys:
            raise LocalGlueError(ErrorCode.INVALID, f"next_token {next_token!r} is not valid (any more)")
        start = keys.index(next_token) + 1
    page = items[start:start + max_results]
    more = start + max_results < len(items)
    return {key: page, "next_token": keys[start + max_results - 1] if more else None}


def merge_arguments(job: dict[str, Any], run_args: dict[str, str]) -> dict[str, str]:
    """Glue's precedence: job defaults, then run arguments, then non-overridable arguments."""
    return {**job.get("DefaultArguments", {}), **run_args, **job.get("NonOverridableArguments", {})}


def _spawn_supervisor(run_dir: RunDir) -> int:
    """A detached process in its own session, so the run outlives the MCP server."""
    with open(run_dir.file("supervisor.log"), "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "migrator.servers.glue_local", "supervise", str(run_dir.path)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ), cwd=run_dir.path, start_new_session=True, close_fds=True)
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()  # no zombies in the server
    return proc.pid


def active_runs(glue_dir: Path) -> list[str]:
    """`job/run_id` of the runs in progress under a sandbox's glue folder."""
    return LocalGlue(Path(glue_dir)).active_runs()


def stop_all_runs(glue_dir: Path) -> list[str]:
    """Stop every run in progress under a sandbox's glue folder; returns `job/run_id` of each."""
    return LocalGlue(Path(glue_dir)).stop_all_runs()


# ----------------------------------------------------------------------------- the supervisor


def _s3_client() -> Any:
    """boto3 S3 client honouring AWS_ENDPOINT_URL (kept here: the supervisor must start fast)."""
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client(
        "s3", region_name=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60))


def _download(s3: Any, uri: str, dest_dir: Path, what: str) -> Path:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = _split_s3(uri)
    dest = dest_dir / Path(key).name
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        s3.download_file(bucket, key, str(dest))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise FetchError(f"cannot fetch the {what} {uri}: {err.get('Code', '')} {err.get('Message', '')}".rstrip()) \
            from exc
    except (BotoCoreError, OSError) as exc:
        raise FetchError(f"cannot fetch the {what} {uri}: {exc}") from exc
    return dest


def error_line(stderr_text: str) -> str | None:
    """The line that says what went wrong: the last exception line, else the last non-empty line."""
    lines = [line.strip() for line in stderr_text.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else None


@dataclass
class Prepared:
    """A run ready to execute: its argv, environment and working directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


@dataclass
class Supervisor:
    """Runs one job run to a terminal state; SIGTERM means stop."""

    run_dir: RunDir
    stop_requested: bool = False
    interruptible: bool = False
    child: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        if self.interruptible:
            raise StopRequested()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            self._run()
        except BaseException as exc:
            self._kill_child()
            with self.run_dir.update() as run:
                run.finish("ERROR", f"the local Glue supervisor failed: {type(exc).__name__}: {exc}")
            raise
        return 0

    def _run(self) -> None:
        job = _read_json(self.run_dir.file("job.json"))
        run = self.run_dir.load()
        try:
            prepared = self._prepare_interruptibly(job, run)
        except StopRequested:
            self._finish("STOPPED")
            return
        except FetchError as exc:
            self._append_stderr(str(exc))
            self._finish("FAILED", str(exc))
            return
        if not self._mark_running():
            self._finish("STOPPED")
            return
        state, message = self._execute(prepared, run.timeout_seconds)
        self._finish(state, message)

    def _prepare_interruptibly(self, job: dict[str, Any], run: Run) -> Prepared:
        """Fetching may block on S3: a SIGTERM meanwhile aborts it at once."""
        self.interruptible = True
        try:
            if self.stop_requested:
                raise StopRequested()
            return self._prepare(job, run)
        finally:
            self.interruptible = False

    def _prepare(self, job: dict[str, Any], run: Run) -> Prepared:
        """Fetch the script and extra files; build Glue's argv and the script's environment."""
        s3 = _s3_client()
        merged = merge_arguments(job, run.arguments)
        script = _download(s3, job["Command"]["ScriptLocation"], self.run_dir.file("script"), "job script")
        py_dir, work = self.run_dir.file("py"), self.run_dir.file("work")
        py_dir.mkdir(exist_ok=True)
        work.mkdir(exist_ok=True)
        python_path = [str(py_dir)]
        for uri in _csv(merged.get("--extra-py-files")):
            fetched = _download(s3, uri, py_dir, "extra Python file")
            if fetched.suffix in {".zip", ".egg", ".whl"}:
                python_path.append(str(fetched))
            elif fetched.suffix != ".py":
                raise FetchError(f"--extra-py-files entry {uri} is neither a .py nor a .zip file")
        for uri in _csv(merged.get("--extra-files")):
            _download(s3, uri, work, "extra file")
        argv = [sys.executable, str(script), "--JOB_NAME", run.job_name, "--JOB_RUN_ID", run.id]
        for key, value in merged.items():
            if key != TIMEOUT_OVERRIDE:
                argv += [key, value]
        return Prepared(argv=argv, env=self._env(run, python_path), cwd=work)

    def _env(self, run: Run, python_path: list[str]) -> dict[str, str]:
        env = dict(os.environ)
        existing = env.get("PYTHONPATH")
        env.update({"PYTHONPATH": os.pathsep.join(python_path + ([existing] if existing else [])),
                    "PYTHONUNBUFFERED": "1", "GLUE_RUN_ID": run.id, "GLUE_JOB_NAME": run.job_name,
                    "MIGRATOR_GLUE_LOCAL_DIR": str(self.run_dir.path.parents[2])})
        if run.command_name == "glueetl":
            jars = f"--jars {JDBC_JAR} " if JDBC_JAR.exists() else ""
            env.update({
                "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
                "PYSPARK_SUBMIT_ARGS": f"{jars}--conf spark.driver.host=127.0.0.1 "
                                       "--conf spark.driver.bindAddress=127.0.0.1 --conf spark.ui.enabled=false "
                                       "pyspark-shell"})
        return env

    def _mark_running(self) -> bool:
        """RUNNING, unless a stop was asked for meanwhile (then False)."""
        with self.run_dir.update() as run:
            if run.state != "STARTING" or self.stop_requested:
                self.stop_requested = True
                return False
            run.state = "RUNNING"
            run.running_since = time.time()
            run.last_modified_on = _now()
            return True

    def _execute(self, prepared: Prepared, timeout_seconds: float) -> tuple[str, str | None]:
        deadline = time.monotonic() + timeout_seconds
        with open(self.run_dir.file("stdout.log"), "ab") as out, open(self.run_dir.file("stderr.log"), "ab") as err:
            self.child = subprocess.Popen(prepared.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          env=prepared.env, cwd=prepared.cwd, start_new_session=True)
        with self.run_dir.update() as run:
            run.child_pid = self.child.pid
        while True:
            try:
                code = self.child.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            if self.stop_requested:
                self._kill_child()
                return "STOPPED", None
            if time.monotonic() >= deadline:
                self._kill_child()
                return "TIMEOUT", f"the job run exceeded its timeout of {_duration(timeout_seconds)} and was stopped"
        _kill_run_processes(self.run_dir.run_id)  # leftovers such as a Spark JVM
        if self.stop_requested:
            return "STOPPED", None
        if code == 0:
            return "SUCCEEDED", None
        line = error_line(_tail(self.run_dir.file("stderr.log"), 400))
        status = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return "FAILED", line or f"the script ended with {status}"

    def _kill_child(self) -> None:
        """SIGTERM the script's process group, then SIGKILL it and any leftover of the run."""
        child = self.child
        if child is not None and child.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        _kill_run_processes(self.run_dir.run_id)

    def _finish(self, state: str, message: str | None = None) -> None:
        with self.run_dir.update() as run:
            run.finish(state, message)

    def _append_stderr(self, text: str) -> None:
        with open(self.run_dir.file("stderr.log"), "a") as fh:
            fh.write(text + "\n")


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def supervise(run_dir: Path) -> int:
    return Supervisor(RunDir(Path(run_dir).resolve())).run()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "supervise":
        print("usage: python -m migrator.servers.glue_local supervise RUN_DIR", file=sys.stderr)
        return 2
    return supervise(Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
