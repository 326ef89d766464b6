"""`glue_job.<name>`: the load job definition (script in S3, run parameters as DefaultArguments)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.state.model import ResourceState

_FIELDS = ("Role", "Command", "DefaultArguments", "MaxCapacity", "WorkerType", "NumberOfWorkers", "Timeout",
           "ExecutionProperty", "Connections", "GlueVersion", "Description")


STOP_TIMEOUT_SECONDS = 120.0


class GlueJobProvider(Provider):
    kind = "glue_job"
    operations = uses(glue=("get_job", "create_job", "update_job", "delete_job", "list_job_runs", "get_job_run",
                            "stop_job_run"))
    #: what a load's items are is in the load's own inputs; a job change (engine, workers, writers,
    #: budget) only changes how the next run moves them, so a finished load is not run again for it
    reruns_dependants = False

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: config.get(k) for k in _FIELDS if config.get(k) is not None}
        if out.get("WorkerType"):  # AWS derives MaxCapacity from the workers and returns it too
            out.pop("MaxCapacity", None)
        if isinstance(out.get("MaxCapacity"), (int, float)):
            out["MaxCapacity"] = float(out["MaxCapacity"] or 0)
        return out

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        doc = await ctx.facades.glue.get_job(address.name)
        if doc is None:
            return None
        return {"Name": doc.get("Name", address.name), **self.comparable(doc)}

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        existing = await ctx.facades.glue.get_job(node.address.name)
        if existing is None:
            await ctx.facades.glue.create_job(dict(node.config))
        else:
            await ctx.facades.glue.update_job(node.address.name, {k: v for k, v in node.config.items()
                                                                  if k not in ("Name", "Tags")})
        return await self.read(node.address, node, None, ctx) or {}

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        """Runs still going (left by an interrupted apply) are stopped first: none may write after destroy."""
        glue = ctx.facades.glue
        if await glue.get_job(address.name) is None:
            return
        active = [r for r in await glue.list_job_runs(address.name) if not r.done]
        for run in active:
            await glue.stop_job_run(address.name, run.run_id)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while active:
            active = [r for r in [await glue.get_job_run(address.name, r.run_id) for r in active] if not r.done]
            if active and time.monotonic() > deadline:
                raise MigratorError(f"{address}: run {active[0].run_id} did not stop within "
                                    f"{STOP_TIMEOUT_SECONDS:.0f} s, so the job is kept",
                                    hint="stop the run in Glue and run destroy again")
            if active:
                await asyncio.sleep(ctx.settings.poll_seconds)
        await glue.delete_job(address.name)
