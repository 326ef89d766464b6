"""Rejected rows as an error log: one JSON line per rejected row, put to S3 when the load ends.

Why a log and not only counts: a person fixing the data needs the rows, by key, with what was
wrong. A line holds the row's key columns, the reason, the culprit attribute and a short
preview of its value (`preview`): enough to find and fix the row, never the whole row. The log
lives in the migration's own bucket, next to the result; the state and the report keep only
counts and keys.

Memory is bounded: at most `limit` lines are kept per writing process (a Spark partition has
its own log); past that, rejections are still counted (`dropped`) and the last line says how
many are not listed.

The log is also how the checks tell a rejected row from a lost item: a line whose row's key
maps carries `key_digest`, a digest of the item's key as the mapping makes it (`key_digest`).
Beside each log object a digests-only object (`<part>.keys`: one line per logged row, its digest
or null, and the dropped count) is what the checks read, so no value of a row reaches migrator
(data never flows through the client). The sample compare and the full verify digest the keys
of the items they miss the same way and look them up (`scan_log`), keeping only those digests
in memory. While no writer dropped lines the log is complete, so a missing item whose key it
does not list was lost, not rejected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from migrator.runtime.items import RowRejected, iso_datetime

ARG_REJECTS = "rejects_s3_uri"
MAX_LOGGED = 10_000
PREVIEW_CHARS = 200
KEY_DIGEST = "key_digest"
LOG_SUFFIX = ".jsonl"
KEYS_SUFFIX = ".keys"      # the digests-only object beside each log object


def key_digest(key: Sequence[Any]) -> str:
    """A digest of an item's key (`decode.item_key`: str, Decimal or bytes per attribute), equal for
    keys DynamoDB treats as equal (N 1.0 == 1). Why a digest and not the key: exact whatever the
    key's length (a preview is cut at PREVIEW_CHARS), 32 characters a line, and no value in it."""
    parts: List[List[str]] = []
    for value in key:
        if isinstance(value, Decimal):
            parts.append(["N", format(value.normalize(), "f")])
        elif isinstance(value, (bytes, bytearray, memoryview)):
            parts.append(["B", bytes(value).hex()])
        elif isinstance(value, str):
            parts.append(["S", value])
        else:
            parts.append(["?", str(value)])
    text = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


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

    def add(self, exc: RowRejected, row: Mapping[str, Any], key_names: Sequence[str],
            digest: Optional[str] = None) -> None:
        """`digest`: the `key_digest` of the row's item key, when the row's key maps."""
        with self._lock:
            if len(self.entries) >= self.limit:
                self.dropped += 1
                return
            entry = {"reason": exc.reason, "attribute": exc.attribute, "detail": exc.detail,
                     "key": {name: preview(row.get(name)) for name in key_names},
                     "value": preview(row.get(exc.attribute)) if exc.attribute else None}
            if digest is not None:
                entry[KEY_DIGEST] = digest
            self.entries.append(entry)

    def body(self) -> bytes:
        lines = [json.dumps(e, sort_keys=True, default=str) for e in self.entries]
        if self.dropped:
            lines.append(json.dumps({"dropped": self.dropped, "note": f"{self.dropped} more rejected rows are "
                                     f"counted but not listed (the log keeps {self.limit} per writer)"}))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def keys_body(self) -> bytes:
        """The digests-only twin of `body`: what the checks read (no value of a row in it)."""
        lines = [json.dumps({KEY_DIGEST: e.get(KEY_DIGEST)}) for e in self.entries]
        if self.dropped:
            lines.append(json.dumps({"dropped": self.dropped}))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def put(self, s3: Any, uri: Optional[str], part: str, metadata: Optional[Mapping[str, str]] = None
            ) -> Optional[str]:
        """Put the log as `<prefix><part>.jsonl` and its digests as `<prefix><part>.keys` when there is
        anything in it; the log's key, or None. `metadata` carries the state's lineage, so `destroy`
        knows the objects are migrator's. The digests go first: a log without them would read as
        complete to nobody (the checks count what they cannot find as unlisted)."""
        if not uri or not (self.entries or self.dropped):
            return None
        bucket, prefix = split_prefix(uri)
        s3.put_object(Bucket=bucket, Key=f"{prefix}{part}{KEYS_SUFFIX}", Body=self.keys_body(),
                      ContentType="application/x-ndjson", Metadata=dict(metadata or {}))
        key = f"{prefix}{part}{LOG_SUFFIX}"
        s3.put_object(Bucket=bucket, Key=key, Body=self.body(), ContentType="application/x-ndjson",
                      Metadata=dict(metadata or {}))
        return key


# ----------------------------------------------------------------------------- reading the log back


@dataclass
class LogScan:
    """What the logs of one load say about some wanted keys: which of them they list, how many
    rejected rows they list in all, and how many they counted without listing them."""

    found: Set[str] = field(default_factory=set)   # digests of the wanted keys the logs list
    listed: int = 0                                 # lines naming a rejected row
    unlisted: int = 0                               # rows counted past a writer's limit (or unreadable lines)

    def add(self, other: LogScan) -> LogScan:
        self.found |= other.found
        self.listed += other.listed
        self.unlisted += other.unlisted
        return self


def _lines(body: Union[bytes, str]) -> Iterator[str]:
    text = body.decode("utf-8", errors="replace") if isinstance(body, (bytes, bytearray)) else body
    return (line for line in text.splitlines() if line.strip())


def scan_log(body: Union[bytes, str], wanted: Set[str], into: Optional[LogScan] = None) -> LogScan:
    """Add one log object (JSON lines, as `RejectLog.body` writes) to `into`: only the digests in
    `wanted` are kept, so memory does not grow with the log. A line that cannot be read counts as
    unlisted: it may have named any key."""
    scan = into if into is not None else LogScan()
    for line in _lines(body):
        try:
            entry = json.loads(line)
        except ValueError:
            scan.unlisted += 1
            continue
        if not isinstance(entry, Mapping):
            scan.unlisted += 1
        elif "dropped" in entry and "reason" not in entry:
            scan.unlisted += int(entry.get("dropped") or 0)
        else:
            scan.listed += 1
            digest = entry.get(KEY_DIGEST)
            if isinstance(digest, str) and digest in wanted:
                scan.found.add(digest)
    return scan


def read_logs(s3: Any, bucket: str, prefix: str, wanted: Set[str]) -> LogScan:
    """Every digests object under `prefix` (boto3's S3 client, as a Glue job has it), one at a time."""
    scan = LogScan()
    token: Optional[str] = None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **({"ContinuationToken": token} if token else {}))
        for obj in page.get("Contents") or ():
            if str(obj["Key"]).endswith(KEYS_SUFFIX):
                scan_log(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read(), wanted, scan)
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        if not token:
            return scan
