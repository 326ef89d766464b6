"""The local Glue backend: jobs, connections and job runs kept in one folder (`LocalGlue`),
with the same operations, request and answer shapes as the AWS backend of the Glue server.
See the package's docstring for the folder's layout and how a run executes."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.process_identity import ProcessIdentity, boot_id, identify, is_running
from migrator.protocol import ErrorCode
from migrator.servers.glue_local.processes import RUN_ID_VARIABLE, kill_run_processes, signal_process, wait_gone
from migrator.servers.glue_local.runs import (ACTIVE_STATES, DEFAULT_TIMEOUT_MINUTES, JOB_TYPES, TERMINAL_STATES,
                                              TIMEOUT_OVERRIDE, FetchError, LocalGlueError, Run, RunDir, flock,
                                              merge_arguments, now, read_json, request_stop, settle, split_s3,
                                              tail, write_json)

#: DPUs per worker of each Glue worker type (AWS derives a job's MaxCapacity from them)
WORKER_DPUS: dict[str, float] = {"G.025X": 0.25, "G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8, "Z.2X": 2}

#: what `_spawn_supervisor` runs with `python -m`
SUPERVISOR_MODULE = f"{__package__}.supervisor"

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


def redact_connection(doc: Any) -> Any:
    """A connection without anything secret: PASSWORD-like properties and credential blocks go."""
    if isinstance(doc, dict):
        return {k: redact_connection(v) for k, v in doc.items()
                if "PASSWORD" not in k.upper() and k not in _SECRET_KEYS}
    if isinstance(doc, list):
        return [redact_connection(v) for v in doc]
    return doc


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
            split_s3(location if isinstance(location, str) else "")
        except FetchError:
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Command.ScriptLocation must be an "
                                 f"s3://bucket/key location, got {location!r}") from None
        workers = [k for k in ("WorkerType", "NumberOfWorkers") if doc.get(k) is not None]
        if workers and doc.get("MaxCapacity") is not None:   # as AWS: MaxCapacity is derived from the workers
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Please do not set Max Capacity if using Worker "
                                 "Type and Number of Workers.")
        if len(workers) == 1:
            raise LocalGlueError(ErrorCode.INVALID, f"job {name!r}: Please set both Worker Type and Number of Workers.")
        job = {k: v for k, v in doc.items() if k not in {"Name", "Tags"}}
        job["Name"] = name
        if workers:   # GetJob answers with the capacity AWS derives (DPUs per worker × workers)
            job["MaxCapacity"] = float(_positive_int("NumberOfWorkers", doc["NumberOfWorkers"])
                                       * WORKER_DPUS.get(str(doc["WorkerType"]), 1))
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
            return read_json(path)
        except FileNotFoundError:
            raise LocalGlueError(ErrorCode.NOT_FOUND, f"EntityNotFoundException: job {name!r} does not exist") from None

    def create_job(self, job: dict[str, Any]) -> dict[str, Any]:
        name = _check_name("job", job.get("Name") if isinstance(job, dict) else None)
        definition = self._normalise_job(name, job, allow=_JOB_KEYS)
        tags = _str_map("Tags", job.get("Tags"))
        with flock(self.jobs_dir / ".lock"):
            path = self._job_file(name)
            if path.exists():
                raise LocalGlueError(ErrorCode.ALREADY_EXISTS, f"AlreadyExistsException: job {name!r} already exists")
            definition["CreatedOn"] = definition["LastModifiedOn"] = now()
            write_json(path, {"Job": definition, "Tags": tags})
        return {"name": name}

    def update_job(self, name: str, job_update: dict[str, Any]) -> dict[str, Any]:
        """Like AWS UpdateJob: the new definition replaces the old one entirely (tags and CreatedOn stay)."""
        allow = _JOB_KEYS - {"Name", "Tags"}
        definition = self._normalise_job(_check_name("job", name), job_update, allow=allow)
        with flock(self.jobs_dir / ".lock"):
            old = self._load_job_doc(name)
            definition["CreatedOn"] = old["Job"].get("CreatedOn", now())
            definition["LastModifiedOn"] = now()
            write_json(self._job_file(name), {"Job": definition, "Tags": old.get("Tags", {})})
        return {"name": name}

    def get_job(self, name: str) -> dict[str, Any]:
        return self._load_job_doc(name)["Job"]

    def job_tags(self, name: str) -> dict[str, str]:
        return dict(self._load_job_doc(name).get("Tags") or {})

    def set_job_tags(self, name: str, tags: dict[str, Any]) -> None:
        checked = _str_map("Tags", tags)
        with flock(self.jobs_dir / ".lock"):
            doc = self._load_job_doc(name)
            write_json(self._job_file(name), {**doc, "Tags": checked})

    def delete_job(self, name: str) -> dict[str, Any]:
        """Idempotent. Finished runs' history goes with the job; active runs finish on their own."""
        with flock(self.jobs_dir / ".lock"):
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
        with flock(self.runs_dir / job_name / ".lock"):
            active = self._active(job_name)
            if len(active) >= limit:
                raise LocalGlueError(ErrorCode.LIMIT_EXCEEDED,
                                     f"ConcurrentRunsExceededException: job {job_name!r} already has {len(active)} "
                                     f"active run(s) and MaxConcurrentRuns is {limit}")
            run_dir = RunDir(self.runs_dir / job_name / ("jr_" + secrets.token_hex(32)))
            run_dir.path.mkdir(parents=True)
            write_json(run_dir.file("job.json"), job)
            started = now()
            run = Run(id=run_dir.run_id, job_name=job_name, state="STARTING", started_on=started,
                      last_modified_on=started,
                      arguments=run_args, timeout_minutes=timeout, timeout_seconds=timeout_seconds,
                      command_name=job["Command"]["Name"], glue_version=job.get("GlueVersion"),
                      worker_type=job.get("WorkerType"), number_of_workers=job.get("NumberOfWorkers"),
                      max_capacity=job.get("MaxCapacity"))
            with flock(run_dir.file("run.lock")):  # nobody may judge the run before its supervisor PID is recorded
                run_dir.save(run)
                try:
                    supervisor = _spawn_supervisor(run_dir)
                    run.supervisor_pid, run.supervisor_identity = supervisor.pid, supervisor.to_doc()
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
        request_stop(run_dir)
        return {"state": settle(run_dir).state}

    def get_job_run_logs(self, job_name: str, run_id: str, tail_lines: int = 200) -> dict[str, Any]:
        self.get_job_run(job_name, run_id)
        run_dir = self._run_dir(job_name, run_id)
        return {"stdout": tail(run_dir.file("stdout.log"), tail_lines),
                "stderr": tail(run_dir.file("stderr.log"), tail_lines)}

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
        with flock(self.connections_dir / ".lock"):
            os.chmod(self.connections_dir, 0o700)  # the files hold passwords
            path = self._connection_file(name)
            if path.exists():
                raise LocalGlueError(ErrorCode.ALREADY_EXISTS,
                                     f"AlreadyExistsException: connection {name!r} already exists")
            doc["CreationTime"] = doc["LastUpdatedTime"] = now()
            write_json(path, {"Connection": doc}, mode=0o600)
        return {"name": name}

    def get_connection(self, name: str) -> dict[str, Any]:
        try:
            doc = read_json(self._connection_file(name))["Connection"]
        except FileNotFoundError:
            raise LocalGlueError(ErrorCode.NOT_FOUND,
                                 f"EntityNotFoundException: connection {name!r} does not exist") from None
        return redact_connection(doc)

    def connection_tags(self, name: str) -> dict[str, str]:
        try:
            return dict(read_json(self._connection_file(name)).get("Tags") or {})
        except FileNotFoundError:
            raise LocalGlueError(ErrorCode.NOT_FOUND,
                                 f"EntityNotFoundException: connection {name!r} does not exist") from None

    def set_connection_tags(self, name: str, tags: dict[str, Any]) -> None:
        checked = _str_map("Tags", tags)
        with flock(self.connections_dir / ".lock"):
            path = self._connection_file(name)
            try:
                doc = read_json(path)
            except FileNotFoundError:
                raise LocalGlueError(ErrorCode.NOT_FOUND,
                                     f"EntityNotFoundException: connection {name!r} does not exist") from None
            write_json(path, {**doc, "Tags": checked}, mode=0o600)

    def delete_connection(self, name: str) -> dict[str, Any]:
        with flock(self.connections_dir / ".lock"):
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
        stopping: list[tuple[RunDir, ProcessIdentity]] = []
        for run_dir in self.all_run_dirs():
            with contextlib.suppress(OSError, ValueError):
                if run_dir.load().state in ACTIVE_STATES:
                    process = request_stop(run_dir)
                    if process is not None:
                        stopping.append((run_dir, process))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(is_running(p) for _, p in stopping):
            time.sleep(0.05)
        for run_dir, process in stopping:
            signal_process(process, signal.SIGKILL)
            kill_run_processes(run_dir.run_id)
            wait_gone(process)
            settle(run_dir)
        return [f"{d.job_name}/{d.run_id}" for d, _ in stopping]


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


def _spawn_supervisor(run_dir: RunDir) -> ProcessIdentity:
    """A detached process in its own session, so the run outlives the MCP server.

    Identified before the reaper may collect it: a child that already exited is still a
    zombie then, so its identity is read and later judged not running.
    """
    with open(run_dir.file("supervisor.log"), "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", SUPERVISOR_MODULE, str(run_dir.path)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, RUN_ID_VARIABLE: run_dir.run_id}, cwd=run_dir.path,
                                start_new_session=True, close_fds=True)
    identity = identify(proc.pid) or ProcessIdentity(proc.pid, -1, boot_id())
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()  # no zombies in the server
    return identity


def active_runs(glue_dir: Path) -> list[str]:
    """`job/run_id` of the runs in progress under a sandbox's glue folder."""
    return LocalGlue(Path(glue_dir)).active_runs()


def stop_all_runs(glue_dir: Path) -> list[str]:
    """Stop every run in progress under a sandbox's glue folder; returns `job/run_id` of each."""
    return LocalGlue(Path(glue_dir)).stop_all_runs()
