"""The full comparison (runtime/verify.py) against the real moto server: a clean load compares
clean, and items corrupted on purpose with boto3 are named exactly, index coverage included."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.runtime import load, spark_verify
from migrator.runtime import verify
from tests.helpers import aws
from tests.item_specs import item_spec, sources_json, spec_json

SPECS = [{"name": "PK", "type": "S", "key": True}, {"name": "SK", "type": "N", "key": True},
         {"name": "status", "type": "S"}, {"name": "total", "type": "N"}]


@pytest.fixture
def table(sandbox: Any) -> Iterator[str]:
    ddb = aws(sandbox, "dynamodb")
    name = f"ver-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                           {"AttributeName": "SK", "AttributeType": "N"},
                                           {"AttributeName": "status", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "ByStatus",
                                              "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    yield name
    ddb.delete_table(TableName=name)


def rows() -> list[dict[str, Any]]:
    return [{"PK": f"C#{i % 37}", "SK": i, "status": None if i % 10 == 0 else f"s{i % 3}", "total": i * 1.5}
            for i in range(400)] + [{"PK": None, "SK": 1, "status": "x", "total": 1}]   # rejected: a NULL key


def run(sandbox: Any, table: str, bucket: str) -> dict[str, Any]:
    s3 = aws(sandbox, "s3")
    result = verify.run_verify({"connection_name": "unused", "target_table": table,
                                "sources": sources_json((item_spec("v", table, SPECS), None)),
                                "result_s3_uri": f"s3://{bucket}/verify/{table}.json", "segments": "3"},
                               dynamodb=aws(sandbox, "dynamodb"), s3=s3, rows_of=lambda source: iter(rows()))
    stored = json.loads(s3.get_object(Bucket=bucket, Key=f"verify/{table}.json")["Body"].read())
    assert stored == json.loads(json.dumps(result.to_doc()))
    return stored


def test_a_clean_load_compares_clean_and_corruption_is_named_key_by_key(sandbox: Any, table: str) -> None:
    ddb, s3 = aws(sandbox, "dynamodb"), aws(sandbox, "s3")
    bucket = f"ver-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    load.run_load({"connection_name": "unused", "item_spec": spec_json("v", table, SPECS)}, dynamodb=ddb,
                  rows=lambda config: iter(rows()))
    with_status = sum(1 for r in rows() if r["PK"] is not None and r["status"] is not None)

    clean = run(sandbox, table, bucket)
    assert clean["ok"] and (clean["rows"], clean["rejected"], clean["expected_items"], clean["table_items"]) == (
        401, 1, 400, 400)
    assert (clean["missing"], clean["extra"], clean["differing"], clean["buckets_differing"]) == (0, 0, 0, 0)
    assert clean["indexes"] == {"ByStatus": {"expected": with_status, "actual": with_status}}

    ddb.update_item(TableName=table, Key={"PK": {"S": "C#1"}, "SK": {"N": "1"}}, UpdateExpression="SET #t = :v",
                    ExpressionAttributeNames={"#t": "total"}, ExpressionAttributeValues={":v": {"N": "99"}})
    ddb.delete_item(TableName=table, Key={"PK": {"S": "C#2"}, "SK": {"N": "2"}})
    ddb.put_item(TableName=table, Item={"PK": {"S": "STRAY"}, "SK": {"N": "0"}, "total": {"N": "1"}})
    ddb.update_item(TableName=table, Key={"PK": {"S": "C#4"}, "SK": {"N": "4"}}, UpdateExpression="REMOVE #s",
                    ExpressionAttributeNames={"#s": "status"})

    found = run(sandbox, table, bucket)
    assert not found["ok"]
    assert {(x["kind"], x["key"]["PK"], x["key"]["SK"], tuple(x.get("attributes", ()))) for x in found["listed"]} == {
        ("differing", "C#1", "1", ("total",)), ("missing", "C#2", "2", ()), ("extra", "STRAY", "0", ()),
        ("differing", "C#4", "4", ("status",))}
    assert (found["missing"], found["extra"], found["differing"]) == (1, 1, 2)
    # C#2 (deleted) and C#4 (lost its status) both carried the index key
    assert found["indexes"]["ByStatus"] == {"expected": with_status, "actual": with_status - 2}
    assert 1 <= found["buckets_differing"] <= 4

    # Cut into tasks as on Spark (a slice of the rows and a segment of the table each, run here in
    # a loop): the same result, whatever the number of tasks.
    for total in (1, 3, 7):
        split = split_compare(ddb, table, total)
        assert split.to_doc() == {**found, "ok": False}, total


def split_compare(ddb: Any, table: str, total: int) -> verify.VerifyResult:
    sources = verify.sources_arg(sources_json((item_spec("v", table, SPECS), None)), table)
    layout = {"ByStatus": ["status"]}
    sources = [s.with_index_keys({"status"}) for s in sources]

    def rows_of(source: Any, index: int, n: int) -> Iterator[dict[str, Any]]:   # any disjoint, complete cut
        return iter([r for r in rows() if hash((r["PK"], r["SK"])) % n == index])

    def make_part(i: int) -> spark_verify.Part:
        return spark_verify.Part(i, total, table, ["PK", "SK"], {}, dynamodb=ddb, rows_of=rows_of)

    counts = {"ByStatus": verify.count_index(ddb, table, "ByStatus")}
    return spark_verify.compare_on(lambda fn, n: [fn(i) for i in range(n)], make_part, sources, table, ["PK", "SK"],
                                   layout, counts, total)


def test_a_version_guarded_source_rejects_rows_without_a_version_as_its_load_does() -> None:
    (source,) = verify.sources_arg(sources_json((item_spec("v", "T", SPECS, write_mode="version_guarded",
                                                           version_column="total"), None)), "T")
    assert (source.spec.write_mode, source.spec.version_column) == ("version_guarded", "total")
    result = verify.VerifyResult(table="T")
    got = list(verify.expected_stream([source], lambda s: iter([{"PK": "a", "SK": 1, "total": 2},
                                                                {"PK": "b", "SK": 2, "total": None}]),
                                      ["PK", "SK"], result))
    assert [key for key, _ in got] == [("a", 1)] and (result.rows, result.rejected) == (2, 1)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_numbers_dynamodb_treats_as_equal_digest_the_same(value: Any) -> None:
    a = {"PK": {"S": "k"}, "n": {"N": str(value)}}
    b = {"PK": {"S": "k"}, "n": {"N": format(value.normalize(), "f")}}
    assert verify.digest(a) == verify.digest(b)
    assert verify.digest(a) != verify.digest({"PK": {"S": "k"}, "n": {"S": str(value)}})


def test_a_failing_task_stops_the_comparison_with_one_sentence() -> None:
    """A task never raises (Spark would wrap it in Java and Python tracebacks): the driver raises once."""
    sources = [verify.Source(item_spec("v", "T", SPECS)).with_index_keys(set())]

    def rows_of(source: Any, index: int, n: int) -> Iterator[dict[str, Any]]:
        if index == 1:
            raise ConnectionError("MySQL went away\nat line 3")
        return iter([])

    class NoItems:
        def scan(self, **_: Any) -> dict[str, Any]:
            return {"Items": []}

    with pytest.raises(verify.VerifyError) as raised:
        spark_verify.compare_on(lambda fn, n: [fn(i) for i in range(n)],
                                lambda i: spark_verify.Part(i, 3, "T", ["PK", "SK"], {}, dynamodb=NoItems(),
                                                            rows_of=rows_of),
                                sources, "T", ["PK", "SK"], {}, {}, 3)
    assert str(raised.value) == "task 1: ConnectionError: MySQL went away at line 3"
