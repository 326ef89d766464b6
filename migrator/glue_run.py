"""One Glue job run from start to end: started with the state's lineage, polled until it ends
(stopped past a deadline, when there is one), why it failed, and the result document it wrote.

A load (`providers.load`) and `verify --full` (`compare.full`) both run jobs this way. A neutral
module (it needs only the facades), so both layers may import it: `validate` is below `providers`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from migrator.errors import MigratorError
from migrator.mcp.facades import S3, Glue, JobRun, failure_detail
from migrator.runtime.lineage import ARG_LINEAGE


class RunTimedOut(MigratorError):
    """The run did not end within its deadline; it was stopped."""


async def start_run(glue: Glue, job: str, lineage: str) -> str:
    """Start a run of `job`; it carries the state's lineage (what it writes is marked with it)."""
    return await glue.start_job_run(job, {f"--{ARG_LINEAGE}": lineage})


async def wait_for_run(glue: Glue, job: str, run_id: str, poll_seconds: float, *,
                       on_poll: Callable[[JobRun], Awaitable[None]] | None = None,
                       timeout_seconds: float | None = None) -> JobRun:
    """Poll the run until it ends; `on_poll` sees every poll (to report, to read progress). Past
    `timeout_seconds` the run is stopped and RunTimedOut raised."""
    began = time.monotonic()
    while True:
        run = await glue.get_job_run(job, run_id)
        if on_poll is not None:
            await on_poll(run)
        if run.done:
            return run
        if timeout_seconds is not None and time.monotonic() - began > timeout_seconds:
            await glue.stop_job_run(job, run_id)
            raise RunTimedOut(f"Glue job {job} run {run_id} did not end within {timeout_seconds:.0f} s")
        await asyncio.sleep(poll_seconds)


async def failure(glue: Glue, run: JobRun) -> str | None:
    """None for a run that succeeded, else why not (its error message, else its logs' last line)."""
    return None if run.state == "SUCCEEDED" else await failure_detail(glue, run)


async def read_result(s3: S3, bucket: str, key: str) -> dict[str, Any] | None:
    """The result document the job wrote, or None when it wrote none."""
    raw = await s3.get_object(bucket, key)
    return None if raw is None else dict(json.loads(raw))
