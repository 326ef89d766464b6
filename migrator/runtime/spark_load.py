"""The body of a Spark (glueetl) load job: the view cut into partitions, one Spark task each.

Why tasks that read MySQL themselves instead of Spark's JDBC source: each task must map rows
with the very code the Python shell job uses (runtime.items via load.copy_rows, from one spec.ItemSpec) and write with
the same writers, budget and write modes; a task that streams its slice with pymysql does
exactly that, with flat memory, and needs no JDBC driver on the cluster. Spark distributes the
tasks (Glue's workers), retries a task whose executor died (puts are idempotent, and the
counts of a partition are those of its last attempt), and hands every partition's counts back
to the driver, which merges them into one result in the Python shell job's format.

Partitions:
- `--partition_column C` (an integer column of the view): MIN and MAX read once, the range cut
  into `--partitions` slices; the first also takes NULLs and everything below, the last
  everything above, so no row is lost or read twice whatever changed since MIN/MAX was read.
- otherwise: `MOD(CRC32(CONCAT_WS('|', <key columns>)), n)`, like Glue's hashfield.

`--max_items_per_second` is the whole load's budget: each task gets budget / partitions,
because tasks on different executors cannot share one token bucket.

`awsglue` is optional: on Glue the job is initialised and committed through it; the local
Glue runtime runs the same script on plain PySpark.

Credentials: the Glue connection is resolved once, on the driver; the task closures carry
them in memory to the executors (as Glue's own JDBC reads do) and nothing writes them down.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from migrator.runtime import aws
from migrator.runtime.connections import mysql_params
from migrator.runtime.job import int_arg, job_main, now, one_line
from migrator.runtime.load import (LoadConfig, LoadError, LoadResult, Rejections, copy_rows, index_keys_of_table,
                                   load_config, make_writer, progress_snapshot,
                                   publish, put_rejects, with_index_keys)
from migrator.runtime.progress import ProgressReporter, part_name
from migrator.runtime.lineage import lineage_metadata
from migrator.runtime.rejects import RejectLog
from migrator.runtime.source import connect, quote_identifier, select_sql, stream_rows

ARG_PARTITIONS = "partitions"
ARG_PARTITION_COLUMN = "partition_column"
DEFAULT_PARTITIONS = 4
MAX_PARTITIONS = 10_000
ENGINE = "glueetl"
COUNTS = ("rows_read", "items_written", "items_rejected", "items_skipped", "rejects_logged")


# ----------------------------------------------------------------------------- partitions


@dataclasses.dataclass(frozen=True)
class Slice:
    """Rows whose column is in [low, high) (None: unbounded), plus NULLs when `nulls`."""

    low: Optional[int]
    high: Optional[int]
    nulls: bool = False

    def holds(self, value: Optional[int]) -> bool:
        if value is None:
            return self.nulls
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)

    def sql(self, column: str) -> str:
        col = quote_identifier(column)
        parts = []
        if self.low is not None:
            parts.append(f"{col} >= {int(self.low)}")
        if self.high is not None:
            parts.append(f"{col} < {int(self.high)}")
        bounded = " AND ".join(parts) or "1 = 1"
        return f"({col} IS NULL OR {bounded})" if self.nulls else f"({bounded})"


def range_slices(low: Optional[int], high: Optional[int], n: int) -> List[Slice]:
    """`n` slices covering every integer and NULL exactly once; MIN/MAX only place the cuts."""
    if low is None or high is None or n <= 1 or high <= low:
        return [Slice(None, None, nulls=True)]
    n = min(n, high - low + 1)
    width = math.ceil((high - low + 1) / n)
    cuts = [low + i * width for i in range(1, n)]
    cuts = [c for c in cuts if c <= high]
    bounds: List[Optional[int]] = [None, *cuts, None]
    return [Slice(bounds[i], bounds[i + 1], nulls=(i == 0)) for i in range(len(bounds) - 1)]


def hash_predicates(key_names: Sequence[str], n: int) -> List[str]:
    cols = ", ".join(quote_identifier(k) for k in key_names)
    if n <= 1:
        return ["(1 = 1)"]
    return [f"(MOD(CRC32(CONCAT_WS('|', {cols})), {n}) = {i})" for i in range(n)]


def min_max(params: Mapping[str, Any], view: str, column: str) -> Tuple[Optional[int], Optional[int]]:
    conn = connect(params)
    try:
        with conn.cursor() as cur:
            col = quote_identifier(column)
            cur.execute(f"SELECT MIN({col}), MAX({col}) FROM ({select_sql(view, [column])}) AS v")
            low, high = cur.fetchone()
    finally:
        conn.close()
    for value in (low, high):
        if value is not None and not isinstance(value, int):
            raise LoadError(f"--{ARG_PARTITION_COLUMN} {column!r} must be an integer column of {view}, "
                            f"got values of type {type(value).__name__}")
    return low, high


def predicates(args: Mapping[str, str], config: LoadConfig, params: Mapping[str, Any]) -> Tuple[List[str], str]:
    """The WHERE predicate of each partition, and how they were cut (for the result)."""
    n = int_arg(args, ARG_PARTITIONS, DEFAULT_PARTITIONS, LoadError)
    if n > MAX_PARTITIONS:
        raise LoadError(f"--{ARG_PARTITIONS} must be at most {MAX_PARTITIONS}, got {n}")
    column = args.get(ARG_PARTITION_COLUMN) or ""
    if column:
        if column not in config.spec.names:
            raise LoadError(f"--{ARG_PARTITION_COLUMN} {column!r} is not an attribute of the item spec")
        low, high = min_max(params, config.view, column)
        return [s.sql(column) for s in range_slices(low, high, n)], column
    return hash_predicates(config.key_names, n), ""


# ----------------------------------------------------------------------------- one task


def load_partition(index: int, predicate: str, config: LoadConfig, params: Mapping[str, Any]) -> Dict[str, Any]:
    """Load one partition; never raises (the driver merges a failed partition's counts and error)."""
    result = LoadResult(started_at=now(), table=config.table, view=config.view, write_mode=config.spec.write_mode)
    started = time.monotonic()
    dynamodb = aws.client("dynamodb", connections=config.writers + 2)
    s3 = aws.client("s3") if (config.progress_uri or config.rejects_uri) else None
    log = RejectLog()
    rejections = Rejections(result, config.key_names, log)   # items DynamoDB refuses are rejected rows too
    writer = make_writer(dynamodb, config, rejections.refused)
    reporter = ProgressReporter(s3, config.progress_uri, lambda: progress_snapshot(result, writer),
                                part=part_name(index), every_seconds=config.progress_every_seconds,
                                metadata=lineage_metadata(config.lineage)).start()
    source: Optional[Iterator[Mapping[str, Any]]] = None
    try:
        sql = f"{select_sql(config.view, config.spec.names)} WHERE {predicate}"
        source = stream_rows(params, sql, config.fetch_size)
        copy_rows(source, config, writer, result, lambda: None, rejections)
        result.status = "succeeded"
    except Exception as exc:
        result.status = "failed"
        result.error = one_line(exc)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        writer.abort()
        result.items_written = writer.written
        result.items_skipped = writer.skipped
        result.writer = writer.stats()
        result.finished_at = now()
        result.duration_seconds = round(time.monotonic() - started, 3)
        reporter.stop(progress_snapshot(result, writer))
    put_rejects(s3, config.rejects_uri, log, result, part_name(index), config.lineage)
    return {**result.to_doc(), "partition": index}


# ----------------------------------------------------------------------------- the driver


def merge(parts: Sequence[Mapping[str, Any]], result: LoadResult) -> LoadResult:
    """Sum the partitions into `result`; the first failed partition (by index) gives the error."""
    ordered = sorted(parts, key=lambda p: int(p.get("partition", 0)))
    for part in ordered:
        for name in COUNTS:
            setattr(result, name, getattr(result, name) + int(part.get(name) or 0))
        for reason, count in (part.get("rejected_by_reason") or {}).items():
            result.rejected_by_reason[reason] = result.rejected_by_reason.get(reason, 0) + int(count)
        for name, value in (part.get("writer") or {}).items():
            result.writer[name] = round(result.writer.get(name, 0) + value, 1)
        room = 20 - len(result.samples)
        result.samples.extend(list(part.get("samples") or [])[:max(room, 0)])
        result.rejects_keys.extend(part.get("rejects_keys") or [])
        if part.get("rejects_error") and not result.rejects_error:
            result.rejects_error = part["rejects_error"]
    failed = [p for p in ordered if p.get("status") != "succeeded"]
    result.status = "failed" if failed else "succeeded"
    if failed:
        result.error = f"partition {failed[0].get('partition')}: {failed[0].get('error') or 'failed'}"
    return result


def glue_job(spark: Any, argv_args: Mapping[str, str]) -> Any:
    """awsglue's Job when the script runs on Glue (bookmarks, commit); None on plain PySpark."""
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
    except ImportError:
        return None
    job = Job(GlueContext(spark.sparkContext))
    job.init(argv_args.get("JOB_NAME") or "migrator-load", dict(argv_args))
    return job


def run_spark_load(args: Mapping[str, str], *, spark: Any = None) -> Dict[str, Any]:
    """Cut the view, load the partitions as Spark tasks, put the merged result to S3."""
    config = load_config(args)
    result = LoadResult(started_at=now(), table=config.table, view=config.view, write_mode=config.spec.write_mode)
    started = time.monotonic()
    extra: Dict[str, Any] = {"engine": ENGINE, "partitions": 0, "partition_column": None, "session_seconds": None}
    s3 = aws.client("s3") if config.result_uri else None
    try:
        dynamodb = aws.client("dynamodb")
        config = with_index_keys(config, index_keys_of_table(dynamodb, config.table))
        params = mysql_params(config.connection_name)
        cuts, column = predicates(args, config, params)
        if config.max_items_per_second:
            config = dataclasses.replace(config, max_items_per_second=config.max_items_per_second / len(cuts))
        extra.update(partitions=len(cuts), partition_column=column or None)
        session_started = time.monotonic()
        if spark is None:
            from pyspark.sql import SparkSession  # only on the driver: tasks need no Spark import

            spark = SparkSession.builder.appName(f"migrator-load-{config.table}").getOrCreate()
        job = glue_job(spark, args)
        extra["session_seconds"] = round(time.monotonic() - session_started, 3)
        task_config, task_params = config, dict(params)
        parts = spark.sparkContext.parallelize(list(enumerate(cuts)), len(cuts)).map(
            lambda ip: load_partition(ip[0], ip[1], task_config, task_params)).collect()
        merge(parts, result)
        if job is not None:
            job.commit()
    except Exception as exc:
        result.status = "failed"
        result.error = one_line(exc)
    result.finished_at = now()
    result.duration_seconds = round(time.monotonic() - started, 3)
    doc = {**result.to_doc(), **extra}
    publish(s3, config, doc)
    return doc


def main(argv: Optional[Sequence[str]] = None) -> int:
    return job_main(argv, run_spark_load)
