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

A missing key the load rejected is not a missing item: the keys found missing are looked up (by
digest, runtime/rejects.py) in the rejects log of each source's load, read from the result's
bucket under the source's `rejects_prefix`, one object at a time; those it lists are counted
`rejected_by_load`. A log that counted rows past its limit without listing them cannot clear the
rest: they stay missing and `notes` says for how many rows the comparison cannot tell.

Arguments (Glue's `--key value`):
  --connection_name  as the load
  --target_table     the table; every source's item spec loads it
  --sources          JSON [{"item_spec": <spec.ItemSpec>, "rejects_prefix"?}], the table's loads
                     (`rejects_prefix`: where the load logged its rejected rows)
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
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from migrator.runtime import aws
from migrator.runtime.connections import mysql_params
from migrator.runtime.lineage import ARG_LINEAGE
from migrator.runtime.job import JobError, job_main, put_doc, split_s3_uri
from migrator.runtime.decode import item_key, python_value
from migrator.runtime.items import RowRejected, load_item
from migrator.runtime.rejects import LogScan, key_digest, read_logs
from migrator.runtime.source import select_sql, stream_rows
from migrator.runtime.spec import ItemSpec, SpecError, index_key_roles

BUCKETS = 4096
MAX_LISTED = 100
MASK = (1 << 64) - 1

Item = Mapping[str, Mapping[str, Any]]
Key = Tuple[Any, ...]
#: given missing keys: those the loads' rejects logs list, and how many rejected rows they do not list
RejectsLookup = Callable[[Set[Key]], Tuple[Set[Key], int]]


class VerifyError(JobError):
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
    """Per bucket: how many items and the sum of their digests. Sides of disjoint parts of the
    rows (or of the table) add up to the side of the whole, which is what lets Spark tasks
    each take a part."""

    counts: List[int] = field(default_factory=lambda: [0] * BUCKETS)
    sums: List[int] = field(default_factory=lambda: [0] * BUCKETS)

    def add(self, key: Key, item_digest: int) -> None:
        b = bucket_of(key)
        self.counts[b] += 1
        self.sums[b] = (self.sums[b] + item_digest) & MASK

    def merge(self, other: Side) -> Side:
        for b in range(BUCKETS):
            self.counts[b] += other.counts[b]
            self.sums[b] = (self.sums[b] + other.sums[b]) & MASK
        return self


@dataclass
class Tally:
    """The first pass over some rows and some items: both sides, the row counts, and per index
    the expected items that carry its keys."""

    expected: Side = field(default_factory=Side)
    actual: Side = field(default_factory=Side)
    rows: int = 0
    rejected: int = 0
    table_items: int = 0
    covered: Dict[str, int] = field(default_factory=dict)

    def merge(self, other: Tally) -> Tally:
        self.expected.merge(other.expected)
        self.actual.merge(other.actual)
        self.rows += other.rows
        self.rejected += other.rejected
        self.table_items += other.table_items
        for name, n in other.covered.items():
            self.covered[name] = self.covered.get(name, 0) + n
        return self

    def differing(self) -> Set[int]:
        e, a = self.expected, self.actual
        return {b for b in range(BUCKETS) if (e.counts[b], e.sums[b]) != (a.counts[b], a.sums[b])}


@dataclass(frozen=True)
class Source:
    """One view of the table: the item spec its load applies, and where the load logged the rows
    it rejected (in the result's bucket)."""

    spec: ItemSpec
    rejects_prefix: Optional[str] = None

    @property
    def view(self) -> str:
        return self.spec.view

    def to_doc(self) -> Dict[str, Any]:
        doc: Dict[str, Any] = {"item_spec": self.spec.to_doc()}
        if self.rejects_prefix:
            doc["rejects_prefix"] = self.rejects_prefix
        return doc

    @staticmethod
    def from_doc(doc: Any) -> Source:
        """One entry of --sources (the check's sample sources in the plan); SpecError when wrong."""
        if not isinstance(doc, dict) or set(doc) - {"item_spec", "rejects_prefix"}:
            raise SpecError("a source must be an object with item_spec and optionally rejects_prefix")
        prefix = doc.get("rejects_prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise SpecError("a source's rejects_prefix must be text")
        return Source(ItemSpec.from_doc(doc.get("item_spec")), prefix or None)

    def with_index_keys(self, index_keys: Union[Iterable[str], Mapping[str, str]]) -> Source:
        """The spec with the live table's index keys marked (names, or name -> HASH/RANGE roles)."""
        return replace(self, spec=self.spec.with_index_keys(index_keys))


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
    rejected_by_load: int = 0     # keys with no item that the loads' rejects logs list: rejected rows
    unlisted_rejects: int = 0     # rows the logs counted without listing, while some keys stay missing
    notes: List[str] = field(default_factory=list)
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
                    counts: Any) -> Iterator[Tuple[Key, Item]]:
    """(key, item) of every view row the load would write; rejected rows counted and left out.
    `counts` has `rows` and `rejected` (a Tally or a VerifyResult)."""
    for source in sources:
        for row in rows_of(source):
            counts.rows += 1
            try:
                item = load_item(row, source.spec.attributes, source.spec.version_column)
            except RowRejected:
                counts.rejected += 1
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


def presence_only(sources: Sequence[Source]) -> bool:
    """A load that does not overwrite may rightly leave other values: keys are compared, not items."""
    return any(s.spec.write_mode != "overwrite" for s in sources)


def first_pass(sources: Sequence[Source], rows_of: Any, items_of: Any, key_names: Sequence[str],
               index_keys: Mapping[str, Sequence[str]]) -> Tally:
    """Bucket sums of the rows `rows_of` gives and of the items `items_of` gives."""
    tally = Tally(covered=dict.fromkeys(index_keys, 0))
    keys_only = presence_only(sources)
    for key, item in expected_stream(sources, rows_of, key_names, tally):
        tally.expected.add(key, 0 if keys_only else digest(item))
        for name, keys in index_keys.items():
            tally.covered[name] += all(k in item for k in keys)
    for item in items_of():
        tally.actual.add(item_key(item, key_names), 0 if keys_only else digest(item))
        tally.table_items += 1
    return tally


Wanted = Dict[Key, Dict[int, Item]]     # key -> the items its rows give, by digest
Stored = Dict[Key, Tuple[int, Item]]    # key -> (digest, the stored item)


def gather(sources: Sequence[Source], rows_of: Any, items_of: Any, key_names: Sequence[str],
           buckets: Set[int]) -> Tuple[Wanted, Stored]:
    """The second pass: keys of the disagreeing buckets, with their expected and stored items.
    A key several rows share expects any of their items (which row the load wrote last is not
    knowable from the view)."""
    keys_only = presence_only(sources)
    want: Wanted = {}
    for key, item in expected_stream(sources, rows_of, key_names, Tally()):
        if bucket_of(key) in buckets:
            want.setdefault(key, {})[0 if keys_only else digest(item)] = item
    have: Stored = {}
    for item in items_of():
        key = item_key(item, key_names)
        if bucket_of(key) in buckets:
            have[key] = (0 if keys_only else digest(item), item)
    return want, have


def judge_keys(want: Wanted, have: Stored, key_names: Sequence[str], result: VerifyResult,
               rejects: Optional[RejectsLookup] = None) -> None:
    """Count and list (up to MAX_LISTED, in key order) the keys that are missing, extra or differ;
    a missing key `rejects` finds in a load's log is counted rejected_by_load instead."""
    absent = {key for key in want if key not in have}
    listed: Set[Key] = set()
    if absent and rejects is not None:
        listed, unlisted = rejects(absent)
        if unlisted and absent - listed:
            result.unlisted_rejects = unlisted
            result.notes.append(unlisted_note(unlisted))
    for key in sorted(set(want) | set(have), key=lambda k: json.dumps(canonical(list(k)))):
        kind = "missing" if key not in have else "extra" if key not in want else (
            None if have[key][0] in want[key] else "differing")
        if kind is None:
            continue
        if kind == "missing" and key in listed:
            result.rejected_by_load += 1
            continue
        setattr(result, kind, getattr(result, kind) + 1)
        if len(result.listed) < MAX_LISTED:
            entry: Dict[str, Any] = {"kind": kind, "key": printable(key, key_names)}
            if kind == "differing":
                entry["attributes"] = differing_attributes(next(iter(want[key].values())), have[key][1])
            result.listed.append(entry)


def conclude(result: VerifyResult, tally: Tally, index_counts: Mapping[str, int]) -> VerifyResult:
    """The first pass's figures and the index coverage, into the result."""
    result.rows, result.rejected, result.table_items = tally.rows, tally.rejected, tally.table_items
    result.expected_items = sum(tally.expected.counts)
    result.indexes = {name: {"expected": tally.covered.get(name, 0), "actual": int(index_counts.get(name, 0))}
                      for name in sorted(tally.covered)}
    return result


def compare(sources: Sequence[Source], rows_of: Any, items_of: Any, table: str, key_names: Sequence[str],
            index_keys: Mapping[str, Sequence[str]], index_counts: Mapping[str, int],
            rejects: Optional[RejectsLookup] = None) -> VerifyResult:
    """The two passes in one process: bucket sums, then key by key in the buckets that disagree."""
    result = VerifyResult(table=table, presence_only=presence_only(sources))
    tally = first_pass(sources, rows_of, items_of, key_names, index_keys)
    conclude(result, tally, index_counts)
    differing = tally.differing()
    result.buckets_differing = len(differing)
    if differing:
        judge_keys(*gather(sources, rows_of, items_of, key_names, differing), key_names, result, rejects)
    result.status = "succeeded"
    return result


def unlisted_note(unlisted: int) -> str:
    return (f"the rejects log lists fewer rows than the load rejected, so the comparison cannot tell a missing "
            f"item from an unlisted reject for {unlisted:,} rows")


def logs_lookup(s3: Any, bucket: str, sources: Sequence[Source]) -> Optional[RejectsLookup]:
    """The lookup over the rejects logs of `sources`' loads (boto3's S3 client); None without any."""
    prefixes = sorted({s.rejects_prefix for s in sources if s.rejects_prefix})
    if not prefixes:
        return None

    def lookup(keys: Set[Key]) -> Tuple[Set[Key], int]:
        wanted = {key_digest(k): k for k in keys}
        scan = LogScan()
        for prefix in prefixes:
            scan.add(read_logs(s3, bucket, prefix, set(wanted)))
        return {wanted[d] for d in scan.found}, scan.unlisted

    return lookup


def differing_attributes(expected: Item, stored: Item) -> List[str]:
    """The attributes whose presence, type or value differ (names only: values may be personal data)."""
    out = []
    for name in sorted(set(expected) | set(stored)):
        a, b = expected.get(name), stored.get(name)
        if a is None or b is None or next(iter(a)) != next(iter(b)) or python_value(a) != python_value(b):
            out.append(name)
    return out


# ----------------------------------------------------------------------------- the job


def sources_arg(raw: str, table: str) -> List[Source]:
    """--sources: the table's loads, each with its item spec; they all load `table` with one key."""
    try:
        sources = [Source.from_doc(s) for s in json.loads(raw)]
    except (ValueError, TypeError) as exc:
        raise VerifyError(f"--sources must be a JSON array of {{item_spec, rejects_prefix?}}: {exc}") from None
    if not sources:
        raise VerifyError("--sources names no view")
    other = sorted({s.spec.table for s in sources} - {table})
    if other:
        raise VerifyError(f"--sources load table(s) {', '.join(other)}, not --target_table {table}")
    if len({s.spec.keys for s in sources}) > 1:
        raise VerifyError(f"the --sources of table {table} disagree on its key")
    return sources


def job_sources(args: Mapping[str, str]) -> Tuple[str, List[Source]]:
    """The table and its sources from a verify job's arguments (Python shell and Spark alike)."""
    missing = [f"--{n}" for n in ("connection_name", "target_table", "sources", "result_s3_uri") if not args.get(n)]
    if missing:
        raise VerifyError(f"missing job argument(s): {', '.join(missing)}")
    table = args["target_table"]
    return table, sources_arg(args["sources"], table)


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
    table, sources = job_sources(args)
    key_names = sources[0].spec.keys
    segments = int(args.get("segments") or 4)
    dynamodb = dynamodb if dynamodb is not None else aws.client("dynamodb", connections=segments + 2)
    description = dynamodb.describe_table(TableName=table)["Table"]
    layout = index_layout(description)
    live = index_key_roles(description)
    sources = [s.with_index_keys(live) for s in sources]
    if rows_of is None:
        params = mysql_params(args["connection_name"])

        def rows_of(source: Source) -> Iterator[Mapping[str, Any]]:
            return stream_rows(params, select_sql(source.view, source.spec.names))

    counts = {name: count_index(dynamodb, table, name) for name in layout}
    uri = args["result_s3_uri"]
    bucket, _ = split_s3_uri(uri, error=VerifyError)
    s3 = s3 if s3 is not None else aws.client("s3")
    result = compare(sources, rows_of, lambda: scan_items(dynamodb, table, segments), table, key_names, layout,
                     counts, logs_lookup(s3, bucket, sources))
    put_doc(s3, uri, result.to_doc(), args.get(ARG_LINEAGE) or "")
    return result


def main(argv: Optional[Sequence[str]] = None) -> int:
    return job_main(argv, lambda args: run_verify(args).to_doc(), error_label="VerifyError")
