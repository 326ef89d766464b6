"""`migrator verify --full`: the full comparison, run as a transient Glue job per table.

Why transient: the comparison is on demand and read-only, so it leaves nothing behind. Its
script goes to S3 next to the loads' (marked with the state's lineage, so `destroy` removes it
if a run is interrupted), the job is created from the table's load job (same role, connection,
bundle), run, read back and deleted. The rows move inside the job (runtime/verify.py);
migrator only reads the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.compile.verify_jobs import FullJob
from migrator.errors import MigratorError
from migrator.glue_run import RunTimedOut, failure, read_result, start_run, wait_for_run
from migrator.mcp.facades import Facades
from migrator.runtime.lineage import lineage_metadata


async def run_full(facades: Facades, full: FullJob, lineage: str, poll_seconds: float = 1.0,
                   timeout_seconds: float = 24 * 3600) -> dict[str, Any]:
    """Run the comparison job to its end and return its result document; always clean up."""
    name = str(full.job["Name"])
    glue, s3 = facades.glue, facades.s3
    await s3.delete_object(full.bucket, full.result_key)
    await s3.put_object(full.bucket, full.script_key, full.script, "text/x-python", lineage_metadata(lineage))
    if await glue.get_job(name) is not None:
        await glue.delete_job(name)   # left by an interrupted verify
    await glue.create_job(full.job)
    try:
        run_id = await start_run(glue, name, lineage)
        try:
            run = await wait_for_run(glue, name, run_id, poll_seconds, timeout_seconds=timeout_seconds)
        except RunTimedOut:
            raise MigratorError(f"the full comparison of {full.table} did not end within {timeout_seconds:.0f} s",
                                hint="use --sample for a quicker check") from None
        detail = await failure(glue, run)
        if detail is not None:
            raise MigratorError(f"the full comparison of {full.table} (Glue job {name} run {run_id}) ended "
                                f"{run.state}: {detail}", hint="fix the cause and run verify --full again")
        result = await read_result(s3, full.bucket, full.result_key)
        if result is None:
            raise MigratorError(f"the full comparison of {full.table} wrote no result", hint="check the job's logs")
        return result
    finally:
        await glue.delete_job(name)
        await s3.delete_object(full.bucket, full.script_key)
        await s3.delete_object(full.bucket, full.result_key)


def full_lines(doc: Mapping[str, Any]) -> list[str]:
    """`Orders (full): 10,000 rows, ...` then one line per listed key and per index."""
    head = (f"{doc['table']} (full): {doc['rows']:,} rows ({doc['rejected']:,} rejected by the load's mapping), "
            f"{doc['expected_items']:,} expected items, {doc['table_items']:,} in the table")
    if doc.get("engine") == "glueetl":
        head += f" (compared on Spark in {doc.get('partitions')} tasks)"
    if doc.get("presence_only"):
        head += " (keys only: the load does not overwrite)"
    if doc.get("rejected_by_load"):
        head += f" ({doc['rejected_by_load']:,} rejected by the load, as its rejects log lists)"
    if doc.get("ok"):
        head += ": every item matches its row"
    elif doc.get("missing") or doc.get("extra") or doc.get("differing"):
        head += f": {doc['missing']:,} missing, {doc['extra']:,} extra, {doc['differing']:,} differing"
    lines = [head] + [f"  {p}" for p in (*(doc.get("row_problems") or ()), *(doc.get("notes") or ()))]
    for entry in doc.get("listed") or ():
        key = ", ".join(f"{k}={v}" for k, v in entry["key"].items())
        what = {"missing": "is missing", "extra": "is in the table but no row gives it",
                "differing": "differs from its row in " + ", ".join(entry.get("attributes") or ["?"])}[entry["kind"]]
        lines.append(f"  {doc['table']} item {key} {what}")
    listed = len(doc.get("listed") or ())
    if doc.get("missing", 0) + doc.get("extra", 0) + doc.get("differing", 0) > listed:
        lines.append(f"  ... ({listed} listed)")
    for index, counts in sorted((doc.get("indexes") or {}).items()):
        verdict = "covers every item that carries its keys" if counts["expected"] == counts["actual"] else \
            "does not match the items that carry its keys"
        lines.append(f"  index {index}: {counts['actual']:,} items, {counts['expected']:,} expected: {verdict}")
    return lines
