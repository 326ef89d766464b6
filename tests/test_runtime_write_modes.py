"""Write modes and live progress of a load, against the real moto server.

Expectations are computed here from the rows and the items put beforehand with boto3, and the
table is read back with boto3: never from the load's own counts. The only stand-in is a thin
wrapper around the real client that answers some PutItems with a throttling error (moto never
throttles). Nothing here measures time: the progress test waits for an object to appear.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from migrator.runtime import load
from migrator.runtime.progress import merge_progress
from migrator.runtime.writer import BatchWriter, ParallelWriter, put_condition
from tests.helpers import aws
from tests.item_specs import spec_json

ATTRIBUTES = [{"name": "PK", "type": "S", "key": True}, {"name": "value", "type": "S"},
              {"name": "version", "type": "N"}]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def ddb(sandbox: Any) -> Any:
    return aws(sandbox, "dynamodb")


@pytest.fixture
def table(ddb: Any) -> Iterator[str]:
    name = unique("wm")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    yield name
    ddb.delete_table(TableName=name)


def seed(ddb: Any, table: str, existing: dict[str, tuple[str, int]]) -> None:
    for pk, (value, version) in existing.items():
        ddb.put_item(TableName=table, Item={"PK": {"S": pk}, "value": {"S": value}, "version": {"N": str(version)}})


def read_back(ddb: Any, table: str) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            out[item["PK"]["S"]] = (item["value"]["S"], int(item["version"]["N"]))
    return out


def args(table: str, write_mode: str | None = None, version_column: str | None = None, **extra: str) -> dict[str, str]:
    return {"connection_name": "unused", "item_spec": spec_json("v", table, ATTRIBUTES, write_mode=write_mode,
                                                                version_column=version_column), **extra}


def raw_spec(**fields: Any) -> dict[str, str]:
    """Job arguments whose item spec document has these fields changed (a spec no plan writes)."""
    doc = json.loads(spec_json("v", "t", ATTRIBUTES))
    return {"connection_name": "unused", "item_spec": json.dumps({**doc, **fields})}


def rows_of(pairs: list[tuple[str, str, int | None]]) -> list[dict[str, Any]]:
    return [{"PK": pk, "value": value, "version": version} for pk, value, version in pairs]


@pytest.mark.parametrize("writers", ["1", "4"])
def test_insert_only_leaves_existing_items_and_counts_them(ddb: Any, table: str, writers: str) -> None:
    existing = {f"k{i}": (f"old{i}", 1) for i in range(0, 60, 3)}
    seed(ddb, table, existing)
    rows = rows_of([(f"k{i}", f"new{i}", 2) for i in range(60)] + [("k1", "second-row", 3)])
    result = load.run_load(args(table, write_mode="insert_only", writers=writers), dynamodb=ddb,
                           rows=lambda config: iter(rows))

    expected = dict(existing)
    for row in rows:            # the first row of a key is inserted; nothing existing is touched
        expected.setdefault(row["PK"], (row["value"], row["version"]))
    assert read_back(ddb, table) == expected
    skipped = len(rows) - (len(expected) - len(existing))
    assert (result.rows_read, result.items_written, result.items_skipped, result.items_rejected) == (
        61, len(expected) - len(existing), skipped, 0)
    assert result.write_mode == "insert_only" and result.writer["puts"] == 61 and result.writer["batches"] == 0


def test_version_guarded_writes_only_newer_rows_and_rejects_a_missing_version(ddb: Any, table: str) -> None:
    existing = {"a": ("old-a", 5), "b": ("old-b", 5), "c": ("old-c", 5)}
    seed(ddb, table, existing)
    rows = rows_of([("a", "older", 4), ("b", "same", 5), ("c", "newer", 6), ("d", "fresh", 1), ("e", "no-version", None)])
    result = load.run_load(args(table, write_mode="version_guarded", version_column="version", writers="2"),
                           dynamodb=ddb, rows=lambda config: iter(rows))

    expected = dict(existing)
    for row in rows:
        if row["version"] is None:
            continue
        current = expected.get(row["PK"])
        if current is None or current[1] < row["version"]:
            expected[row["PK"]] = (row["value"], row["version"])
    assert read_back(ddb, table) == expected == {"a": ("old-a", 5), "b": ("old-b", 5), "c": ("newer", 6),
                                                 "d": ("fresh", 1)}
    assert (result.items_written, result.items_skipped, result.items_rejected) == (2, 2, 1)
    assert result.rejected_by_reason == {"version_null:version": 1}


def test_overwrite_is_a_batch_write_and_the_later_row_wins(ddb: Any, table: str) -> None:
    seed(ddb, table, {"a": ("old", 9)})
    rows = rows_of([("a", "first", 1), ("b", "x", 1), ("a", "last", 2)])
    result = load.run_load(args(table), dynamodb=ddb, rows=lambda config: iter(rows))
    assert read_back(ddb, table) == {"a": ("last", 2), "b": ("x", 1)}
    assert (result.items_written, result.items_skipped, result.write_mode) == (3, 0, "overwrite")
    assert result.writer["puts"] == 0 and result.writer["batches"] >= 1 and result.writer["consumed_wcu"] > 0


@pytest.mark.parametrize("arguments, words", [
    (raw_spec(write_mode="upsert"), "write_mode 'upsert' of table t is not one of overwrite, insert_only, "
                                    "version_guarded"),
    (raw_spec(write_mode="version_guarded"), "write_mode version_guarded needs a version_column for table t"),
    (raw_spec(write_mode="version_guarded", version_column="PK"), "version_column `PK` of table t is a table key"),
    (raw_spec(write_mode="version_guarded", version_column="nope"),
     "version_column `nope` is not an attribute of table t"),
    (raw_spec(write_mode="version_guarded", version_column="value", attributes=[
        {"name": "PK", "type": "S"}, {"name": "value", "type": "M"}]), "version_column `value` of table t is of type M"),
    (args("t", progress_s3_uri="s3://bucket/no-slash"), "ending in '/'"),
    (args("t", progress_every_seconds="0"), "--progress_every_seconds must be a positive number of seconds"),
])
def test_bad_write_arguments_are_one_sentence(arguments: dict[str, str], words: str) -> None:
    with pytest.raises(load.LoadError) as caught:
        load.load_config(arguments)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_version_column_outside_version_guarded_is_left_out_of_the_spec() -> None:
    """`migrator validate` warns that it is ignored; the spec the job reads does not carry it."""
    config = load.load_config(raw_spec(write_mode="insert_only", version_column="version"))
    assert (config.spec.write_mode, config.spec.version_column) == ("insert_only", None)


class ThrottlingPuts:
    """The real client; every third PutItem is first answered with a throttling error."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.calls = 0
        self.throttled = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def put_item(self, **kwargs: Any) -> Any:
        with self.lock:
            self.calls += 1
            throttle = self.calls % 3 == 0
            self.throttled += throttle
        if throttle:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "PutItem")
        return self.client.put_item(**kwargs)


@pytest.mark.parametrize("writers", [1, 3])
def test_throttled_conditional_puts_are_retried_and_counted(ddb: Any, table: str, writers: int) -> None:
    seed(ddb, table, {"k0": ("old", 1)})
    client = ThrottlingPuts(ddb)
    condition = put_condition("insert_only", ["PK"])
    kwargs: dict[str, Any] = {"key_names": ["PK"], "base_delay": 0.001, "max_delay": 0.002, "condition": condition}
    writer = BatchWriter(client, table, **kwargs) if writers == 1 else ParallelWriter(client, table, writers=writers,
                                                                                     **kwargs)
    for i in range(40):
        writer.put({"PK": {"S": f"k{i}"}, "value": {"S": "new"}, "version": {"N": "2"}})
    writer.close()
    stats = writer.stats()
    assert read_back(ddb, table) == {"k0": ("old", 1), **{f"k{i}": ("new", 2) for i in range(1, 40)}}
    assert (stats["written"], stats["skipped"]) == (39, 1)
    assert stats["throttles"] == stats["retries"] == client.throttled > 0
    assert stats["puts"] == client.calls == 40 + client.throttled


def test_progress_objects_appear_while_the_load_runs_and_end_with_its_figures(sandbox: Any, ddb: Any,
                                                                               table: str) -> None:
    s3 = aws(sandbox, "s3")
    bucket = unique("prog")
    s3.create_bucket(Bucket=bucket)
    prefix = "migrator/progress/t/"
    seen: list[dict[str, Any]] = []

    def part_docs() -> dict[str, dict[str, Any]]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return {o["Key"]: json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed}

    def rows(config: load.LoadConfig) -> Iterator[dict[str, Any]]:
        for i in range(30):
            yield {"PK": f"k{i}", "value": "v", "version": i}
        deadline = time.monotonic() + 120   # a generous bound on waiting, not a measurement
        while time.monotonic() < deadline:  # the figures must arrive while the load is still running
            docs = part_docs()
            if any(d["rows_read"] >= 30 and not d["done"] for d in docs.values()):
                seen.extend(docs.values())
                break
            time.sleep(0.05)
        yield {"PK": "", "value": "v", "version": 1}           # rejected: an empty key
        yield {"PK": "last", "value": "v", "version": 1}

    result = load.run_load(args(table, progress_s3_uri=f"s3://{bucket}/{prefix}", progress_every_seconds="0.1"),
                           dynamodb=ddb, s3=s3, rows=rows)
    assert seen and all(d["part"] == "part-00000" for d in seen)
    final = part_docs()
    assert list(final) == [f"{prefix}part-00000.json"]
    merged = merge_progress(final)
    assert merged["parts_done"] == 1 and (merged["rows_read"], merged["items_written"], merged["items_rejected"]) == (
        32, len(read_back(ddb, table)), 1) == (result.rows_read, result.items_written, result.items_rejected)
    assert merged["consumed_wcu"] > 0


def test_rejected_rows_go_to_an_error_log_with_their_key_reason_and_a_preview(sandbox: Any, ddb: Any,
                                                                              table: str) -> None:
    s3 = aws(sandbox, "s3")
    bucket = unique("rej")
    s3.create_bucket(Bucket=bucket)
    rows = [{"PK": f"k{i}", "value": "v", "version": i} for i in range(5)] + [
        {"PK": "", "value": "x" * 500, "version": 1}, {"PK": "k9", "value": "ok", "version": "not a number"}]
    result = load.run_load(args(table, rejects_s3_uri=f"s3://{bucket}/rejects/t/"), dynamodb=ddb, s3=s3,
                           rows=lambda config: iter(rows))
    body = s3.get_object(Bucket=bucket, Key="rejects/t/part-00000.jsonl")["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [(e["key"], e["reason"], e["attribute"]) for e in lines] == [
        ({"PK": ""}, "key_empty", "PK"), ({"PK": "k9"}, lines[1]["reason"], "version")]
    assert lines[1]["value"] == "not a number" and "x" * 500 not in body
    assert (result.items_rejected, result.rejects_logged, result.rejects_keys) == (2, 2, ["rejects/t/part-00000.jsonl"])


def test_the_error_log_is_bounded_and_says_how_many_it_leaves_out() -> None:
    from migrator.runtime.items import RowRejected
    from migrator.runtime.rejects import RejectLog

    log = RejectLog(limit=3)
    for i in range(10):
        log.add(RowRejected("key_null", "PK"), {"PK": None, "id": i}, ["PK"])
    lines = [json.loads(line) for line in log.body().decode().splitlines()]
    assert len(lines) == 4 and lines[-1]["dropped"] == 7 and log.dropped == 7
