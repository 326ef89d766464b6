"""`load.<table>`: one run of the table's Glue job, monitored until it ends.

Rows move inside the job, never through migrator. The job writes its counts to a
result object in S3, which becomes this resource's recorded attributes.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.mcp.facades import JobRun
from migrator.providers.base import ProviderContext, RunProvider
from migrator.runtime.lineage import ARG_LINEAGE
from migrator.state.model import ResourceState

#: what the load record keeps of the job's result; `writer` holds its batches, retries and throttles.
RESULT_FIELDS = ("rows_read", "items_written", "items_rejected", "rejected_by_reason", "duration_seconds", "writer")


class LoadProvider(RunProvider):
    kind = "load"
    computed = ("run_id", "state", *RESULT_FIELDS)

    async def create(self, node: Node, ctx: ProviderContext) -> dict[str, Any]:
        c = node.config
        glue, job = ctx.facades.glue, c["job"]
        for earlier in await glue.list_job_runs(job):
            if not earlier.done:  # left running by an apply that was interrupted: let it finish first
                ctx.report(node.address, f"waiting for run {earlier.run_id}, left by an interrupted apply")
                await self._wait(node, job, earlier.run_id, ctx)
        await ctx.facades.s3.delete_object(c["result_bucket"], c["result_key"])  # never read a stale result
        run_id = await glue.start_job_run(job, {f"--{ARG_LINEAGE}": ctx.lineage})
        ctx.report(node.address, f"job {job} run {run_id} started")
        run = await self._wait(node, job, run_id, ctx)
        if run.state != "SUCCEEDED":
            logs = await glue.get_job_run_logs(job, run_id, tail_lines=5)
            stderr = (logs.get("stderr") or "").strip().splitlines()
            detail = run.error_message or (stderr[-1] if stderr else "no error message")
            raise MigratorError(f"{node.address}: Glue job {job} run {run_id} ended {run.state}: {detail}",
                                hint=f"fix the cause and run apply again; logs: get_job_run_logs {job} {run_id}")
        raw = await ctx.facades.s3.get_object(c["result_bucket"], c["result_key"])
        if raw is None:
            raise MigratorError(f"{node.address}: the job succeeded but wrote no result to "
                                f"s3://{c['result_bucket']}/{c['result_key']}", hint="check the job's logs")
        result = json.loads(raw)
        return {"job": job, "run_id": run_id, "state": run.state, "view": c["view"], "table": c["table"],
                "result_bucket": c["result_bucket"], "result_key": c["result_key"],
                **{k: result.get(k) for k in RESULT_FIELDS}}

    async def _wait(self, node: Node, job: str, run_id: str, ctx: ProviderContext) -> JobRun:
        began, last_state = time.monotonic(), ""
        while True:
            run = await ctx.facades.glue.get_job_run(job, run_id)
            if run.state != last_state:
                ctx.report(node.address, f"{run.state.lower()} ({time.monotonic() - began:.0f}s)")
                last_state = run.state
            if run.done:
                return run
            await asyncio.sleep(ctx.settings.poll_seconds)

    async def delete(self, address: Address, prior: ResourceState, ctx: ProviderContext) -> None:
        """The result object goes; the items go with their table."""
        bucket, key = prior.attributes.get("result_bucket"), prior.attributes.get("result_key")
        if bucket and key:
            await ctx.facades.s3.delete_object(str(bucket), str(key))
