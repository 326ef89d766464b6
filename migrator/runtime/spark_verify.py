"""The full comparison on Spark (a glueetl job), for tables too large for one process.

Why it splits cleanly: the comparison's first pass only adds digests into per-bucket sums, and
sums of disjoint parts add up to the sum of the whole. So each Spark task takes one slice of
the view rows (the load's own `MOD(CRC32(key), n)` cut) and one segment of a parallel scan
(`Segment=i, TotalSegments=n`), and hands back its two sides (2 x 4,096 counts and sums) and
its counts; the driver adds them up. The slices of rows and the segments of items need not
line up: bucket sums do not care which task saw a key. Only when buckets disagree does a
second Spark pass run, in which every task returns the keys (with their items) of those
buckets only; the driver merges them and names the keys, as the Python shell comparison does
(runtime/verify.py, whose code every task runs). Rows and items never leave the tasks except
for the keys of disagreeing buckets.

Arguments: those of runtime/verify.py, plus `--partitions` (tasks; default 8).
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from migrator.runtime import aws
from migrator.runtime.connections import mysql_params
from migrator.runtime.lineage import ARG_LINEAGE
from migrator.runtime.job import job_main, one_line, put_doc, split_s3_uri
from migrator.runtime.source import select_sql, stream_rows
from migrator.runtime.spec import index_key_roles
from migrator.runtime.spark_load import glue_job, hash_predicates
from migrator.runtime.verify import (Item, RejectsLookup, Source, Stored, Tally, VerifyError, VerifyResult, Wanted,
                                     conclude, count_index, first_pass, gather, index_layout, job_sources, judge_keys,
                                     logs_lookup, presence_only)

ENGINE = "glueetl"
DEFAULT_PARTITIONS = 8
MAX_PARTITIONS = 10_000


def scan_segment(dynamodb: Any, table: str, segment: int, total: int) -> Iterator[Item]:
    """One segment of a consistent parallel scan."""
    start: Optional[Dict[str, Any]] = None
    while True:
        kwargs: Dict[str, Any] = {"TableName": table, "ConsistentRead": True}
        if total > 1:
            kwargs.update(Segment=segment, TotalSegments=total)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kwargs)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


class Part:
    """What one task reads: its slice of every view's rows and its segment of the table."""

    def __init__(self, index: int, total: int, table: str, key_names: Sequence[str], params: Mapping[str, Any],
                 dynamodb: Any = None, rows_of: Any = None) -> None:
        self.index, self.total, self.table = index, total, table
        self.predicate = hash_predicates(key_names, total)[index]
        self.params, self.dynamodb, self._rows_of = params, dynamodb, rows_of

    def rows(self, source: Source) -> Iterator[Mapping[str, Any]]:
        if self._rows_of is not None:   # tests: rows given, cut here as MySQL would
            return self._rows_of(source, self.index, self.total)
        sql = f"{select_sql(source.view, source.spec.names)} WHERE {self.predicate}"
        return stream_rows(self.params, sql)

    def items(self) -> Iterator[Item]:
        dynamodb = self.dynamodb if self.dynamodb is not None else aws.client("dynamodb")
        return scan_segment(dynamodb, self.table, self.index, self.total)


def tally_part(part: Part, sources: Sequence[Source], key_names: Sequence[str],
               layout: Mapping[str, Sequence[str]]) -> Tally:
    return first_pass(sources, part.rows, part.items, key_names, layout)


def gather_part(part: Part, sources: Sequence[Source], key_names: Sequence[str],
                buckets: Set[int]) -> Tuple[Wanted, Stored]:
    return gather(sources, part.rows, part.items, key_names, buckets)


def merge_gathered(parts: Sequence[Tuple[Wanted, Stored]]) -> Tuple[Wanted, Stored]:
    """One key's rows may sit in one task's slice and its item in another's segment."""
    want: Wanted = {}
    have: Stored = {}
    for part_want, part_have in parts:
        for key, items in part_want.items():
            want.setdefault(key, {}).update(items)
        have.update(part_have)
    return want, have


def partitions_arg(args: Mapping[str, str]) -> int:
    raw = args.get("partitions") or str(DEFAULT_PARTITIONS)
    try:
        n = int(raw)
    except ValueError:
        raise VerifyError(f"--partitions must be a whole number, got {raw!r}") from None
    if not 1 <= n <= MAX_PARTITIONS:
        raise VerifyError(f"--partitions must be between 1 and {MAX_PARTITIONS}, got {n}")
    return n


def guarded(index: int, work: Any) -> Tuple[Optional[str], Any]:
    """(None, what the task made) or (a one-line error, None): a task never raises, so a failure reaches
    the driver as one sentence instead of Spark's stack of Java and Python tracebacks."""
    try:
        return None, work()
    except Exception as exc:
        return f"task {index}: {one_line(exc)}", None


def results(outcomes: Sequence[Tuple[Optional[str], Any]]) -> List[Any]:
    """The tasks' results; the first failed task (by order) stops the comparison."""
    for error, _ in outcomes:
        if error is not None:
            raise VerifyError(error)
    return [value for _, value in outcomes]


def compare_on(run_tasks: Any, make_part: Any, sources: Sequence[Source], table: str, key_names: Sequence[str],
               layout: Mapping[str, Sequence[str]], index_counts: Mapping[str, int], total: int,
               rejects: Optional[RejectsLookup] = None) -> VerifyResult:
    """The two passes, each as `total` tasks run by `run_tasks(fn, total)` (Spark, or a loop); the
    missing keys are looked up in the loads' rejects logs (`rejects`) on the driver."""
    result = VerifyResult(table=table, presence_only=presence_only(sources))
    tally = Tally(covered=dict.fromkeys(layout, 0))
    for part_tally in results(run_tasks(
            lambda i: guarded(i, lambda: tally_part(make_part(i), sources, key_names, layout)), total)):
        tally.merge(part_tally)
    conclude(result, tally, index_counts)
    differing = tally.differing()
    result.buckets_differing = len(differing)
    if differing:
        gathered = results(run_tasks(
            lambda i: guarded(i, lambda: gather_part(make_part(i), sources, key_names, differing)), total))
        judge_keys(*merge_gathered(gathered), key_names, result, rejects)
    result.status = "succeeded"
    return result


def run_spark_verify(args: Mapping[str, str], *, spark: Any = None) -> Dict[str, Any]:
    started = time.monotonic()
    table, sources = job_sources(args)
    key_names = sources[0].spec.keys
    total = partitions_arg(args)
    dynamodb = aws.client("dynamodb")
    description = dynamodb.describe_table(TableName=table)["Table"]
    layout = index_layout(description)
    live = index_key_roles(description)
    sources = [s.with_index_keys(live) for s in sources]
    params = dict(mysql_params(args["connection_name"]))
    counts = {name: count_index(dynamodb, table, name) for name in layout}
    session_started = time.monotonic()
    if spark is None:
        from pyspark.sql import SparkSession  # only on the driver

        spark = SparkSession.builder.appName(f"migrator-verify-{table}").getOrCreate()
    job = glue_job(spark, args)
    session_seconds = round(time.monotonic() - session_started, 3)
    context = spark.sparkContext

    def run_tasks(fn: Any, n: int) -> List[Any]:
        return context.parallelize(range(n), n).map(fn).collect()

    uri = args["result_s3_uri"]
    bucket, _ = split_s3_uri(uri, error=VerifyError)
    s3 = aws.client("s3")
    result = compare_on(run_tasks, lambda i: Part(i, total, table, key_names, params), sources, table, key_names,
                        layout, counts, total, logs_lookup(s3, bucket, sources))
    if job is not None:
        job.commit()
    doc = {**result.to_doc(), "engine": ENGINE, "partitions": total, "session_seconds": session_seconds,
           "duration_seconds": round(time.monotonic() - started, 3)}
    put_doc(s3, uri, doc, args.get(ARG_LINEAGE) or "")
    return doc


def main(argv: Optional[Sequence[str]] = None) -> int:
    return job_main(argv, run_spark_verify, error_label="VerifyError")
