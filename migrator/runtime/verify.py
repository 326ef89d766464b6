"""The full comparison of a table with its views, run inside a Glue job (rows never reach the client).

Why digests by key bucket: comparing every item needs both sides sorted or one side in memory;
neither scales. Instead every expected item (each view row, mapped by the load's own code) and
every stored item (a parallel scan of the table) adds a 64-bit digest of its canonical form to
the bucket of its key (`BUCKETS` buckets by a hash of the key). The sum of digests is order-
independent, so the two passes stream. Only buckets whose sums or counts disagree are read
again, now keeping key -> digest for those keys alone, which names the keys that differ:
missing (a row, no item), extra (an item no row explains) or different. Memory is
O(BUCKETS + the keys of the disagreeing buckets).

Index coverage comes from the same passes: per secondary index, the expected items that carry
all its key attributes, against the index's own item count.

Arguments (Glue's `--key value`):
  --connection_name, --target_table   as the load
  --sources          JSON [{"view", "attributes": [specs], "write_mode", "version_column"?}], the table's loads
  --key_names        JSON ["PK", "SK"?]
  --result_s3_uri    where the result JSON goes
  --segments         parallel scan segments (default 4)
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from migrator.runtime import aws
from migrator.runtime.connections import mysql_params
from migrator.runtime.lineage import ARG_LINEAGE, lineage_metadata
from migrator.runtime.load import job_main
from migrator.runtime.items import (AttributeSpec, RowRejected, item_key, load_item, mark_index_keys, parse_specs,
                                    python_value)
from migrator.runtime.source import select_sql, stream_rows

BUCKETS = 4096
MAX_LISTED = 100
MASK = (1 << 64) - 1

Item = Mapping[str, Mapping[str, Any]]
Key = Tuple[Any, ...]


class VerifyError(Exception):
    """The comparison could not run; one sentence without secrets."""


def canonical(value: Any) -> Any:
    """A JSON-able form equal for values DynamoDB treats as equal (1.50 == 1.5; set order)."""
    if isinstance(value, Decimal):
        return ["N", format(value.normalize(), "f")]
    if isinstance(value, bytes):
        return ["B", value.hex()]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return ["S", value]
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, set):
        return ["SET", sorted(json.dumps(canonical(v), sort_keys=True) for v in value)]
    return ["?", str(value)]


def digest(item: Item) -> int:
    text = json.dumps({k: canonical(python_value(v)) for k, v in item.items()}, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def bucket_of(key: Key) -> int:
    text = json.dumps(canonical(list(key)), separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "big") % BUCKETS


def printable(key: Key, key_names: Sequence[str]) -> Dict[str, str]:
    return {n: (v.hex() if isinstance(v, bytes) else str(v))[:120] for n, v in zip(key_names, key)}


@dataclass
class Side:
    """Per bucket: how many items and the sum of their digests."""

    counts: List[int] = field(default_factory=lambda: [0] * BUCKETS)
    sums: List[int] = field(default_factory=lambda: [0] * BUCKETS)

    def add(self, key: Key, item_digest: int) -> None:
        b = bucket_of(key)
        self.counts[b] += 1
        self.sums[b] = (self.sums[b] + item_digest) & MASK


@dataclass
class Source:
    view: str
    specs: Tuple[AttributeSpec, ...]
    write_mode: str = "overwrite"
    version_column: Optional[str] = None   # version_guarded: a row without a version is rejected

    @staticmethod
    def from_doc(doc: Mapping[str, Any]) -> Source:
        """One entry of --sources (the check's `sample.sources` in the plan)."""
        return Source(str(doc["view"]), tuple(parse_specs(list(doc["attributes"]))),
                      str(doc.get("write_mode") or "overwrite"),
                      str(doc["version_column"]) if doc.get("version_column") else None)

    def with_index_keys(self, index_keys: Iterable[str]) -> Source:
        return replace(self, specs=mark_index_keys(self.specs, index_keys))


@dataclass
class VerifyResult:
    table: str
    rows: int = 0
    rejected: int = 0
    expected_items: int = 0
    table_items: int = 0
    buckets: int = BUCKETS
    buckets_differing: int = 0
    missing: int = 0
    extra: int = 0
    differing: int = 0
    presence_only: bool = False
    listed: List[Dict[str, Any]] = field(default_factory=list)
    indexes: Dict[str, Dict[str, int]] = field(default_factory=dict)
    status: str = "running"
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded" and not (self.missing or self.extra or self.differing) and all(
            i["expected"] == i["actual"] for i in self.indexes.values())

    def to_doc(self) -> Dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def expected_stream(sources: Sequence[Source], rows_of: Any, key_names: Sequence[str],
                    result: VerifyResult) -> Iterator[Tuple[Key, Item]]:
    """(key, item) of every view row the load would write; rejected rows counted and left out."""
    for source in sources:
        for row in rows_of(source):
            result.rows += 1
            try:
                item = load_item(row, source.specs, source.version_column)
            except RowRejected:
                result.rejected += 1
                continue
            yield item_key(item, key_names), item


def scan_items(dynamodb: Any, table: str, segments: int) -> Iterator[Item]:
    """A parallel scan (one thread per segment), items handed over through a bounded queue."""
    out: queue.Queue[Any] = queue.Queue(maxsize=4 * segments)
    done = object()
    errors: List[BaseException] = []

    def run(segment: int) -> None:
        try:
            start: Optional[Dict[str, Any]] = None
            while True:
                kwargs: Dict[str, Any] = {"TableName": table, "Segment": segment, "TotalSegments": segments,
                                          "ConsistentRead": True}
                if start:
                    kwargs["ExclusiveStartKey"] = start
                page = dynamodb.scan(**kwargs)
                for item in page.get("Items", []):
                    out.put(item)
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
        except BaseException as exc:  # handed to the reading thread
            errors.append(exc)
        finally:
            out.put(done)

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in range(segments)]
    for thread in threads:
        thread.start()
    finished = 0
    while finished < segments:
        got = out.get()
        if got is done:
            finished += 1
        else:
            yield got
    if errors:
        raise errors[0]


def compare(sources: Sequence[Source], rows_of: Any, items_of: Any, table: str, key_names: Sequence[str],
            index_keys: Mapping[str, Sequence[str]], index_counts: Mapping[str, int]) -> VerifyResult:
    """The two passes: bucket sums, then key by key in the buckets that disagree."""
    result = VerifyResult(table=table, presence_only=any(s.write_mode != "overwrite" for s in sources))
    expected, actual = Side(), Side()
    covered = dict.fromkeys(index_keys, 0)
    for key, item in expected_stream(sources, rows_of, key_names, result):
        expected.add(key, 0 if result.presence_only else digest(item))
        for name, keys in index_keys.items():
            covered[name] += all(k in item for k in keys)
    for item in items_of():
        key = item_key(item, key_names)
        actual.add(key, 0 if result.presence_only else digest(item))
        result.table_items += 1
    result.expected_items = sum(expected.counts)
    differing = {b for b in range(BUCKETS)
                 if (expected.counts[b], expected.sums[b]) != (actual.counts[b], actual.sums[b])}
    result.buckets_differing = len(differing)
    if differing:
        _narrow(sources, rows_of, items_of, key_names, differing, result)
    result.indexes = {name: {"expected": covered[name], "actual": int(index_counts.get(name, 0))}
                      for name in sorted(index_keys)}
    result.status = "succeeded"
    return result


def _narrow(sources: Sequence[Source], rows_of: Any, items_of: Any, key_names: Sequence[str], buckets: Set[int],
            result: VerifyResult) -> None:
    """Key by key in the disagreeing buckets. A key several rows share expects any of their
    items (which row the load wrote last is not knowable from the view)."""
    scratch = VerifyResult(table=result.table)
    want: Dict[Key, Dict[int, Item]] = {}
    for key, item in expected_stream(sources, rows_of, key_names, scratch):
        if bucket_of(key) in buckets:
            want.setdefault(key, {})[0 if result.presence_only else digest(item)] = item
    have: Dict[Key, Tuple[int, Item]] = {}
    for item in items_of():
        key = item_key(item, key_names)
        if bucket_of(key) in buckets:
            have[key] = (0 if result.presence_only else digest(item), item)
    for key in sorted(set(want) | set(have), key=lambda k: json.dumps(canonical(list(k)))):
        kind = "missing" if key not in have else "extra" if key not in want else (
            None if have[key][0] in want[key] else "differing")
        if kind is None:
            continue
        setattr(result, kind, getattr(result, kind) + 1)
        if len(result.listed) < MAX_LISTED:
            entry: Dict[str, Any] = {"kind": kind, "key": printable(key, key_names)}
            if kind == "differing":
                entry["attributes"] = differing_attributes(next(iter(want[key].values())), have[key][1])
            result.listed.append(entry)


def differing_attributes(expected: Item, stored: Item) -> List[str]:
    """The attributes whose presence, type or value differ (names only: values may be personal data)."""
    out = []
    for name in sorted(set(expected) | set(stored)):
        a, b = expected.get(name), stored.get(name)
        if a is None or b is None or next(iter(a)) != next(iter(b)) or python_value(a) != python_value(b):
            out.append(name)
    return out


# ----------------------------------------------------------------------------- the job


def sources_arg(raw: str) -> List[Source]:
    try:
        doc = json.loads(raw)
        return [Source.from_doc(s) for s in doc]
    except (ValueError, KeyError, TypeError) as exc:
        raise VerifyError("--sources must be a JSON array of {view, attributes, write_mode, version_column}: "
                          f"{exc}") from None


def index_layout(description: Mapping[str, Any]) -> Dict[str, List[str]]:
    indexes = list(description.get("GlobalSecondaryIndexes") or []) + list(
        description.get("LocalSecondaryIndexes") or [])
    return {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in indexes}


def count_index(dynamodb: Any, table: str, index: str) -> int:
    total, start = 0, None
    while True:
        kwargs: Dict[str, Any] = {"TableName": table, "IndexName": index, "Select": "COUNT"}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kwargs)
        total += int(page.get("Count", 0))
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def run_verify(args: Mapping[str, str], *, dynamodb: Any = None, s3: Any = None,
               rows_of: Any = None) -> VerifyResult:
    missing = [f"--{n}" for n in ("connection_name", "target_table", "sources", "key_names", "result_s3_uri")
               if not args.get(n)]
    if missing:
        raise VerifyError(f"missing job argument(s): {', '.join(missing)}")
    table = args["target_table"]
    key_names = json.loads(args["key_names"])
    segments = int(args.get("segments") or 4)
    dynamodb = dynamodb if dynamodb is not None else aws.client("dynamodb", connections=segments + 2)
    layout = index_layout(dynamodb.describe_table(TableName=table)["Table"])
    live = {k for keys in layout.values() for k in keys}
    sources = [s.with_index_keys(live) for s in sources_arg(args["sources"])]
    if rows_of is None:
        params = mysql_params(args["connection_name"])

        def rows_of(source: Source) -> Iterator[Mapping[str, Any]]:
            return stream_rows(params, select_sql(source.view, [s.name for s in source.specs]))

    counts = {name: count_index(dynamodb, table, name) for name in layout}
    result = compare(sources, rows_of, lambda: scan_items(dynamodb, table, segments), table, key_names, layout,
                     counts)
    uri = args["result_s3_uri"]
    bucket, key = uri[5:].split("/", 1)
    (s3 if s3 is not None else aws.client("s3")).put_object(
        Bucket=bucket, Key=key, Body=json.dumps(result.to_doc(), indent=2, sort_keys=True).encode("utf-8"),
        ContentType="application/json", Metadata=lineage_metadata(args.get(ARG_LINEAGE) or ""))
    return result


def main(argv: Optional[Sequence[str]] = None) -> int:
    return job_main(argv, lambda args: run_verify(args).to_doc(), error_label="VerifyError")
