"""Adapter for the Glue role on the AWS Labs data-processing server, PyPI
`awslabs.aws-dataprocessing-mcp-server` 0.2.2 run with `--allow-write` (the workshop's server).

Its tools take an `operation` (`manage_aws_glue_jobs(operation="get-job", ...)`) and answer
with two text blocks: a sentence, then the data as JSON. Failures are `isError` with a text
(`Error in manage_aws_glue_jobs_and_runs: An error occurred (EntityNotFoundException) ...`,
`Cannot delete job X - it is not managed by the MCP server`, `... is not allowed without write
access`), which this adapter maps onto error codes. What it is like, measured:

- `start-job-run` with arguments fails (the server hands them to boto3 as a JSON string), so the
  run's arguments are written into the job's `DefaultArguments` (`update-job`), the run starts
  without any, and the definition is put back; a job runs one at a time (MaxConcurrentRuns 1);
- it updates and deletes only jobs and connections it created (tag `ManagedBy`), which are the
  ones migrator creates through it; a job it did not create is `access_denied`, with the fix;
- without `--allow-sensitive-data-access` it hides a run's `ErrorMessage` and `Arguments`: a
  failed run then says so instead of why;
- it has no tool for a run's logs (`get_job_run_logs` is unsupported: see the job in the Glue
  console or CloudWatch).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, ClassVar

from migrator.mcp.adapters.awslabs_dataprocessing.answers import recognise
from migrator.mcp.adapters.base import Adapter
from migrator.mcp.client import CallOptions
from migrator.mcp.errors import ToolError
from migrator.mcp.facades import JobRun
from migrator.protocol import ErrorCode

MEASURED_VERSION = "0.2.2"
JOBS, CONNECTIONS = "manage_aws_glue_jobs", "manage_aws_glue_connections"
HIDDEN = ("the run's error message is hidden: the data-processing server runs without "
          "--allow-sensitive-data-access")


def _run(name: str, doc: Mapping[str, Any]) -> JobRun:
    state = str(doc.get("JobRunState") or "")
    message = doc.get("ErrorMessage")
    if state in ("FAILED", "ERROR") and not message:   # a TIMEOUT may rightly have none
        message = HIDDEN
    return JobRun(job_name=name, run_id=str(doc.get("Id") or ""), state=state, error_message=message)


class AwsLabsDataProcessingGlue(Adapter):
    role = "glue"
    name = "awslabs_dataprocessing"
    _JOB_OPS = ("list_jobs", "create_job", "update_job", "get_job", "delete_job", "start_job_run", "get_job_run",
                "list_job_runs", "stop_job_run")
    _CONNECTION_OPS = ("create_connection", "get_connection", "delete_connection")
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {
        **dict.fromkeys(_JOB_OPS, (JOBS,)), **dict.fromkeys(_CONNECTION_OPS, (CONNECTIONS,))}
    unsupported: ClassVar[dict[str, str]] = {
        "get_job_run_logs": "awslabs.aws-dataprocessing-mcp-server has no tool for a run's logs; a failed load "
                            "names its state (and its error with --allow-sensitive-data-access), the logs are in "
                            "CloudWatch"}

    def diagnose(self, server_info: dict[str, Any], tools: set[str]) -> list[str]:
        return [] if "upload_to_s3" in tools else [
            "the server lists no upload_to_s3: it runs without --allow-write, so it cannot create or run jobs"]

    async def _call(self, tool: str, arguments: dict[str, Any] | None = None, *, timeout: float = 60.0,
                    idempotent: bool = True) -> Any:
        args = {k: v for k, v in (arguments or {}).items() if v is not None}
        return await self.hub.call(self.server, tool, args, recognise,
                                   CallOptions(timeout=timeout, idempotent=idempotent))

    async def _jobs(self, operation: str, **arguments: Any) -> dict[str, Any]:
        mutating = operation not in ("get-job", "get-jobs", "get-job-run", "get-job-runs")
        return dict(await self._call(JOBS, {"operation": operation, **arguments}, idempotent=not mutating))

    # ------------------------------------------------------------------ jobs

    async def list_jobs(self) -> list[str]:
        names: list[str] = []
        token: str | None = None
        while True:
            d = await self._jobs("get-jobs", next_token=token)
            names += [str(j["Name"]) for j in d.get("jobs") or ()]
            token = d.get("next_token")
            if not token:
                return names

    async def create_job(self, job: Mapping[str, Any]) -> None:
        definition = {k: v for k, v in job.items() if k != "Name"}
        await self._jobs("create-job", job_name=job["Name"], job_definition=definition)

    async def update_job(self, name: str, job_update: Mapping[str, Any]) -> None:
        await self._jobs("update-job", job_name=name, job_definition=dict(job_update))

    async def get_job(self, name: str) -> dict[str, Any] | None:
        try:
            return dict((await self._jobs("get-job", job_name=name)).get("job_details") or {})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def delete_job(self, name: str) -> bool:
        """Idempotent: the server calls a missing job "not managed", so absence is read first."""
        if await self.get_job(name) is None:
            return False
        await self._jobs("delete-job", job_name=name)
        return True

    async def start_job_run(self, name: str, arguments: Mapping[str, str] | None = None) -> str:
        """Run arguments travel in the job's DefaultArguments (the server cannot pass them): set for
        the start, then put back, so the job stays as planned (a run keeps the definition it started
        with, on Glue as on the local runtime)."""
        if not arguments:
            return str((await self._jobs("start-job-run", job_name=name))["job_run_id"])
        job = await self.get_job(name)
        if job is None:
            raise ToolError(ErrorCode.NOT_FOUND, f"Glue job '{name}' does not exist", server=self.server)
        planned = {k: v for k, v in job.items() if k in _UPDATABLE}
        if planned.get("WorkerType"):   # GetJob gives MaxCapacity too; UpdateJob refuses both at once
            planned.pop("MaxCapacity", None)
        await self.update_job(name, {**planned, "DefaultArguments": {
            **dict(job.get("DefaultArguments") or {}), **dict(arguments)}})
        try:
            run_id = str((await self._jobs("start-job-run", job_name=name))["job_run_id"])
        except ToolError:
            with contextlib.suppress(ToolError):   # the start's error is the one to report
                await self.update_job(name, planned)
            raise
        await self.update_job(name, planned)   # a failure here is reported: later runs would inherit these
        return run_id

    async def get_job_run(self, name: str, run_id: str) -> JobRun:
        d = await self._jobs("get-job-run", job_name=name, job_run_id=run_id)
        return _run(name, d.get("job_run_details") or {})

    async def list_job_runs(self, name: str) -> list[JobRun]:
        runs: list[JobRun] = []
        token: str | None = None
        while True:
            d = await self._jobs("get-job-runs", job_name=name, next_token=token)
            runs += [_run(name, r) for r in d.get("job_runs") or ()]
            token = d.get("next_token")
            if not token:
                return runs

    async def stop_job_run(self, name: str, run_id: str) -> str:
        await self._jobs("stop-job-run", job_name=name, job_run_id=run_id)
        return (await self.get_job_run(name, run_id)).state

    async def get_job_run_logs(self, name: str, run_id: str, tail_lines: int = 200) -> dict[str, str]:
        raise ToolError(ErrorCode.UNSUPPORTED, self.unsupported["get_job_run_logs"], server=self.server)

    # ------------------------------------------------------------------ connections

    async def create_connection(self, connection: Mapping[str, Any]) -> None:
        await self._call(CONNECTIONS, {"operation": "create-connection", "connection_name": connection["Name"],
                                       "connection_input": dict(connection)}, idempotent=False)

    async def get_connection(self, name: str) -> dict[str, Any] | None:
        try:
            d = await self._call(CONNECTIONS, {"operation": "get-connection", "connection_name": name,
                                               "hide_password": True})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise
        d = dict(d)
        props = d.get("connection_properties")
        return {"Name": d.get("connection_name", name), "ConnectionType": d.get("connection_type"),
                "ConnectionProperties": {k: v for k, v in dict(props or {}).items() if k != "PASSWORD"}}

    async def delete_connection(self, name: str) -> bool:
        if await self.get_connection(name) is None:
            return False
        await self._call(CONNECTIONS, {"operation": "delete-connection", "connection_name": name}, idempotent=False)
        return True


#: the parts of a GetJob answer that UpdateJob's JobUpdate takes
_UPDATABLE = frozenset({
    "Description", "LogUri", "Role", "ExecutionProperty", "Command", "DefaultArguments", "NonOverridableArguments",
    "Connections", "MaxRetries", "Timeout", "MaxCapacity", "WorkerType", "NumberOfWorkers", "SecurityConfiguration",
    "NotificationProperty", "GlueVersion", "ExecutionClass", "JobMode", "JobRunQueuingEnabled"})
