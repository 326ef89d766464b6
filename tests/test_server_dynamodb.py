"""The built-in DynamoDB MCP server over a real stdio session against the sandbox's moto.

Every effect is checked with boto3 straight against the emulator, not only through the
server's own answers.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import StdioServer, builtin_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOOLS = {"list_tables", "create_table", "describe_table", "update_table", "delete_table", "wait_for_table",
         "batch_write", "batch_get", "query", "scan", "count_items", "describe_continuous_backups",
         "update_continuous_backups", "describe_time_to_live", "update_time_to_live", "list_tags", "tag_table",
         "untag_table"}

KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
GSI_ATTR = {"AttributeName": "g", "AttributeType": "S"}


def gsi(name: str = "by_g") -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}


def item(pk: str, sk: int, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, **extra}


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def server(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioServer]:
    log: Path = tmp_path_factory.mktemp("ddb-server") / "server.log"
    with builtin_server("dynamodb", sandbox.aws_env(), log) as srv:
        yield srv


@pytest.fixture(scope="module")
def ddb(sandbox: Any) -> Any:
    return boto3.client("dynamodb", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _drop(ddb: Any, name: str) -> None:
    try:
        ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
        ddb.delete_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass


@pytest.fixture
def table(ddb: Any) -> Iterator[str]:
    """A fresh table (pk S, sk N, GSI by_g on g) made directly with boto3."""
    name = unique()
    ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=[*ATTRS, GSI_ATTR],
                     GlobalSecondaryIndexes=[gsi()], BillingMode="PAY_PER_REQUEST")
    yield name
    _drop(ddb, name)


@pytest.fixture(scope="module")
def shared_table(ddb: Any) -> Iterator[str]:
    name = unique("prop")
    ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST")
    yield name
    _drop(ddb, name)


def ok(doc: dict[str, Any]) -> Any:
    assert doc["ok"], doc
    return doc["result"]


def error_code(doc: dict[str, Any]) -> str:
    assert not doc["ok"], doc
    return doc["error"]["code"]


def all_items(ddb: Any, name: str) -> list[dict[str, Any]]:
    return [i for page in ddb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
            for i in page["Items"]]


def put_direct(ddb: Any, name: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        chunk = items[start:start + 25]
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": i}} for i in chunk]})


# ------------------------------------------------------------------ tables

def test_lists_every_tool_with_truthful_hints(server: StdioServer) -> None:
    assert server.tool_names() == TOOLS
    listed = {t.name: t for t in server._portal.call(server.session.list_tools).tools}
    assert listed["describe_table"].annotations.readOnlyHint is True
    assert listed["delete_table"].annotations.readOnlyHint is False
    assert listed["query"].inputSchema["required"] == ["table_name", "key_condition_expression"]


def test_create_describe_delete_table(server: StdioServer, ddb: Any) -> None:
    name = unique()
    created = ok(server.call("create_table", table_name=name, key_schema=KEY_SCHEMA,
                             attribute_definitions=[*ATTRS, GSI_ATTR], global_secondary_indexes=[gsi()],
                             tags={"team": "data", "env": "test"}))
    try:
        assert created["TableName"] == name
        real = ddb.describe_table(TableName=name)["Table"]
        assert real["KeySchema"] == KEY_SCHEMA
        assert real["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert [g["IndexName"] for g in real["GlobalSecondaryIndexes"]] == ["by_g"]
        tags = ddb.list_tags_of_resource(ResourceArn=real["TableArn"])["Tags"]
        assert {t["Key"]: t["Value"] for t in tags} == {"team": "data", "env": "test"}

        again = server.call("create_table", table_name=name, key_schema=KEY_SCHEMA, attribute_definitions=ATTRS)
        assert error_code(again) == "already_exists"
        assert name in again["error"]["message"]

        described = ok(server.call("describe_table", table_name=name))
        assert described["TableArn"] == real["TableArn"]
        assert described["TableStatus"] == "ACTIVE"
        assert isinstance(described["CreationDateTime"], str)  # datetimes arrive as ISO text

        deleted = ok(server.call("delete_table", table_name=name))
        assert deleted["TableName"] == name
        with pytest.raises(ddb.exceptions.ResourceNotFoundException):
            ddb.describe_table(TableName=name)
        assert ok(server.call("wait_for_table", table_name=name, state="DELETED"))["table_status"] == "DELETED"
    finally:
        _drop(ddb, name)
    for tool in ("describe_table", "delete_table"):
        doc = server.call(tool, table_name=name)
        assert error_code(doc) == "not_found"
        assert name in doc["error"]["message"]


def test_create_table_provisioned_and_protected(server: StdioServer, ddb: Any) -> None:
    name = unique()
    assert error_code(server.call("create_table", table_name=name, key_schema=KEY_SCHEMA,
                                  attribute_definitions=ATTRS, billing_mode="PROVISIONED")) == "invalid"
    ok(server.call("create_table", table_name=name, key_schema=KEY_SCHEMA, attribute_definitions=ATTRS,
                   billing_mode="PROVISIONED", provisioned_throughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
                   deletion_protection=True))
    try:
        real = ddb.describe_table(TableName=name)["Table"]
        assert real["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
        assert real["DeletionProtectionEnabled"] is True
        assert error_code(server.call("delete_table", table_name=name)) == "invalid"
        assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        ok(server.call("update_table", table_name=name, deletion_protection=False, billing_mode="PAY_PER_REQUEST"))
        real = ddb.describe_table(TableName=name)["Table"]
        assert real["DeletionProtectionEnabled"] is False
        assert real["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    finally:
        _drop(ddb, name)


def test_list_tables_pages(server: StdioServer, ddb: Any) -> None:
    mine = sorted(unique("page") for _ in range(3))
    for name in mine:
        ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA[:1], AttributeDefinitions=ATTRS[:1],
                         BillingMode="PAY_PER_REQUEST")
    try:
        seen: list[str] = []
        start: str | None = None
        while True:
            page = ok(server.call("list_tables", exclusive_start_table_name=start, limit=2))
            assert len(page["table_names"]) <= 2
            seen += page["table_names"]
            start = page["last_evaluated_table_name"]
            if start is None:
                break
        direct = [n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]]
        assert seen == direct
        assert set(mine) <= set(seen)
        assert error_code(server.call("list_tables", limit=0)) == "invalid"
    finally:
        for name in mine:
            _drop(ddb, name)


def test_update_table_one_gsi_change_per_call(server: StdioServer, ddb: Any, table: str) -> None:
    second = {"IndexName": "by_h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
              "Projection": {"ProjectionType": "KEYS_ONLY"}}
    both = server.call("update_table", table_name=table, create_gsi=second, delete_gsi="by_g",
                       attribute_definitions=[*ATTRS, GSI_ATTR, {"AttributeName": "h", "AttributeType": "S"}])
    assert error_code(both) == "invalid"
    assert "one GSI" in both["error"]["message"]
    indexes = ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    assert [g["IndexName"] for g in indexes] == ["by_g"]

    assert error_code(server.call("update_table", table_name=table)) == "invalid"

    ok(server.call("update_table", table_name=table, create_gsi=second,
                   attribute_definitions=[*ATTRS, GSI_ATTR, {"AttributeName": "h", "AttributeType": "S"}]))
    waited = ok(server.call("wait_for_table", table_name=table, timeout_seconds=30))
    assert waited["table_status"] == "ACTIVE"
    assert waited["gsi_statuses"] == {"by_g": "ACTIVE", "by_h": "ACTIVE"}
    names = {g["IndexName"] for g in ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]}
    assert names == {"by_g", "by_h"}

    ok(server.call("update_table", table_name=table, delete_gsi="by_g"))
    names = {g["IndexName"] for g in ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]}
    assert names == {"by_h"}
    missing = server.call("update_table", table_name=unique("missing"), deletion_protection=True)
    assert error_code(missing) == "not_found"


def test_wait_for_table_times_out_with_last_status(server: StdioServer, table: str) -> None:
    doc = server.call("wait_for_table", table_name=table, state="DELETED", timeout_seconds=0.3)
    assert error_code(doc) == "timeout"
    assert doc["error"]["details"]["table_status"] == "ACTIVE"
    assert doc["error"]["details"]["gsi_statuses"] == {"by_g": "ACTIVE"}
    assert "ACTIVE" in doc["error"]["message"]
    assert error_code(server.call("wait_for_table", table_name=unique("missing"))) == "not_found"
    assert ok(server.call("wait_for_table", table_name=unique("gone"), state="DELETED"))["table_status"] == "DELETED"


# ------------------------------------------------------------------ items

def test_batch_write_puts_and_deletes(server: StdioServer, ddb: Any, table: str) -> None:
    blob = bytes(range(256))
    puts = [item("a", n, name={"S": f"名前 {n} ✓"}, g={"S": f"g{n % 3}"}) for n in range(24)]
    puts.append(item("bin", 0, data={"B": base64.b64encode(blob).decode()},
                     nested={"M": {"list": {"L": [{"B": base64.b64encode(b"\x00\x01").decode()}, {"N": "1.50"}]}}}))
    result = ok(server.call("batch_write", table_name=table, put_items=puts))
    assert result["unprocessed_puts"] == [] and result["unprocessed_deletes"] == []

    stored = {(i["pk"]["S"], int(i["sk"]["N"])): i for i in all_items(ddb, table)}
    assert len(stored) == 25
    assert stored[("a", 7)]["name"] == {"S": "名前 7 ✓"}
    assert stored[("bin", 0)]["data"] == {"B": blob}
    assert stored[("bin", 0)]["nested"]["M"]["list"]["L"][0] == {"B": b"\x00\x01"}

    twenty_six = [item("x", n) for n in range(26)]
    doc = server.call("batch_write", table_name=table, put_items=twenty_six)
    assert error_code(doc) == "invalid"
    assert "25" in doc["error"]["message"]
    assert error_code(server.call("batch_write", table_name=table, put_items=twenty_six[:20],
                                  delete_keys=[item("a", n) for n in range(6)])) == "invalid"
    assert len(all_items(ddb, table)) == 25  # nothing of a refused batch was written

    dup = server.call("batch_write", table_name=table, put_items=[item("d", 1)], delete_keys=[item("d", 1)])
    assert error_code(dup) == "invalid"
    assert "put_items[0]" in dup["error"]["message"] and "delete_keys[0]" in dup["error"]["message"]
    assert error_code(server.call("batch_write", table_name=table, put_items=[{"pk": {"S": "no-sk"}}])) == "invalid"
    assert error_code(server.call("batch_write", table_name=table)) == "invalid"
    assert error_code(server.call("batch_write", table_name=table,
                                  put_items=[item("b", 1, data={"B": "not base64!"})])) == "invalid"

    ok(server.call("batch_write", table_name=table, put_items=[item("new", 1)],
                   delete_keys=[item("a", n) for n in range(10)]))
    remaining = {(i["pk"]["S"], int(i["sk"]["N"])) for i in all_items(ddb, table)}
    assert len(remaining) == 16
    assert ("new", 1) in remaining and ("a", 3) not in remaining

    assert error_code(server.call("batch_write", table_name=unique("missing"), put_items=[item("a", 1)])) == "not_found"


def test_batch_get(server: StdioServer, ddb: Any, table: str) -> None:
    put_direct(ddb, table, [item("k", n, v={"S": f"v{n}"}, b={"B": bytes([n])}) for n in range(5)])
    result = ok(server.call("batch_get", table_name=table, keys=[item("k", 1), item("k", 3), item("k", 99)],
                            consistent_read=True))
    got = sorted(result["items"], key=lambda i: int(i["sk"]["N"]))
    assert [i["v"]["S"] for i in got] == ["v1", "v3"]
    assert base64.b64decode(got[1]["b"]["B"]) == bytes([3])  # binary comes back as base64 text
    assert result["unprocessed_keys"] == []
    direct = ddb.get_item(TableName=table, Key=item("k", 3))["Item"]
    assert direct["v"] == got[1]["v"]

    projected = ok(server.call("batch_get", table_name=table, keys=[item("k", 2)], projection_expression="#v",
                               expression_attribute_names={"#v": "v"}))
    assert projected["items"] == [{"v": {"S": "v2"}}]

    assert error_code(server.call("batch_get", table_name=table, keys=[item("k", n) for n in range(101)])) == "invalid"
    assert error_code(server.call("batch_get", table_name=table, keys=[item("k", 1), item("k", 1)])) == "invalid"
    assert error_code(server.call("batch_get", table_name=unique("missing"), keys=[item("k", 1)])) == "not_found"


def test_query_pages_and_index(server: StdioServer, ddb: Any, table: str) -> None:
    put_direct(ddb, table, [item("q", n, g={"S": "even" if n % 2 == 0 else "odd"}) for n in range(7)]
               + [item("other", 1, g={"S": "even"})])
    values = {":p": {"S": "q"}}
    seen: list[int] = []
    start = None
    pages = 0
    while True:
        page = ok(server.call("query", table_name=table, key_condition_expression="pk = :p",
                              expression_attribute_values=values, limit=3, exclusive_start_key=start,
                              consistent_read=True))
        pages += 1
        seen += [int(i["sk"]["N"]) for i in page["items"]]
        start = page["last_evaluated_key"]
        if start is None:
            break
    direct = ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues=values)
    assert seen == [int(i["sk"]["N"]) for i in direct["Items"]] == list(range(7))
    assert pages >= 3

    desc = ok(server.call("query", table_name=table, key_condition_expression="pk = :p AND sk > :s",
                          expression_attribute_values={":p": {"S": "q"}, ":s": {"N": "3"}},
                          scan_index_forward=False))
    assert [int(i["sk"]["N"]) for i in desc["items"]] == [6, 5, 4]

    by_index = ok(server.call("query", table_name=table, index_name="by_g", key_condition_expression="#g = :g",
                              expression_attribute_names={"#g": "g"}, expression_attribute_values={":g": {"S": "even"}},
                              select="COUNT"))
    assert by_index["count"] == 5 and by_index["items"] == []

    filtered = ok(server.call("query", table_name=table, key_condition_expression="pk = :p",
                              filter_expression="g = :odd",
                              expression_attribute_values={":p": {"S": "q"}, ":odd": {"S": "odd"}}))
    assert filtered["count"] == 3 and filtered["scanned_count"] == 7

    bad = server.call("query", table_name=table, key_condition_expression="pk = :nope",
                      expression_attribute_values=values)
    assert error_code(bad) == "invalid"
    assert error_code(server.call("query", table_name=unique("missing"), key_condition_expression="pk = :p",
                                  expression_attribute_values=values)) == "not_found"


def test_scan_is_one_page_per_call(server: StdioServer, ddb: Any, table: str) -> None:
    written = [item(f"s{n}", n, g={"S": "x"}) for n in range(7)]
    put_direct(ddb, table, written)
    collected: list[dict[str, Any]] = []
    start = None
    calls = 0
    while True:
        page = ok(server.call("scan", table_name=table, limit=3, exclusive_start_key=start))
        calls += 1
        assert len(page["items"]) <= 3 and page["count"] == len(page["items"])
        collected += page["items"]
        start = page["last_evaluated_key"]
        if start is None:
            break
    assert calls >= 3
    assert sorted(collected, key=str) == sorted(all_items(ddb, table), key=str)

    counted = ok(server.call("scan", table_name=table, select="COUNT", filter_expression="sk < :n",
                             expression_attribute_values={":n": {"N": "4"}}))
    assert counted["count"] == 4 and counted["items"] == []
    projected = ok(server.call("scan", table_name=table, projection_expression="pk", limit=1))
    assert list(projected["items"][0]) == ["pk"]

    segments = [ok(server.call("scan", table_name=table, segment=s, total_segments=2))["items"] for s in range(2)]
    assert sum(len(s) for s in segments) == 7
    assert error_code(server.call("scan", table_name=table, segment=0)) == "invalid"
    assert error_code(server.call("scan", table_name=unique("missing"))) == "not_found"


def test_count_items_over_all_segments(server: StdioServer, ddb: Any, table: str) -> None:
    written = [item(f"c{n}", n, **({"g": {"S": "on"}} if n % 4 == 0 else {})) for n in range(90)]
    put_direct(ddb, table, written)
    result = ok(server.call("count_items", table_name=table, total_segments=3))
    assert result["count"] == result["scanned_count"] == len(written) == len(all_items(ddb, table))
    assert result["pages"] >= 3
    single = ok(server.call("count_items", table_name=table))
    assert single["count"] == 90
    sparse = ok(server.call("count_items", table_name=table, index_name="by_g", total_segments=2))
    assert sparse["count"] == 23  # only the items holding the GSI key
    assert error_code(server.call("count_items", table_name=table, total_segments=0)) == "invalid"
    assert error_code(server.call("count_items", table_name=unique("missing"), total_segments=3)) == "not_found"


def test_count_items_counts_the_items_carrying_each_attribute_set_in_the_same_pass(
        server: StdioServer, ddb: Any, table: str) -> None:
    written = [item(f"c{n}", n, **({"g": {"S": "on"}} if n % 3 == 0 else {}),
                    **({"h.x": {"N": str(n)}} if n % 5 == 0 else {})) for n in range(70)]
    put_direct(ddb, table, written)
    sets = {"by_g": ["g"], "both": ["g", "h.x"], "keys": ["pk", "sk"]}
    result = ok(server.call("count_items", table_name=table, total_segments=3, carrying=sets))
    stored = all_items(ddb, table)   # boto3's own scan, counted here
    assert result["count"] == len(stored) == 70
    assert result["carrying"] == {name: sum(1 for i in stored if all(a in i for a in attrs))
                                  for name, attrs in sets.items()}
    assert result["carrying"]["by_g"] == ok(server.call("count_items", table_name=table, index_name="by_g"))["count"]
    assert "items" not in result   # only numbers leave the server
    assert error_code(server.call("count_items", table_name=table, carrying={"x": []})) == "invalid"


# ------------------------------------------------------------------ settings

def test_continuous_backups_and_ttl(server: StdioServer, ddb: Any, table: str) -> None:
    before = ok(server.call("describe_continuous_backups", table_name=table))
    assert before["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    ok(server.call("update_continuous_backups", table_name=table, enabled=True))
    real = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert real["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    assert ok(server.call("describe_time_to_live", table_name=table))["TimeToLiveStatus"] == "DISABLED"
    assert ok(server.call("update_time_to_live", table_name=table, attribute_name="expires", enabled=True))["changed"]
    real_ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert real_ttl["TimeToLiveStatus"] == "ENABLED" and real_ttl["AttributeName"] == "expires"
    again = ok(server.call("update_time_to_live", table_name=table, attribute_name="expires", enabled=True))
    assert again["changed"] is False
    ok(server.call("update_time_to_live", table_name=table, attribute_name="expires", enabled=False))
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"

    missing = unique("missing")
    for tool, extra in [("describe_continuous_backups", {}), ("update_continuous_backups", {"enabled": True}),
                        ("describe_time_to_live", {}),
                        ("update_time_to_live", {"attribute_name": "x", "enabled": True})]:
        assert error_code(server.call(tool, table_name=missing, **extra)) == "not_found", tool


def test_tags(server: StdioServer, ddb: Any, table: str) -> None:
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]

    def real_tags() -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}

    assert ok(server.call("list_tags", table_name=table)) == {"table_arn": arn, "tags": {}}
    after = ok(server.call("tag_table", table_name=table, tags={"owner": "migrator", "cost": "42"}))
    assert after["tags"] == real_tags() == {"owner": "migrator", "cost": "42"}
    after = ok(server.call("untag_table", table_name=table, keys=["cost", "absent"]))
    assert after["tags"] == real_tags() == {"owner": "migrator"}
    assert ok(server.call("list_tags", table_name=table))["tags"] == {"owner": "migrator"}
    assert error_code(server.call("tag_table", table_name=table, tags={})) == "invalid"
    for tool, extra in [("list_tags", {}), ("tag_table", {"tags": {"a": "b"}}), ("untag_table", {"keys": ["a"]})]:
        assert error_code(server.call(tool, table_name=unique("missing"), **extra)) == "not_found", tool


# ------------------------------------------------------------------ properties

ATTRIBUTE_VALUES = st.one_of(
    st.text(max_size=40).map(lambda s: {"S": s}),
    st.binary(min_size=1, max_size=40).map(lambda b: {"B": base64.b64encode(b).decode()}),
    st.integers(min_value=-10**12, max_value=10**12).map(lambda n: {"N": str(n)}),
    st.booleans().map(lambda b: {"BOOL": b}),
)
ATTRIBUTE_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda k: k not in {"pk", "sk"})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.dictionaries(ATTRIBUTE_NAMES, ATTRIBUTE_VALUES, max_size=4))
def test_any_item_round_trips(server: StdioServer, ddb: Any, shared_table: str, values: dict[str, Any]) -> None:
    key = item(uuid.uuid4().hex, 1)
    ok(server.call("batch_write", table_name=shared_table, put_items=[{**key, **values}]))
    got = ok(server.call("batch_get", table_name=shared_table, keys=[key], consistent_read=True))["items"]
    assert got == [{**key, **values}]
    direct = ddb.get_item(TableName=shared_table, Key=key, ConsistentRead=True)["Item"]
    for name, value in values.items():
        expected = {"B": base64.b64decode(value["B"])} if "B" in value else value
        assert direct[name] == expected
