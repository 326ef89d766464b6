"""Live figures of a running load, put to S3 where `migrator apply` reads them.

Why S3 and not the job's log: S3 reads the same on AWS and in the local Glue runtime,
through any S3 MCP server, and a Spark job has many writers (one per partition) that
cannot share one log line. Each writer (the Python shell job, or one Spark partition)
owns one object `<progress prefix><part>.json` and overwrites it every `every_seconds`
from a daemon thread, so figures keep coming while a writer sleeps in a throttling
backoff. The client sums the objects under the prefix.

The document (PROGRESS_FIELDS, all counts since the writer started):
    {"part": "part-00003", "done": false, "updated_at": ISO-8601, "elapsed_seconds": 4.2,
     "rows_read": 1200, "items_written": 1175, "items_rejected": 0, "items_skipped": 0,
     "throttles": 0, "retries": 0, "consumed_wcu": 1175.0}
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

ARG_PROGRESS = "progress_s3_uri"
DEFAULT_EVERY_SECONDS = 2.0
COUNT_FIELDS = ("rows_read", "items_written", "items_rejected", "items_skipped", "throttles", "retries",
                "consumed_wcu")
PROGRESS_FIELDS = ("part", "done", "updated_at", "elapsed_seconds", *COUNT_FIELDS)


def part_name(index: int) -> str:
    return f"part-{index:05d}"


def split_prefix(uri: str) -> Tuple[str, str]:
    """`s3://bucket/prefix/` -> (bucket, prefix); the prefix ends with '/'."""
    if not uri.startswith("s3://") or "/" not in uri[5:] or not uri.endswith("/") or uri[5:].startswith("/"):
        raise ValueError(f"--{ARG_PROGRESS} must be an s3://bucket/prefix/ location ending in '/', got {uri!r}")
    bucket, prefix = uri[5:].split("/", 1)
    return bucket, prefix


def progress_doc(part: str, counts: Mapping[str, Any], elapsed: float, done: bool) -> Dict[str, Any]:
    doc: Dict[str, Any] = {"part": part, "done": done,
                           "updated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
                           "elapsed_seconds": round(elapsed, 3)}
    for name in COUNT_FIELDS:
        value = counts.get(name) or 0
        doc[name] = round(float(value), 1) if name == "consumed_wcu" else int(value)
    return doc


class ProgressReporter:
    """Puts `snapshot()` to S3 every `every_seconds` until `stop(final)` puts the last figures.

    A failed put is counted and forgotten: progress is for the operator, the load must not fail
    because of it (the result object, written at the end, is what counts)."""

    def __init__(self, s3: Any, uri: Optional[str], snapshot: Callable[[], Mapping[str, Any]], *,
                 part: str = "part-00000", every_seconds: float = DEFAULT_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic, metadata: Optional[Mapping[str, str]] = None) -> None:
        self._s3 = s3
        self._target = None if not uri else split_prefix(uri)
        self._snapshot = snapshot
        self._metadata = dict(metadata or {})   # the state's lineage: destroy removes what carries it
        self.part = part
        self._every = every_seconds
        self._clock = clock
        self._started = clock()
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self.puts = 0
        self.failed_puts = 0

    def start(self) -> ProgressReporter:
        if self._target is not None and self._thread is None:
            self._put(self._snapshot(), done=False)
            self._thread = threading.Thread(target=self._loop, name=f"progress-{self.part}", daemon=True)
            self._thread.start()
        return self

    def stop(self, final: Optional[Mapping[str, Any]] = None) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._target is not None:
            self._put(final if final is not None else self._snapshot(), done=True)

    def _loop(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                counts = self._snapshot()
            except Exception:  # a snapshot racing the writer's teardown: skip this tick
                continue
            self._put(counts, done=False)

    def _put(self, counts: Mapping[str, Any], done: bool) -> None:
        assert self._target is not None
        bucket, prefix = self._target
        body = json.dumps(progress_doc(self.part, counts, self._clock() - self._started, done),
                          sort_keys=True).encode("utf-8")
        with self._lock:  # the final put is never overtaken by a late periodic one
            try:
                self._s3.put_object(Bucket=bucket, Key=f"{prefix}{self.part}.json", Body=body,
                                    ContentType="application/json", Metadata=self._metadata)
                self.puts += 1
            except Exception:
                self.failed_puts += 1


def merge_progress(docs: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The sum over parts; `elapsed_seconds` is the longest, `parts`/`parts_done` count them."""
    total: Dict[str, Any] = dict.fromkeys(COUNT_FIELDS, 0)
    elapsed = 0.0
    done = 0
    for doc in docs.values():
        for name in COUNT_FIELDS:
            value = doc.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[name] += value
        if isinstance(doc.get("elapsed_seconds"), (int, float)):
            elapsed = max(elapsed, float(doc["elapsed_seconds"]))
        done += 1 if doc.get("done") is True else 0
    total["consumed_wcu"] = round(float(total["consumed_wcu"]), 1)
    total.update(elapsed_seconds=round(elapsed, 3), parts=len(docs), parts_done=done)
    return total
