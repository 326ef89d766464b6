"""Parallel writers and the write budget (issue 10, items 3 and 4): ParallelWriter, TokenBucket
and run_load's --writers / --max_items_per_second.

The happy path runs against the real moto server of the sandbox. Exact interleavings,
throttling and failures cannot be produced by moto (it never throttles, never answers with
UnprocessedItems and answers in no chosen order), so those tests use `FakeDynamo`, a fake
client (stated in each test) that applies BatchWriteItem requests to a dict under a lock,
records the order in which it applied them and can delay, throttle or fail chosen requests.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.runtime import load
from migrator.runtime import writer as writer_module
from migrator.runtime.writer import batch as writer_batch
from tests.item_specs import spec_json
from migrator.runtime.writer import MAX_BATCH, BatchWriteFailed, BatchWriter, ParallelWriter, SharedBackoff, TokenBucket

KEY_SCHEMA = [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]
KEY_ATTRS = [{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "N"}]
ATTRIBUTES = [{"name": "PK", "type": "S", "key": True}, {"name": "SK", "type": "N", "key": True},
              {"name": "value", "type": "S"}]


def item(key: int, value: str) -> dict[str, Any]:
    return {"PK": {"S": f"P#{key % 5}"}, "SK": {"N": str(key)}, "value": {"S": value}}


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                       "BatchWriteItem")


class FakeDynamo:
    """A fake DynamoDB client for one table (not moto: it lets a test choose interleavings).

    `answer(n, requests)` decides the n-th BatchWriteItem call (n = 1, 2, ...): return None to
    apply it whole, an int k to apply the first k requests and hand the rest back as
    UnprocessedItems, or raise. `delay(requests)` is slept before applying (outside the lock),
    so concurrent requests really overlap. Applied puts are logged in application order."""

    def __init__(self, answer: Callable[[int, list[Any]], int | None] = lambda n, r: None,
                 delay: Callable[[list[Any]], float] = lambda r: 0.0) -> None:
        self.answer, self.delay = answer, delay
        self.lock = threading.Lock()
        self.calls = 0
        self.items: dict[tuple[str, Decimal], dict[str, Any]] = {}
        self.applied: list[tuple[tuple[str, Decimal], str]] = []     # (key, value) in the order applied
        self.request_sizes: list[int] = []
        self.concurrent = self.max_concurrent = 0
        self.errors = self.partial = self.handed_back = 0
        self.times: list[tuple[float, int]] = []                      # (monotonic start, items) per call

    @staticmethod
    def key(i: dict[str, Any]) -> tuple[str, Decimal]:
        return i["PK"]["S"], Decimal(i["SK"]["N"])

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {"Table": {"TableName": TableName, "KeySchema": KEY_SCHEMA}}

    def batch_write_item(self, RequestItems: dict[str, list[Any]], **_: Any) -> dict[str, Any]:
        (name, requests), = RequestItems.items()
        with self.lock:
            self.calls += 1
            n = self.calls
            self.times.append((time.monotonic(), len(requests)))
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            items = [r["PutRequest"]["Item"] for r in requests]
            keys = [self.key(i) for i in items]
            assert len(items) <= MAX_BATCH and len(set(keys)) == len(keys), "DynamoDB would refuse this request"
            pause = self.delay(requests)
            if pause:
                time.sleep(pause)
            with self.lock:
                try:
                    keep = self.answer(n, requests)
                except ClientError:
                    self.errors += 1
                    raise
                keep = len(items) if keep is None else keep
                for i in items[:keep]:
                    self.items[self.key(i)] = i
                    self.applied.append((self.key(i), i["value"]["S"]))
                self.request_sizes.append(len(items))
                if keep < len(items):
                    self.partial += 1
                    self.handed_back += len(items) - keep
                    return {"UnprocessedItems": {name: requests[keep:]}}
                return {"UnprocessedItems": {}}
        finally:
            with self.lock:
                self.concurrent -= 1


def last_wins(puts: list[dict[str, Any]]) -> dict[tuple[str, Decimal], str]:
    out: dict[tuple[str, Decimal], str] = {}
    for i in puts:
        out[FakeDynamo.key(i)] = i["value"]["S"]
    return out


def values(fake: FakeDynamo) -> dict[tuple[str, Decimal], str]:
    return {k: i["value"]["S"] for k, i in fake.items.items()}


# ----------------------------------------------------------------------------- ordering per key


def test_a_key_in_a_slow_batch_holds_back_its_later_row() -> None:
    """Fake client: the batch carrying the first row of key 0 is answered 0.3 s late, while
    other threads are free. The later row of key 0 must still be the one that stays."""
    fake = FakeDynamo(delay=lambda r: 0.3 if any(x["PutRequest"]["Item"]["value"]["S"] == "first" for x in r)
                      else 0.0)
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=4)
    writer.put(item(0, "first"))
    for k in range(1, 25):
        writer.put(item(k, "v"))           # a full batch: handed over at once, now in flight (slow)
    for k in range(100, 150):
        writer.put(item(k, "v"))           # two more batches, sent by the other threads meanwhile
    writer.put(item(0, "second"))
    writer.close()
    assert values(fake)[("P#0", Decimal(0))] == "second"
    assert [v for k, v in fake.applied if k == ("P#0", Decimal(0))] == ["first", "second"]
    assert fake.max_concurrent >= 2 and writer.written == 76 and writer.stats()["batches"] == 4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=st.lists(st.integers(0, 40), min_size=0, max_size=260), writers=st.integers(1, 6),
       max_pending=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_every_key_keeps_its_row_order_under_concurrency(keys: list[int], writers: int, max_pending: int,
                                                         seed: int) -> None:
    """Fake client recording the order it applied puts in, with random per-request delays so the
    threads overlap: for each key the applied values are its rows in source order, the last one
    stays, every request is valid, and the counts add up."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def delay(requests: list[Any]) -> float:
        with lock:
            return rng.choice((0.0, 0.0, 0.0005, 0.002))

    fake = FakeDynamo(delay=delay)
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=writers, max_pending=max_pending)
    puts = [item(k, f"row{n}") for n, k in enumerate(keys)]
    for i in puts:
        writer.put(i)
    writer.close()
    assert values(fake) == last_wins(puts)
    for key in {FakeDynamo.key(i) for i in puts}:
        assert [v for k, v in fake.applied if k == key] == [i["value"]["S"] for i in puts if FakeDynamo.key(i) == key]
    stats = writer.stats()
    assert stats["written"] == writer.written == len(puts) == sum(fake.request_sizes)
    assert stats["batches"] == fake.calls and stats["retries"] == stats["throttles"] == 0
    sequential = BatchWriter(FakeDynamo(), "T", key_names=["PK", "SK"])
    for i in puts:
        sequential.put(i)
    sequential.close()
    assert stats == sequential.stats()      # the same batches as one writer, only sent concurrently


# ----------------------------------------------------------------------------- throttling, budget, failure


def test_throttling_shared_by_the_threads_loses_nothing_and_is_counted() -> None:
    """Fake client shared by 4 threads: every 3rd call is a throttling error, every 5th (other)
    call writes only 10 items and hands the rest back. All items arrive; the counts are true."""
    def answer(n: int, requests: list[Any]) -> int | None:
        if n % 3 == 0:
            raise throttled()
        return 10 if n % 5 == 0 and len(requests) > 10 else None

    fake = FakeDynamo(answer=answer, delay=lambda r: 0.001)
    sleeps: list[float] = []
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=4, sleep=sleeps.append, max_attempts=20)
    puts = [item(k, "v") for k in range(2000)]
    for i in puts:
        writer.put(i)
    writer.close()
    stats = writer.stats()
    assert values(fake) == last_wins(puts) and len(fake.items) == 2000
    assert stats["written"] == 2000 and fake.errors > 0 and fake.partial > 0
    assert stats["throttles"] == fake.errors + fake.partial == stats["retries"]
    assert len(sleeps) >= stats["retries"]    # one backoff per retry, plus waits for other threads' backoff
    assert stats["unprocessed"] == fake.handed_back
    assert stats["batches"] == fake.calls == 80 + stats["retries"]


def test_shared_backoff_with_a_fake_clock() -> None:
    now = [10.0]
    backoff = SharedBackoff(clock=lambda: now[0])
    assert backoff.remaining() == 0.0
    backoff.defer(0.5)
    backoff.defer(0.2)                        # a shorter delay never shortens the pause
    now[0] += 0.1
    assert backoff.remaining() == pytest.approx(0.4)
    now[0] += 1.0
    assert backoff.remaining() == 0.0


def test_a_throttled_thread_holds_back_the_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake client (every request takes 0.05 s; the first is throttled) behind 4 threads, the
    backoff delay fixed at 0.5 s: while the throttled thread waits, no thread starts a request
    (those already under way when it was throttled may finish). Without the shared backoff the
    other threads would send a batch every 0.05 s in that window."""
    monkeypatch.setattr(writer_batch, "backoff_delay", lambda attempt, base, cap, rng: 0.5)

    def answer(n: int, requests: list[Any]) -> int | None:
        if n == 1:
            raise throttled()
        return None

    fake = FakeDynamo(answer=answer, delay=lambda r: 0.05)
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=4)
    for k in range(1000):                   # 40 batches: 0.65 s of work for the 3 other threads
        writer.put(item(k, "v"))
    writer.close()
    assert writer.written == 1000 and writer.stats()["retries"] == writer.stats()["throttles"] == 1
    first = min(t for t, _ in fake.times)
    assert not [t for t, _ in fake.times if first + 0.25 <= t < first + 0.5]


def test_token_bucket_with_a_fake_clock() -> None:
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = TokenBucket(100.0, clock=lambda: now[0], sleep=sleep)
    assert bucket.burst == 25
    assert bucket.acquire(25) == 0.0                  # the burst
    assert bucket.acquire(25) == pytest.approx(0.25)  # paid for by 0.25 s at 100 items/s
    for _ in range(38):
        bucket.acquire(25)
    assert now[0] - 100.0 == pytest.approx((40 * 25 - 25) / 100.0)   # exactly (items - burst) / rate
    now[0] += 10.0                                    # idle time refills only up to the burst
    assert bucket.acquire(25) == 0.0 and bucket.acquire(1) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_the_write_budget_holds_across_threads() -> None:
    """Fake client (instant answers) behind 4 threads sharing one budget of 2000 items/s: at the
    start of every request, the items sent so far are within burst + rate x elapsed. Sleeping
    at least as long as asked is all this needs, so it cannot flake on a slow machine."""
    fake = FakeDynamo()
    began = time.monotonic()
    bucket = TokenBucket(2000.0)
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=4, limiter=bucket)
    for k in range(1000):
        writer.put(item(k, "v"))
    writer.close()
    elapsed = time.monotonic() - began
    assert writer.written == 1000 and elapsed >= (1000 - bucket.burst) / 2000.0
    sent = 0
    for started, size in sorted(fake.times):
        sent += size
        assert sent <= bucket.burst + 2000.0 * (started - began) + 1e-6
    assert elapsed < 30                       # generous: 0.49 s of budget


def test_a_failing_writer_thread_fails_the_load_with_one_sentence_and_true_counts() -> None:
    """Fake client: the 7th call is refused (a non-retryable error not about the items: an item
    DynamoDB refuses is a rejected row, see test_refused_items_*), others are slow enough that
    several batches are in flight. The load fails with one line; what it reports as written is
    exactly what the table holds, and written + not written = every item handed to the writer."""
    def answer(n: int, requests: list[Any]) -> int | None:
        if n == 7:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "BatchWriteItem")
        return None

    fake = FakeDynamo(answer=answer, delay=lambda r: 0.01)
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=3)
    handed = 0
    with pytest.raises(BatchWriteFailed) as info:
        for k in range(5000):
            writer.put(item(k, "v"))
            handed += 1
        writer.close()
    writer.abort()
    message = str(info.value)
    assert "\n" not in message and "AccessDeniedException" in message and "not written in all" in message
    assert writer.written == len(fake.items) == writer.stats()["written"]
    assert info.value.unwritten == handed + 1 - writer.written and info.value.unwritten >= 25  # +1: the put that raised
    assert handed < 5000                      # the source stopped being read
    assert all(not t.is_alive() for t in writer._threads)

    fake = FakeDynamo(answer=answer, delay=lambda r: 0.01)
    rows = [{"PK": f"P#{k % 5}", "SK": k, "value": "v"} for k in range(5000)]
    with pytest.raises(load.LoadError) as failed:
        load.run_load({"connection_name": "c", "item_spec": spec_json("v", "T", ATTRIBUTES),
                       "writers": "3"}, dynamodb=fake, rows=lambda config: iter(rows))
    text = str(failed.value)
    assert text.startswith("BatchWriteFailed: ") and "\n" not in text and "AccessDeniedException" in text


def test_run_load_reports_the_failure_counts_in_its_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake client as above; the result (what goes to S3) carries the true counts."""
    captured: list[dict[str, Any]] = []
    monkeypatch.setattr(load, "put_doc", lambda s3, uri, doc, lineage="": captured.append(dict(doc)))
    fake = FakeDynamo(answer=lambda n, r: (_ for _ in ()).throw(
        ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "BatchWriteItem")) if n == 4 else None,
        delay=lambda r: 0.005)
    rows = [{"PK": "p", "SK": k, "value": "v"} for k in range(3000)]
    with pytest.raises(load.LoadError):
        load.run_load({"connection_name": "c", "item_spec": spec_json("v", "T", ATTRIBUTES),
                       "writers": "4", "result_s3_uri": "s3://b/k.json"}, dynamodb=fake, s3=object(),
                      rows=lambda config: iter(rows))
    (doc,) = captured
    assert doc["status"] == "failed" and doc["error"] and "\n" not in doc["error"]
    assert doc["items_written"] == doc["writer"]["written"] == len(fake.items)
    assert doc["writer"]["batches"] == fake.calls and doc["rows_read"] < 3000


def refuse_bad(n: int, requests: list[Any]) -> int | None:
    """FakeDynamo's answer as DynamoDB's to an item it will not store: the whole request refused."""
    if any(r["PutRequest"]["Item"]["value"]["S"].startswith("bad") for r in requests):
        raise ClientError({"Error": {"Code": "ValidationException",
                                     "Message": "One or more parameter values were invalid: 'bad' here. More."}},
                          "BatchWriteItem")
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_refused_items_are_isolated_and_the_later_good_row_of_a_key_still_wins(seed: int) -> None:
    """Fake client (moto refuses nothing the runtime does not predict): a request holding a "bad"
    item is refused whole. The writer splits it until each bad item is alone: every good item is
    written, each bad one handed over once, a key keeps its last good row, the requests are the
    same for 1 and 4 threads, and the count of requests is bounded (2n - 1 per refused batch)."""
    rng = random.Random(seed)
    puts = [item(rng.randrange(40), f"bad{k}" if rng.random() < 0.08 else f"v{k}") for k in range(600)]
    good = [p for p in puts if not p["value"]["S"].startswith("bad")]
    plain = BatchWriter(FakeDynamo(), "T", key_names=["PK", "SK"])
    for p in puts:
        plain.put({**p, "value": {"S": "good"}})
    plain.close()
    formed = plain.batches
    stats = []
    for writers in (1, 4):
        fake = FakeDynamo(answer=refuse_bad, delay=lambda r: 0.001)
        refused: list[tuple[Any, str, str]] = []   # list.append is atomic: the threads may share it
        kwargs: dict[str, Any] = {"key_names": ["PK", "SK"], "on_refused": lambda bad, detail, into=refused: into.append(
            (FakeDynamo.key(bad), bad["value"]["S"], detail))}
        writer = BatchWriter(fake, "T", **kwargs) if writers == 1 else ParallelWriter(fake, "T", writers=4, **kwargs)
        for p in puts:
            writer.put(p)
        writer.close()
        assert values(fake) == last_wins(good)
        assert sorted((k, v) for k, v, _ in refused) == sorted((FakeDynamo.key(p), p["value"]["S"]) for p in puts
                                                               if p not in good)
        assert {d for _, _, d in refused} == {"One or more parameter values were invalid: '…' here."}
        assert (writer.written, writer.refused) == (len(good), len(puts) - len(good))
        # the batches formed are those of the same rows without refusals; each refused request of
        # two or more items costs two more (its halves), a refused single item none
        assert writer.stats()["batches"] == formed + 2 * (fake.errors - writer.refused)
        stats.append(writer.stats())
    assert stats[0] == stats[1]


def test_without_on_refused_a_refusal_still_fails_the_batch() -> None:
    """Nobody to account for a refused item: the writer fails rather than lose it silently."""
    writer = BatchWriter(FakeDynamo(answer=refuse_bad), "T", key_names=["PK", "SK"])
    writer.put(item(1, "bad"))
    with pytest.raises(BatchWriteFailed, match="ValidationException"):
        writer.close()


def test_refusal_detail_is_one_sentence_without_the_items_values() -> None:
    bad: dict[str, Any] = {"PK": {"S": "secret@example.com"}, "SK": {"N": "7"}, "value": {"M": {"x": {"L": [{"S": "Zoë"}]}}}}
    error = ClientError({"Error": {"Code": "ValidationException", "Message": (
        "One or more parameter values were invalid: value Zoë for key secret@example.com of 7 items "
        "exceeded 1024 bytes (got \"x\"). The second sentence names secret@example.com again.")}}, "BatchWriteItem")
    assert writer_module.refusal_detail(error, bad) == (
        "One or more parameter values were invalid: value … for key … of … items exceeded 1024 bytes (got '…').")
    assert len(writer_module.refusal_detail(ClientError({"Error": {"Code": "ValidationException",
                                                                   "Message": "x" * 5000}}, "PutItem"))) == 201
    assert writer_module.key_row(bad, ["PK", "SK"]) == {"PK": "secret@example.com", "SK": 7}


def test_the_source_is_not_read_far_ahead_of_the_writes() -> None:
    """Fake client blocked until released: the caller stops after max_pending full batches
    (plus the one being formed) instead of reading the whole source into memory."""
    release = threading.Event()
    fake = FakeDynamo(delay=lambda r: float(not release.wait(30)))   # blocks until released
    writer = ParallelWriter(fake, "T", key_names=["PK", "SK"], writers=2, max_pending=4)
    read = [0]

    def source() -> Iterator[dict[str, Any]]:
        for k in range(10_000):
            read[0] += 1
            yield item(k, "v")

    def produce() -> None:
        for i in source():
            writer.put(i)
        writer.close()

    producer = threading.Thread(target=produce)
    producer.start()
    # 2 batches in flight (blocked), 2 queued, and the 5th, formed by the 125th row, waits for room
    deadline = time.monotonic() + 20
    while read[0] < 5 * MAX_BATCH and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    assert read[0] == 5 * MAX_BATCH
    release.set()
    producer.join(60)
    assert not producer.is_alive() and writer.written == 10_000 and len(fake.items) == 10_000


def test_writer_arguments() -> None:
    base = {"connection_name": "c", "item_spec": spec_json("v", "T", ATTRIBUTES)}
    config = load.load_config(base)
    assert (config.writers, config.max_items_per_second) == (load.DEFAULT_WRITERS, None)
    config = load.load_config({**base, "writers": "1", "max_items_per_second": "250.5"})
    assert (config.writers, config.max_items_per_second) == (1, 250.5)
    plain = load.make_writer(FakeDynamo(), config)
    assert type(plain) is BatchWriter and plain.limiter is not None and plain.limiter.rate == 250.5
    parallel = load.make_writer(FakeDynamo(), load.load_config({**base, "writers": "3"}))
    assert isinstance(parallel, ParallelWriter) and parallel.writers == 3 and parallel.limiter is None
    parallel.close()
    for bad in ({"writers": "0"}, {"writers": "65"}, {"writers": "x"}, {"max_items_per_second": "0"},
                {"max_items_per_second": "nan"}, {"max_items_per_second": "inf"}, {"max_items_per_second": "-3"}):
        with pytest.raises(load.LoadError) as info:
            load.load_config({**base, **bad})
        assert "--writers" in str(info.value) or "--max_items_per_second" in str(info.value)


# ----------------------------------------------------------------------------- real moto


@pytest.fixture(scope="module")
def ddb(sandbox: Any) -> Any:
    return boto3.client("dynamodb", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def new_table(ddb: Any) -> Iterator[Callable[[], str]]:
    names: list[str] = []

    def make() -> str:
        name = f"rtw-{uuid.uuid4().hex[:10]}"
        ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=KEY_ATTRS,
                         BillingMode="PAY_PER_REQUEST")
        names.append(name)
        return name

    yield make
    for name in names:
        ddb.delete_table(TableName=name)


def scan(ddb: Any, table: str) -> list[dict[str, Any]]:
    return [i for page in ddb.get_paginator("scan").paginate(TableName=table) for i in page["Items"]]


def test_concurrent_writes_land_every_item_exactly_once(ddb: Any, new_table: Callable[[], str]) -> None:
    table = new_table()
    writer = ParallelWriter(ddb, table, writers=6)      # key names from DescribeTable
    for k in range(3000):
        writer.put(item(k, f"v{k}"))
    writer.close()
    stats = writer.stats()
    assert stats.pop("consumed_wcu") > 0          # moto reports its own (not AWS's) figure per request
    assert stats == {"written": 3000, "skipped": 0, "refused": 0, "batches": 120, "puts": 0, "retries": 0,
                     "throttles": 0, "unprocessed": 0, "duplicate_flushes": 0, "sdk_retries": 0}
    got = scan(ddb, table)
    assert len(got) == 3000 and {i["value"]["S"] for i in got} == {f"v{k}" for k in range(3000)}


def test_run_load_on_moto_later_rows_win_and_writer_counts_do_not_change_the_items(
        ddb: Any, new_table: Callable[[], str]) -> None:
    """Many duplicate keys spread over batches: the table holds each key's last row, and
    --writers 1 and --writers 8 (with a budget) write identical tables."""
    rng = random.Random(5)
    rows = [{"PK": f"P#{k % 5}", "SK": k, "value": f"row{n}"} for n, k in enumerate(rng.randrange(300)
                                                                                for _ in range(2000))]
    expected = {(r["PK"], Decimal(r["SK"])): r["value"] for r in rows}
    tables = []
    for extra in ({"writers": "1"}, {"writers": "8", "max_items_per_second": "100000"}):
        table = new_table()
        result = load.run_load({"connection_name": "c", "item_spec": spec_json("v", table, ATTRIBUTES), **extra}, dynamodb=ddb, rows=lambda config: iter(rows))
        assert result.status == "succeeded" and result.items_written == 2000 == result.writer["written"]
        got = {(i["PK"]["S"], Decimal(i["SK"]["N"])): i["value"]["S"] for i in scan(ddb, table)}
        assert got == expected
        tables.append((got, result.writer))
    assert tables[0] == tables[1]
