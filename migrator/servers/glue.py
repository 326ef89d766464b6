"""The built-in Glue MCP server: jobs, job runs, run logs and connections.

Two backends behind one set of tools. `GLUE_BACKEND=aws` (the default) passes each call
to AWS Glue with boto3; `GLUE_BACKEND=local` uses the local Glue runtime
(`migrator.servers.glue_local`) under `MIGRATOR_GLUE_LOCAL_DIR`, which really executes the jobs.
Requests and results keep AWS's shapes (CreateJob, JobUpdate, Job, JobRun,
ConnectionInput), so a caller never needs to know which backend answers. A connection's
password is never returned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from mcp.server.fastmcp import FastMCP

from migrator.errors import ConfigError
from migrator.protocol import ErrorCode, aws_error_code
from migrator.servers.common import ToolFailure, ToolServer, boto_client, classify_boto, register, run_stdio
from migrator.servers.glue_local import TERMINAL_STATES, LocalGlue, LocalGlueError, redact_connection

BACKENDS = ("aws", "local")
LOG_GROUPS = {"stdout": "/aws-glue/jobs/output", "stderr": "/aws-glue/jobs/error"}


class GlueBackend(Protocol):
    """What both backends implement; every method returns a JSON-able document."""

    def create_job(self, job: dict[str, Any]) -> dict[str, Any]: ...
    def update_job(self, name: str, job_update: dict[str, Any]) -> dict[str, Any]: ...
    def get_job(self, name: str) -> dict[str, Any]: ...
    def delete_job(self, name: str) -> dict[str, Any]: ...
    def list_jobs(self, next_token: str | None = None, max_results: int = 100) -> dict[str, Any]: ...
    def start_job_run(self, job_name: str, arguments: dict[str, Any] | None = None,
                      timeout_minutes: int | None = None) -> dict[str, Any]: ...
    def get_job_run(self, job_name: str, run_id: str) -> dict[str, Any]: ...
    def list_job_runs(self, job_name: str, next_token: str | None = None,
                      max_results: int = 100) -> dict[str, Any]: ...
    def stop_job_run(self, job_name: str, run_id: str) -> dict[str, Any]: ...
    def get_job_run_logs(self, job_name: str, run_id: str, tail_lines: int = 200) -> dict[str, Any]: ...
    def create_connection(self, connection: dict[str, Any]) -> dict[str, Any]: ...
    def get_connection(self, name: str) -> dict[str, Any]: ...
    def delete_connection(self, name: str) -> dict[str, Any]: ...
    def list_connections(self) -> dict[str, Any]: ...


def _without_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


class AwsGlue:
    """AWS Glue through boto3: a pass-through that reshapes answers into the tools' documents."""

    def __init__(self, glue: Any | None = None, logs: Any | None = None) -> None:
        self._glue = glue or boto_client("glue")
        self._logs = logs
        # CloudWatch Logs is only needed for get_job_run_logs: its client is made on first use.

    def create_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """Refuses an existing name itself: emulators (moto) silently overwrite the job instead."""
        name = job.get("Name") if isinstance(job, dict) else None
        if isinstance(name, str) and name and self._exists(name):
            raise ToolFailure(ErrorCode.ALREADY_EXISTS, f"AlreadyExistsException: job {name!r} already exists")
        return {"name": self._glue.create_job(**job)["Name"]}

    def _exists(self, name: str) -> bool:
        try:
            self._glue.get_job(JobName=name)
        except Exception as exc:
            if aws_error_code(exc) == "EntityNotFoundException":
                return False
            raise
        return True

    def update_job(self, name: str, job_update: dict[str, Any]) -> dict[str, Any]:
        return {"name": self._glue.update_job(JobName=name, JobUpdate=job_update)["JobName"]}

    def get_job(self, name: str) -> dict[str, Any]:
        return self._glue.get_job(JobName=name)["Job"]

    def delete_job(self, name: str) -> dict[str, Any]:
        """AWS DeleteJob succeeds for a missing job too; ask first so `deleted` tells the truth."""
        if not self._exists(name):
            return {"deleted": False}
        self._glue.delete_job(JobName=name)
        return {"deleted": True}

    def list_jobs(self, next_token: str | None = None, max_results: int = 100) -> dict[str, Any]:
        resp = self._glue.list_jobs(**_without_none(NextToken=next_token, MaxResults=max_results))
        return {"job_names": resp.get("JobNames", []), "next_token": resp.get("NextToken") or None}

    def start_job_run(self, job_name: str, arguments: dict[str, Any] | None = None,
                      timeout_minutes: int | None = None) -> dict[str, Any]:
        resp = self._glue.start_job_run(**_without_none(JobName=job_name, Arguments=arguments,
                                                        Timeout=timeout_minutes))
        return {"run_id": resp["JobRunId"]}

    def get_job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        return self._glue.get_job_run(JobName=job_name, RunId=run_id, PredecessorsIncluded=False)["JobRun"]

    def list_job_runs(self, job_name: str, next_token: str | None = None, max_results: int = 100) -> dict[str, Any]:
        resp = self._glue.get_job_runs(**_without_none(JobName=job_name, NextToken=next_token,
                                                       MaxResults=max_results))
        return {"job_runs": resp.get("JobRuns", []), "next_token": resp.get("NextToken") or None}

    def stop_job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        """BatchStopJobRun reports per-run errors in its answer: a finished run just reports its state."""
        resp = self._glue.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
        state = self.get_job_run(job_name, run_id)["JobRunState"]
        errors = resp.get("Errors") or []
        if errors and state not in TERMINAL_STATES:
            detail = errors[0].get("ErrorDetail", {})
            code = detail.get("ErrorCode", "")
            failure = classify(_client_error(code, detail.get("ErrorMessage", ""), "BatchStopJobRun"))
            raise failure or ToolFailure(ErrorCode.INVALID, f"{code}: {detail.get('ErrorMessage', '')}")
        return {"state": state}

    def get_job_run_logs(self, job_name: str, run_id: str, tail_lines: int = 200) -> dict[str, Any]:
        """Glue writes a run's output to CloudWatch streams named after the run id; missing means empty."""
        if self._logs is None:
            self._logs = boto_client("logs")
        return {key: self._tail(self._logs, group, run_id, tail_lines) for key, group in LOG_GROUPS.items()}

    @staticmethod
    def _tail(logs: Any, group: str, stream: str, lines: int) -> str:
        if lines <= 0:
            return ""
        try:
            resp = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=min(lines, 10000),
                                             startFromHead=False)
        except Exception as exc:
            if aws_error_code(exc) == "ResourceNotFoundException":
                return ""
            raise
        return "\n".join(event.get("message", "").rstrip("\n") for event in resp.get("events", []))

    def create_connection(self, connection: dict[str, Any]) -> dict[str, Any]:
        self._glue.create_connection(ConnectionInput=connection)
        return {"name": connection.get("Name")}

    def get_connection(self, name: str) -> dict[str, Any]:
        return redact_connection(self._glue.get_connection(Name=name, HidePassword=True)["Connection"])

    def delete_connection(self, name: str) -> dict[str, Any]:
        try:
            self._glue.delete_connection(ConnectionName=name)
        except Exception as exc:
            if aws_error_code(exc) == "EntityNotFoundException":
                return {"deleted": False}
            raise
        return {"deleted": True}

    def list_connections(self) -> dict[str, Any]:
        connections: list[dict[str, Any]] = []
        for page in self._glue.get_paginator("get_connections").paginate(HidePassword=True):
            connections += [redact_connection(c) for c in page.get("ConnectionList", [])]
        return {"connections": connections}


def _client_error(code: str, message: str, operation: str) -> BaseException:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                       operation)


def classify(exc: BaseException) -> ToolFailure | None:
    """Local runtime refusals carry their code; boto errors go through the shared mapping."""
    if isinstance(exc, LocalGlueError):
        return ToolFailure(exc.code, exc.message)
    return classify_boto(exc)


def make_backend(env: Mapping[str, str]) -> GlueBackend:
    """The backend GLUE_BACKEND names; a misconfiguration stops the server at start with a sentence."""
    kind = (env.get("GLUE_BACKEND") or "aws").strip().lower()
    if kind == "aws":
        return AwsGlue()
    if kind == "local":
        folder = env.get("MIGRATOR_GLUE_LOCAL_DIR")
        if not folder:
            raise ConfigError("GLUE_BACKEND=local needs MIGRATOR_GLUE_LOCAL_DIR",
                              hint="set it to the folder that keeps the local Glue jobs and runs "
                                   "(the sandbox's glue/ folder)")
        root = Path(folder).expanduser()
        root.mkdir(parents=True, exist_ok=True)
        return LocalGlue(root)
    raise ConfigError(f"GLUE_BACKEND={kind!r} is not a Glue backend", hint="use one of " + ", ".join(BACKENDS))


def _tools(backend: GlueBackend) -> list[tuple[Callable[..., Any], bool, bool]]:
    """(tool, read_only, idempotent) for every tool; the bodies only delegate."""

    def create_job(job: dict[str, Any]) -> dict[str, Any]:
        """Create a Glue job from an AWS CreateJob request (Name, Role, Command{Name: glueetl|pythonshell,
        ScriptLocation s3://..., PythonVersion}, DefaultArguments, GlueVersion, WorkerType, NumberOfWorkers,
        MaxCapacity, Timeout in minutes, ExecutionProperty{MaxConcurrentRuns}, Connections, Tags, Description).
        Returns {name}; an existing name is `already_exists`."""
        return backend.create_job(job)

    def update_job(name: str, job_update: dict[str, Any]) -> dict[str, Any]:
        """Replace a job's definition with an AWS JobUpdate document (like AWS, fields left out are reset).
        Returns {name}; `not_found` if the job does not exist."""
        return backend.update_job(name, job_update)

    def get_job(name: str) -> dict[str, Any]:
        """A job definition in AWS's Job shape; `not_found` if it does not exist."""
        return backend.get_job(name)

    def delete_job(name: str) -> dict[str, Any]:
        """Delete a job. Idempotent: {deleted: false} when there was none."""
        return backend.delete_job(name)

    def list_jobs(next_token: str | None = None, max_results: int = 100) -> dict[str, Any]:
        """Job names, one page at a time: {job_names, next_token} (next_token null on the last page)."""
        return backend.list_jobs(next_token, max_results)

    def start_job_run(job_name: str, arguments: dict[str, Any] | None = None,
                      timeout_minutes: int | None = None) -> dict[str, Any]:
        """Start a run. `arguments` ("--key": "value") override the job's DefaultArguments for this run;
        `timeout_minutes` overrides its Timeout. Returns {run_id}; `limit_exceeded` when MaxConcurrentRuns
        runs are already active. Local backend only: the argument --migrator-timeout-seconds N sets a
        timeout in seconds (for tests)."""
        return backend.start_job_run(job_name, arguments, timeout_minutes)

    def get_job_run(job_name: str, run_id: str) -> dict[str, Any]:
        """A run in AWS's JobRun shape: Id, JobName, JobRunState (STARTING, RUNNING, STOPPING, STOPPED,
        SUCCEEDED, FAILED, TIMEOUT, ERROR), StartedOn, CompletedOn, ExecutionTime, ErrorMessage, Arguments,
        Timeout, Attempt."""
        return backend.get_job_run(job_name, run_id)

    def list_job_runs(job_name: str, next_token: str | None = None, max_results: int = 100) -> dict[str, Any]:
        """A job's runs, newest first: {job_runs, next_token}."""
        return backend.list_job_runs(job_name, next_token, max_results)

    def stop_job_run(job_name: str, run_id: str) -> dict[str, Any]:
        """Ask a run to stop; returns {state} (STOPPING until it has stopped, or the final state if it had
        already finished)."""
        return backend.stop_job_run(job_name, run_id)

    def get_job_run_logs(job_name: str, run_id: str, tail_lines: int = 200) -> dict[str, Any]:
        """The last `tail_lines` lines of a run's output: {stdout, stderr} (empty strings when none yet)."""
        return backend.get_job_run_logs(job_name, run_id, tail_lines)

    def create_connection(connection: dict[str, Any]) -> dict[str, Any]:
        """Create a connection from an AWS ConnectionInput (ConnectionProperties may hold USERNAME, PASSWORD,
        JDBC_CONNECTION_URL). Returns {name}; `already_exists` if the name is taken."""
        return backend.create_connection(connection)

    def get_connection(name: str) -> dict[str, Any]:
        """A connection in AWS's Connection shape, never with its password."""
        return backend.get_connection(name)

    def delete_connection(name: str) -> dict[str, Any]:
        """Delete a connection. Idempotent: {deleted: false} when there was none."""
        return backend.delete_connection(name)

    def list_connections() -> dict[str, Any]:
        """Every connection, without passwords: {connections}."""
        return backend.list_connections()

    return [
        (create_job, False, False), (update_job, False, True), (get_job, True, True), (delete_job, False, True),
        (list_jobs, True, True), (start_job_run, False, False), (get_job_run, True, True),
        (list_job_runs, True, True), (stop_job_run, False, True), (get_job_run_logs, True, True),
        (create_connection, False, False), (get_connection, True, True), (delete_connection, False, True),
        (list_connections, True, True),
    ]


def build_server(env: Mapping[str, str] | None = None) -> FastMCP:
    backend = make_backend(os.environ if env is None else env)
    server = ToolServer("migrator-glue")
    for tool, read_only, idempotent in _tools(backend):
        register(server, tool, read_only=read_only, idempotent=idempotent, classify=classify)
    return server


def main() -> None:
    run_stdio(build_server())
