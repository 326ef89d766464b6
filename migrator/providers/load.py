"""`load.<table>`: one run of the table's Glue job, monitored until it ends.

Rows move inside the job, never through migrator. While it runs, the job's writers put
their figures under the load's progress prefix in S3 (runtime/progress.py); this provider
sums them every `PROGRESS_SECONDS` and hands them to the progress hook. At the end the job
writes its counts to a result object in S3, which becomes this resource's recorded attributes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from migrator.budget import RejectBudget
from migrator.node_configs import LoadOutputs, LoadRun
from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.glue_run import failure, read_result, start_run, wait_for_run
from migrator.mcp.facades import JobRun
from migrator.providers.base import ApplyContext, RunProvider, uses
from migrator.providers.capacity import restore
from migrator.runtime.progress import merge_progress
from migrator.state.model import ResourceState

#: what the load record keeps of the job's result; `writer` holds its batches, retries, throttles
#: and consumed capacity.
RESULT_FIELDS = ("rows_read", "items_written", "items_rejected", "items_skipped", "rejected_by_reason",
                 "duration_seconds", "writer", "engine", "partitions", "partition_column", "session_seconds", "samples",
                 "rejects_logged", "rejects_error")
#: sample keys an over-budget load names in its sentence, each cut to KEY_CHARS characters (a key of a
#: key_too_long row is up to 2 KB): the sentence is the record's `error` and stays short
SHOWN_KEYS = 3
KEY_CHARS = 100


class LoadFailed(MigratorError):
    """A load that ended without passing, with what it did: `result` is recorded (tainted) with its
    table and figures, so the report shows it under its table and the next apply runs it again.
    `finished`: every row was read and judged (over its rejection budget, or figures that do not add
    up), so what depends on the
    load (its table's check) still runs on the items it wrote; a run that stopped part way blocks them."""

    def __init__(self, message: str, result: dict[str, Any], *, hint: str, finished: bool) -> None:
        super().__init__(message, hint=hint)
        self.result = result
        self.finished = finished


def key_text(sample: Mapping[str, Any], limit: int = KEY_CHARS) -> str:
    """Pure: a sample's key as `PK=THING#4, SK=x`, at most `limit` characters (cut with `…`)."""
    key = sample.get("key")
    text = ", ".join(f"{k}={v}" for k, v in key.items()) if isinstance(key, Mapping) else "?"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def unaccounted(address: Address, figures: Mapping[str, Any]) -> str | None:
    """Pure: the sentence when the job's figures do not add up (written + rejected + skipped ≠ read),
    else None. Such a run cannot be trusted as done, whatever its budget says."""
    read, written, rejected, skipped = (int(figures.get(k) or 0) for k in ("rows_read", "items_written",
                                                                           "items_rejected", "items_skipped"))
    if written + rejected + skipped == read:
        return None
    return (f"{address}: the job's figures do not add up: {read:,} rows read but {written:,} written + "
            f"{rejected:,} rejected + {skipped:,} skipped = {written + rejected + skipped:,}")


def over_budget(address: Address, figures: Mapping[str, Any], budget: RejectBudget,
                location: str | None) -> tuple[str, str] | None:
    """Pure: (the sentence, what to do) when the load rejected more rows than its budget allows, else None."""
    read, rejected = int(figures.get("rows_read") or 0), int(figures.get("items_rejected") or 0)
    if budget.allows(rejected, read):
        return None
    raw = figures.get("rejected_by_reason")
    by_reason: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    reasons = ", ".join(f"{reason} {int(n):,}" for reason, n in
                        sorted(by_reason.items(), key=lambda kv: (-int(kv[1]), kv[0])))
    keys = "; ".join(key_text(s) for s in list(figures.get("samples") or ())[:SHOWN_KEYS] if isinstance(s, Mapping))
    message = (f"{address}: {rejected:,} of {read:,} rows rejected (over budget {budget.describe()})"
               + (f": {reasons}" if reasons else "") + (f"; e.g. {keys}" if keys else "")
               + (f"; every rejected row is listed in {location}" if location else ""))
    hint = (f"the other rows are loaded; fix those rows at the source or in the contract and apply again, or allow "
            f"them with {budget.advice(rejected, read)}")
    return message, hint


#: how often the progress objects are read while a run goes on
PROGRESS_SECONDS = 2.0
#: at most this many (elapsed seconds, rows read, items written) points are kept for the report's chart
TIMELINE_POINTS = 120


def thin(points: list[list[float]], limit: int = TIMELINE_POINTS) -> list[list[float]]:
    """Pure: at most `limit` points, evenly picked, the first and the last always kept."""
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def progress_figures(merged: Mapping[str, Any], rows_estimate: int | None, run_state: str) -> dict[str, Any]:
    """Pure: what a progress bar shows, from the summed progress objects and the row estimate.
    The ETA assumes the current rate holds; no estimate, no ETA."""
    rows = int(merged.get("rows_read") or 0)
    elapsed = float(merged.get("elapsed_seconds") or 0.0)
    rate = rows / elapsed if elapsed > 0 else None
    eta = None
    if rate and rows_estimate:
        eta = round(max(rows_estimate - rows, 0) / rate, 1)
    return {**{k: merged.get(k, 0) for k in ("rows_read", "items_written", "items_rejected", "items_skipped",
                                           "throttles", "retries", "consumed_wcu", "parts", "parts_done")},
            "elapsed_seconds": round(elapsed, 1), "rows_per_second": None if rate is None else round(rate, 1),
            "rows_estimate": rows_estimate, "eta_seconds": eta, "state": run_state}


class LoadProvider(RunProvider):
    kind = "load"
    operations = uses(glue=("start_job_run", "get_job_run", "list_job_runs", "get_job_run_logs"),
                  s3=("list_objects", "get_object", "delete_object"),
                  dynamodb=("describe_table", "update_table", "wait_for_table"))   # the capacity raise
    computed = ("run_id", "state", *RESULT_FIELDS, "timeline", "reject_budget", "finished", "within_budget")

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        c = LoadRun.from_config(node.config)
        glue, job = ctx.facades.glue, c.job
        for earlier in await glue.list_job_runs(job):
            if not earlier.done:  # left running by an apply that was interrupted: let it finish first
                ctx.report(node.address, f"waiting for run {earlier.run_id}, left by an interrupted apply")
                await self._wait(node, c, earlier.run_id, ctx)
        await ctx.facades.s3.delete_object(c.outputs.bucket, c.outputs.result_key)  # never read a stale result
        await self._clear_progress(c.outputs, ctx)
        units = node.notes.get("write_units")
        if units:
            await self._raise_capacity(node, c.table, int(units), ctx)
        timeline: list[list[float]] = []
        try:
            run_id = await start_run(glue, job, ctx.lineage)
            ctx.report(node.address, f"job {job} run {run_id} started")
            run = await self._wait(node, c, run_id, ctx, timeline=timeline)
        finally:
            if units:
                await ctx.capacity.release(ctx.facades.dynamodb, c.table, node.address,
                                           lambda message: ctx.report(node.address, message))
        budget = RejectBudget.from_notes(node.notes)
        record = {"job": job, "run_id": run_id, "state": run.state, "view": c.view, "table": c.table,
                  **c.outputs.fields(), "write_units_during_load": units, "timeline": thin(timeline), "reject_budget": budget.to_doc()}
        detail = await failure(glue, run)
        if detail is not None:
            message = f"{node.address}: Glue job {job} run {run_id} ended {run.state}: {detail}"
            partial = await self._partial_figures(c.outputs, ctx)
            raise LoadFailed(message, {**record, **partial, "finished": False, "error": message},
                             hint=f"fix the cause and run apply again; logs: get_job_run_logs {job} {run_id}",
                             finished=False)
        result = await read_result(ctx.facades.s3, c.outputs.bucket, c.outputs.result_key)
        if result is None:
            message = (f"{node.address}: the job succeeded but wrote no result to "
                       f"s3://{c.outputs.bucket}/{c.outputs.result_key}")
            partial = await self._partial_figures(c.outputs, ctx)
            raise LoadFailed(message, {**record, **partial, "finished": False, "error": message},
                             hint="check the job's logs", finished=False)
        figures = {k: result.get(k) for k in RESULT_FIELDS}
        duration = result.get("duration_seconds") or 0
        figures["rows_per_second"] = round(result.get("rows_read", 0) / duration, 1) if duration else None
        location = (f"s3://{c.outputs.bucket}/{c.outputs.rejects_prefix}"
                    if c.outputs.rejects_prefix and figures.get("rejects_logged") else None)
        mismatch = unaccounted(node.address, figures)
        if mismatch is not None:
            raise LoadFailed(mismatch, {**record, **figures, "finished": True,
                                        "within_budget": budget.allows(int(figures.get("items_rejected") or 0),
                                                                       int(figures.get("rows_read") or 0)),
                                        "error": mismatch},
                             hint=f"read the job's logs (get_job_run_logs {job} {run_id}); the next apply runs it "
                                  "again", finished=True)
        judged = over_budget(node.address, figures, budget, location)
        done = {**record, **figures, "finished": True, "within_budget": judged is None}
        if judged is not None:
            message, hint = judged
            raise LoadFailed(message, {**done, "error": f"{message}: {hint}"}, hint=hint, finished=True)
        return done

    async def _partial_figures(self, outputs: LoadOutputs, ctx: ApplyContext) -> dict[str, Any]:
        """What a run that stopped part way had done, from its writers' progress objects (nothing
        when they cannot be read: the failure itself is what matters)."""
        merged = await self._read_progress(outputs, ctx)
        if merged is None:
            return {}
        return {k: int(merged.get(k) or 0) for k in ("rows_read", "items_written", "items_rejected",
                                                     "items_skipped")}

    async def _raise_capacity(self, node: Node, table: str, units: int, ctx: ApplyContext) -> None:
        """Join the table's capacity lease; the base capacity is checkpointed in the state first."""
        async def checkpoint(attributes: Mapping[str, Any]) -> None:
            if ctx.checkpoint is not None:
                await ctx.checkpoint(node.address, {**attributes, "table": table})

        await ctx.capacity.acquire(ctx.facades.dynamodb, table, units, node.address, checkpoint,
                                   lambda message: ctx.report(node.address, message))

    async def _wait(self, node: Node, load: LoadRun, run_id: str, ctx: ApplyContext,
                    timeline: list[list[float]] | None = None) -> JobRun:
        """Poll the run to its end; with a `timeline`, read the progress too and keep its points."""
        watch = timeline is not None
        began, last_state, last_read = time.monotonic(), "", 0.0

        async def on_poll(run: JobRun) -> None:
            nonlocal last_state, last_read
            if run.state != last_state:
                ctx.report(node.address, f"{run.state.lower()} ({time.monotonic() - began:.0f}s)")
                last_state = run.state
            if watch and (run.done or time.monotonic() - last_read >= PROGRESS_SECONDS):
                last_read = time.monotonic()
                await self._report_progress(node, load.outputs, run.state, ctx, timeline)

        poll = min(ctx.settings.poll_seconds, PROGRESS_SECONDS) if watch else ctx.settings.poll_seconds
        return await wait_for_run(ctx.facades.glue, load.job, run_id, poll, on_poll=on_poll)

    async def _report_progress(self, node: Node, outputs: LoadOutputs, run_state: str, ctx: ApplyContext,
                               timeline: list[list[float]] | None = None) -> None:
        """Sum the writers' progress objects; none yet (the job is starting) reports nothing."""
        merged = await self._read_progress(outputs, ctx)
        if merged is not None:
            if timeline is not None:
                timeline.append([float(merged["elapsed_seconds"]), int(merged["rows_read"]),
                                 int(merged["items_written"])])
            ctx.progress(node.address, progress_figures(merged, node.notes.get("rows_estimate"), run_state))

    async def _read_progress(self, outputs: LoadOutputs, ctx: ApplyContext) -> dict[str, Any] | None:
        """The writers' progress objects summed; None when there are none yet or they cannot be read."""
        prefix = outputs.progress_prefix
        if not prefix:
            return None
        bucket = outputs.bucket
        try:
            objects = await ctx.facades.s3.list_objects(bucket, prefix)
            docs = {}
            for info in objects:
                raw = await ctx.facades.s3.get_object(bucket, info.key)
                if raw is not None:
                    docs[info.key] = json.loads(raw)
        except (MigratorError, ValueError):  # progress is for the operator: a miss is not a failure
            return None
        return merge_progress(docs) if docs else None

    async def _clear_progress(self, outputs: LoadOutputs, ctx: ApplyContext) -> None:
        """An earlier run's figures and rejected rows must not show as this run's."""
        for prefix in (outputs.progress_prefix, outputs.rejects_prefix):
            if prefix:
                for info in await ctx.facades.s3.list_objects(outputs.bucket, prefix):
                    await ctx.facades.s3.delete_object(outputs.bucket, info.key)

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        """The result and progress objects go; the items go with their table. A capacity raise an
        interrupted run recorded is put back, unless a load of this apply holds it again."""
        base = prior.attributes.get("capacity_restore")
        if isinstance(base, Mapping) and not ctx.capacity.held(str(base.get("table"))) \
                and Address("dynamodb_table", str(base.get("table"))) not in ctx.deleting \
                and await restore(ctx.facades.dynamodb, base):
            ctx.report(address, f"put back the write capacity an interrupted load left on {base['table']}")
        outputs = LoadOutputs.of(prior.attributes)
        if outputs is not None:
            await ctx.facades.s3.delete_object(outputs.bucket, outputs.result_key)
            await self._clear_progress(outputs, ctx)
