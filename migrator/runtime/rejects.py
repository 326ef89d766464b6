"""Rejected rows as an error log: one JSON line per rejected row, put to S3 when the load ends.

Why a log and not only counts: a person fixing the data needs the rows, by key, with what was
wrong. A line holds the row's key columns, the reason, the culprit attribute and a short
preview of its value (`preview`): enough to find and fix the row, never the whole row. The log
lives in the migration's own bucket, next to the result; the state and the report keep only
counts and keys.

Memory is bounded: at most `limit` lines are kept per writing process (a Spark partition has
its own log); past that, rejections are still counted (`dropped`) and the last line says how
many are not listed.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from migrator.runtime.items import RowRejected, iso_datetime

ARG_REJECTS = "rejects_s3_uri"
MAX_LOGGED = 10_000
PREVIEW_CHARS = 200


def preview(value: Any) -> Any:
    """A JSON-safe, short rendering of one value."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value)[:PREVIEW_CHARS // 2].hex()
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    text = str(value)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


def split_prefix(uri: str) -> Tuple[str, str]:
    """`s3://bucket/prefix/` -> (bucket, prefix)."""
    if not uri.startswith("s3://") or "/" not in uri[5:] or not uri.endswith("/") or uri[5:].startswith("/"):
        raise ValueError(f"--{ARG_REJECTS} must be an s3://bucket/prefix/ location ending in '/', got {uri!r}")
    bucket, prefix = uri[5:].split("/", 1)
    return bucket, prefix


class RejectLog:
    """The rejected rows of one writing process, in the order they were read."""

    def __init__(self, limit: int = MAX_LOGGED) -> None:
        self.limit = limit
        self.entries: List[Dict[str, Any]] = []
        self.dropped = 0
        self._lock = threading.Lock()

    def add(self, exc: RowRejected, row: Mapping[str, Any], key_names: Sequence[str]) -> None:
        with self._lock:
            if len(self.entries) >= self.limit:
                self.dropped += 1
                return
            self.entries.append({"reason": exc.reason, "attribute": exc.attribute, "detail": exc.detail,
                                 "key": {name: preview(row.get(name)) for name in key_names},
                                 "value": preview(row.get(exc.attribute)) if exc.attribute else None})

    def body(self) -> bytes:
        lines = [json.dumps(e, sort_keys=True, default=str) for e in self.entries]
        if self.dropped:
            lines.append(json.dumps({"dropped": self.dropped, "note": f"{self.dropped} more rejected rows are "
                                     f"counted but not listed (the log keeps {self.limit} per writer)"}))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def put(self, s3: Any, uri: Optional[str], part: str, metadata: Optional[Mapping[str, str]] = None
            ) -> Optional[str]:
        """Put the log as `<prefix><part>.jsonl` when there is anything in it; the key, or None.
        `metadata` carries the state's lineage, so `destroy` knows the object is migrator's."""
        if not uri or not (self.entries or self.dropped):
            return None
        bucket, prefix = split_prefix(uri)
        key = f"{prefix}{part}.jsonl"
        s3.put_object(Bucket=bucket, Key=key, Body=self.body(), ContentType="application/x-ndjson",
                      Metadata=dict(metadata or {}))
        return key
