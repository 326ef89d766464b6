"""The body of a load job: one MySQL view -> one DynamoDB table, counted and reported.

Run by the Glue job script (`sys.exit(main(sys.argv[1:]))`) with Glue's argv
(`--JOB_NAME x --connection_name c ...`); unknown arguments are ignored. Arguments:

  --connection_name  Glue connection holding the MySQL location and credentials
  --item_spec        the item mapping, one JSON document (spec.ItemSpec: view, table, keys,
                     attributes, write mode, version column); the key attributes of the table's
                     indexes are read from the table and marked index keys
  --result_s3_uri    optional: s3://bucket/key for the result JSON
  --migrator_lineage optional: the state lineage the result object is marked with (runtime.lineage)
  --fetch_size, --progress_every, --max_attempts   optional tuning (1000, 10000, 8)
  --writers          optional: threads sending the batches (default 8; 1 sends from the reading
                     thread, as a plain BatchWriter). The batches are the same for any count, and
                     a key's later row still wins; a throttled thread's backoff holds back the
                     others' next requests (writer.ParallelWriter)
  --max_items_per_second  optional write budget of this load, shared by all its writer threads
                     (a token bucket; re-sends spend it too); default unlimited
  --progress_s3_uri  optional: s3://bucket/prefix/ where the live figures go (runtime.progress),
                     every --progress_every_seconds (default 2)
  --rejects_s3_uri   optional: s3://bucket/prefix/ where the rejected rows go as a JSON-lines log
                     (runtime.rejects), put when the load ends, failed or not

Stdout gets one JSON progress line per `progress_every` rows and a final one; on failure
stderr's last line is `LoadError: <one sentence>` (the local Glue runtime's ErrorMessage)
and the exit status is 1. Rejected rows are counted by "<reason>:<attribute>"; up to 20
samples keep only the row's key columns, never the whole row. An item DynamoDB refuses
(ValidationException, for a cause items.py does not predict) is a rejected row too,
`item_refused`, isolated by the writer; the other items of its batch are written. When the
first writer.BREAKER_ITEMS items are all refused and none written, the request is at fault,
not the items: the load fails with DynamoDB's sentence. Each rejected row's log line carries
its item key's digest when its key maps (rejects.key_digest), which the checks look up.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Union

from migrator.runtime import aws
from migrator.runtime.connections import mysql_params
from migrator.runtime.faults import exit_after_rows
from migrator.runtime.lineage import ARG_LINEAGE, lineage_metadata
from migrator.runtime.decode import item_key
from migrator.runtime.items import ITEM_REFUSED, RowRejected, load_item, to_item
from migrator.runtime.job import JobError, int_arg, job_main, now, one_line, put_doc, rate_arg, split_s3_uri
from migrator.runtime.rejects import ARG_REJECTS, RejectLog, key_digest, preview
from migrator.runtime.rejects import split_prefix as split_rejects
from migrator.runtime.progress import ARG_PROGRESS, DEFAULT_EVERY_SECONDS, ProgressReporter, part_name, split_prefix
from migrator.runtime.source import select_sql, stream_rows
from migrator.runtime.spec import AttributeSpec, ItemSpec, SpecError, index_key_roles
from migrator.runtime.writer import (BatchWriter, Item, ParallelWriter, Refused, TokenBucket, Writer, key_row,
                                     put_condition)

ARG_CONNECTION = "connection_name"
ARG_SPEC = "item_spec"
ARG_RESULT = "result_s3_uri"
ARG_FETCH_SIZE = "fetch_size"
ARG_PROGRESS_EVERY = "progress_every"
ARG_MAX_ATTEMPTS = "max_attempts"
ARG_WRITERS = "writers"
ARG_MAX_RATE = "max_items_per_second"
ARG_PROGRESS_SECONDS = "progress_every_seconds"
DEFAULT_WRITERS = 8
MAX_WRITERS = 64
REQUIRED = (ARG_CONNECTION, ARG_SPEC)
MAX_SAMPLES = 20


class LoadError(JobError):
    """A load that cannot start or finish; the message is one sentence without secrets."""


@dataclass(frozen=True)
class LoadConfig:
    """The item spec (what the items are) and how this run moves them (where, how fast)."""

    connection_name: str
    spec: ItemSpec
    result_uri: Optional[str] = None
    fetch_size: int = 1000
    progress_every: int = 10_000
    max_attempts: int = 8
    lineage: str = ""
    writers: int = DEFAULT_WRITERS
    max_items_per_second: Optional[float] = None
    progress_uri: Optional[str] = None
    progress_every_seconds: float = DEFAULT_EVERY_SECONDS
    rejects_uri: Optional[str] = None

    @property
    def table(self) -> str:
        return self.spec.table

    @property
    def view(self) -> str:
        return self.spec.view

    @property
    def key_names(self) -> Sequence[str]:
        return self.spec.keys


@dataclass
class LoadResult:
    """What the load did; `to_doc()` is the result JSON put to S3."""

    rows_read: int = 0
    items_written: int = 0
    items_rejected: int = 0
    items_skipped: int = 0
    rejected_by_reason: Dict[str, int] = field(default_factory=dict)
    samples: List[Dict[str, Any]] = field(default_factory=list)
    rejects_logged: int = 0
    rejects_keys: List[str] = field(default_factory=list)
    rejects_error: Optional[str] = None
    duration_seconds: float = 0.0
    started_at: str = ""
    finished_at: str = ""
    status: str = "running"
    error: Optional[str] = None
    table: str = ""
    view: str = ""
    write_mode: str = "overwrite"
    writer: Dict[str, float] = field(default_factory=dict)

    def to_doc(self) -> Dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- arguments


def load_config(args: Mapping[str, str]) -> LoadConfig:
    """Check the job arguments and parse the item spec, once."""
    args = {k[2:] if k.startswith("--") else k: v for k, v in args.items()}
    missing = [f"--{name}" for name in REQUIRED if not args.get(name)]
    if missing:
        raise LoadError(f"missing job argument(s): {', '.join(missing)}")
    try:
        spec = ItemSpec.from_json(args[ARG_SPEC])
    except SpecError as exc:
        raise LoadError(f"--{ARG_SPEC}: {exc}") from None
    result = args.get(ARG_RESULT) or None
    if result is not None:
        split_s3_uri(result, ARG_RESULT, LoadError)
    progress = args.get(ARG_PROGRESS) or None
    rejects = args.get(ARG_REJECTS) or None
    try:
        if progress is not None:
            split_prefix(progress)
        if rejects is not None:
            split_rejects(rejects)
    except ValueError as exc:
        raise LoadError(str(exc)) from None
    return LoadConfig(connection_name=args[ARG_CONNECTION], spec=spec, result_uri=result,
                      fetch_size=int_arg(args, ARG_FETCH_SIZE, 1000, LoadError),
                      progress_every=int_arg(args, ARG_PROGRESS_EVERY, 10_000, LoadError),
                      max_attempts=int_arg(args, ARG_MAX_ATTEMPTS, 8, LoadError), lineage=args.get(ARG_LINEAGE) or "",
                      writers=_writers_arg(args), max_items_per_second=rate_arg(args, ARG_MAX_RATE, error=LoadError),
                      progress_uri=progress, rejects_uri=rejects,
                      progress_every_seconds=rate_arg(args, ARG_PROGRESS_SECONDS, "seconds", LoadError)
                      or DEFAULT_EVERY_SECONDS)


def _writers_arg(args: Mapping[str, str]) -> int:
    writers = int_arg(args, ARG_WRITERS, DEFAULT_WRITERS, LoadError)
    if writers > MAX_WRITERS:
        raise LoadError(f"--{ARG_WRITERS} must be at most {MAX_WRITERS}, got {writers}")
    return writers


def make_writer(dynamodb: Any, config: LoadConfig, on_refused: Optional[Refused] = None) -> Writer:
    """One BatchWriter for --writers 1, else a ParallelWriter; both spend the optional budget.
    `on_refused` takes the items DynamoDB refuses (Rejections.refused); without it they fail the load."""
    limiter = TokenBucket(config.max_items_per_second) if config.max_items_per_second else None
    condition = put_condition(config.spec.write_mode, config.key_names, config.spec.version_column)
    if config.writers == 1:
        return BatchWriter(dynamodb, config.table, key_names=config.key_names, max_attempts=config.max_attempts,
                           limiter=limiter, condition=condition, on_refused=on_refused)
    return ParallelWriter(dynamodb, config.table, writers=config.writers, key_names=config.key_names,
                          max_attempts=config.max_attempts, limiter=limiter, condition=condition,
                          on_refused=on_refused)


def index_key_names(client: Any, table: str) -> Set[str]:
    """The key attributes of the table's secondary indexes as the table is now (DescribeTable)."""
    return set(index_keys_of_table(client, table))


def index_keys_of_table(client: Any, table: str) -> Dict[str, str]:
    """The same, each with its role: HASH, or RANGE for a sort key of an index, which DynamoDB
    limits to 1,024 bytes (items.index_key_roles)."""
    return index_key_roles(client.describe_table(TableName=table)["Table"])


def with_index_keys(config: LoadConfig, index_keys: Union[Iterable[str], Mapping[str, str]]) -> LoadConfig:
    """The config with the live table's index keys marked (ItemSpec.with_index_keys)."""
    try:
        return replace(config, spec=config.spec.with_index_keys(index_keys))
    except SpecError as exc:
        raise LoadError(str(exc)) from None


# ----------------------------------------------------------------------------- rejections


def reason_key(exc: RowRejected) -> str:
    return f"{exc.reason}:{exc.attribute}" if exc.attribute else exc.reason


def record_rejection(result: LoadResult, exc: RowRejected, row: Mapping[str, Any],
                     key_names: Sequence[str], log: Optional[RejectLog] = None, digest: Optional[str] = None) -> None:
    result.items_rejected += 1
    if log is not None:
        log.add(exc, row, key_names, digest)
    key = reason_key(exc)
    result.rejected_by_reason[key] = result.rejected_by_reason.get(key, 0) + 1
    if len(result.samples) < MAX_SAMPLES:
        result.samples.append({"reason": exc.reason, "attribute": exc.attribute, "detail": exc.detail,
                               "key": {name: preview(row.get(name)) for name in key_names}})


class Rejections:
    """The rejected rows of one load (or Spark partition), counted in its result and logged.

    Why a lock: rows are rejected by the reading thread (items.py's checks) and by the writer
    threads (items DynamoDB refuses, `refused`), into the same counts, samples and log."""

    def __init__(self, result: LoadResult, key_names: Sequence[str], log: Optional[RejectLog] = None) -> None:
        self.result = result
        self.key_names = tuple(key_names)
        self.log = log
        self._lock = threading.Lock()

    def row(self, exc: RowRejected, row: Mapping[str, Any], digest: Optional[str] = None) -> None:
        """`digest`: the row's item key digest (rejects.key_digest), so the checks can find it."""
        with self._lock:
            record_rejection(self.result, exc, row, self.key_names, self.log, digest)

    def refused(self, item: Item, detail: str) -> None:
        """An item DynamoDB refused (writer.BatchWriter.on_refused): a rejected row, by its key."""
        self.row(RowRejected(ITEM_REFUSED, None, detail), key_row(item, self.key_names),
                 key_digest(item_key(item, self.key_names)))


def row_key_digest(row: Mapping[str, Any], specs: Sequence[AttributeSpec], key_names: Sequence[str]) -> Optional[str]:
    """The key digest of a rejected row's item, when its key attributes map (None when the key is
    what is wrong: then the checks' own mapping rejects the row too and never looks it up)."""
    try:
        return key_digest(item_key(to_item(row, [s for s in specs if s.name in key_names]), key_names))
    except (RowRejected, KeyError, ValueError):
        return None


# ----------------------------------------------------------------------------- the job


def progress_snapshot(result: LoadResult, writer: Writer) -> Dict[str, Any]:
    """The live figures (runtime.progress.COUNT_FIELDS) of one writer; read from another thread,
    so only counters are read, each once."""
    stats = writer.stats()
    return {"rows_read": result.rows_read, "items_written": stats["written"], "items_rejected": result.items_rejected,
            "items_skipped": stats["skipped"], "throttles": stats["throttles"], "retries": stats["retries"],
            "consumed_wcu": stats["consumed_wcu"]}


def _progress(result: LoadResult, writer: Writer, started: float, event: str = "progress") -> None:
    elapsed = time.monotonic() - started
    print(json.dumps({"event": event, "rows_read": result.rows_read, "items_written": writer.written,
                      "items_rejected": result.items_rejected, "items_skipped": writer.skipped,
                      "elapsed_seconds": round(elapsed, 3),
                      "rows_per_second": round(result.rows_read / elapsed, 1) if elapsed > 0 else None}),
          flush=True)


def copy_rows(rows: Iterable[Mapping[str, Any]], config: LoadConfig, writer: Writer, result: LoadResult,
              on_progress: Callable[[], None], rejections: Optional[Rejections] = None) -> None:
    """Convert and write every row; rejected rows are counted, never dropped silently. Give the
    `rejections` the writer hands refused items to, so both count into one result."""
    spec = config.spec
    rejections = rejections if rejections is not None else Rejections(result, spec.keys)
    for row in rows:
        result.rows_read += 1
        try:
            item = load_item(row, spec.attributes, spec.version_column)
        except RowRejected as exc:
            rejections.row(exc, row, row_key_digest(row, spec.attributes, spec.keys))
        else:
            writer.put(item)
        if result.rows_read % config.progress_every == 0:
            on_progress()
    writer.close()


def put_rejects(s3: Any, uri: Optional[str], log: RejectLog, result: LoadResult, part: str,
                lineage: str = "") -> None:
    """The error log of the rejected rows; a failure to write it is noted in the result, not fatal
    (the items are written and the rejections counted either way)."""
    try:
        key = log.put(s3, uri, part, lineage_metadata(lineage))
    except Exception as exc:
        result.rejects_error = f"the rejected rows could not be written to {uri}: {one_line(exc)}"
        return
    if key is not None:
        result.rejects_logged += len(log.entries)
        result.rejects_keys.append(key)


def run_load(args: Mapping[str, str], *, dynamodb: Any = None, s3: Any = None,
             rows: Optional[Callable[[LoadConfig], Iterator[Mapping[str, Any]]]] = None) -> LoadResult:
    """Resolve the connection, stream the view, write the items, put the result JSON to S3.

    On failure the result (status "failed", error) is still put to S3, then LoadError raised.
    The keyword arguments let tests and validation inject clients or a row source.
    """
    config = load_config(args)
    result = LoadResult(started_at=now(), table=config.table, view=config.view, write_mode=config.spec.write_mode)
    started = time.monotonic()
    dynamodb = dynamodb if dynamodb is not None else aws.client("dynamodb", connections=config.writers + 2)
    if s3 is None and (config.result_uri or config.progress_uri or config.rejects_uri):
        s3 = aws.client("s3")
    log = RejectLog()
    rejections = Rejections(result, config.key_names, log)
    writer = make_writer(dynamodb, config, rejections.refused)
    reporter = ProgressReporter(s3, config.progress_uri, lambda: progress_snapshot(result, writer),
                                every_seconds=config.progress_every_seconds,
                                metadata=lineage_metadata(config.lineage)).start()
    source: Optional[Iterator[Mapping[str, Any]]] = None
    try:
        config = with_index_keys(config, index_keys_of_table(dynamodb, config.table))
        source = rows(config) if rows is not None else stream_rows(
            mysql_params(config.connection_name), select_sql(config.view, config.spec.names),
            config.fetch_size)
        copy_rows(exit_after_rows(source, config.table, writer.flush), config, writer, result,
                  lambda: _progress(result, writer, started), rejections)
        result.status = "succeeded"
    except Exception as exc:
        result.status = "failed"
        result.error = one_line(exc)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()  # releases the MySQL connection at once, also after a failure
        writer.abort()  # after a failure: queued batches dropped, those in flight finished; counts final
        result.items_written = writer.written
        result.items_skipped = writer.skipped
        result.writer = writer.stats()
        result.finished_at = now()
        result.duration_seconds = round(time.monotonic() - started, 3)
        reporter.stop(progress_snapshot(result, writer))
    _progress(result, writer, started, event="finished")
    put_rejects(s3, config.rejects_uri, log, result, part_name(0), config.lineage)
    publish(s3, config, result.to_doc())
    return result


def publish(s3: Any, config: LoadConfig, doc: Mapping[str, Any]) -> None:
    """Put the result document, then fail if the load did: a failed load's counts are still put,
    and a succeeded load whose result cannot be put is a failure (apply reads nothing else)."""
    if config.result_uri:
        try:
            put_doc(s3, config.result_uri, doc, config.lineage)
        except Exception as exc:
            if doc.get("status") == "succeeded":
                raise LoadError(f"the load finished but its result could not be written to {config.result_uri}: "
                                f"{one_line(exc)}") from exc
    if doc.get("status") != "succeeded":
        raise LoadError(str(doc.get("error") or "the load failed"))


def main(argv: Optional[Sequence[str]] = None) -> int:
    return job_main(argv, lambda args: run_load(args).to_doc())


if __name__ == "__main__":
    sys.exit(main())
