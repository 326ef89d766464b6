"""The `awslabs_dynamodb` adapter against the real PyPI server (`awslabs.dynamodb-mcp-server`
1.0.9, in its own venv from .ci/install) and the real moto server, over stdio.

Every expectation comes from boto3 talking to moto directly (or from the items the test put),
never from the adapter's own output. Throttling is injected by a proxy between the server and
moto (moto never throttles)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from mcp.types import CallToolResult, TextContent

from migrator.mcp.adapters.awslabs_dynamodb import AwsLabsDynamoDB, recognise
from migrator.mcp.client import McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.errors import ErrorCode, ToolError
from tests.helpers import aws, third_party_server
from tests.reliability.throttle_proxy import Throttling, throttling_proxy

pytestmark = pytest.mark.anyio
PACKAGE, VERSION = "awslabs.dynamodb-mcp-server", "1.0.9"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.asynccontextmanager
async def adapter(sandbox: Any, tmp_path: Path, env: Mapping[str, str] | None = None) -> AsyncIterator[AwsLabsDynamoDB]:
    servers = {"ddb": {"command": third_party_server(PACKAGE, VERSION), "args": [],
                       "env": {**sandbox.aws_env(), **(env or {})}}}
    config = parse_config({"mcpServers": servers,
                           "migrator": {"roles": {"dynamodb": {"server": "ddb", "adapter": "awslabs_dynamodb"}}}},
                          None, os.environ)
    async with McpHub(config, log_dir=tmp_path / "logs") as hub:
        yield AwsLabsDynamoDB(hub, "ddb")


def spec(name: str) -> dict[str, Any]:
    return {"table_name": name, "billing_mode": "PAY_PER_REQUEST",
            "key_schema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "attribute_definitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "N"},
                                      {"AttributeName": "g", "AttributeType": "S"}],
            "global_secondary_indexes": [{"IndexName": "ByG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "tags": {"managed-by": "migrator", "migrator-lineage": "L1"}}


async def test_every_control_plane_operation_and_the_checks_counts(sandbox: Any, tmp_path: Path) -> None:
    ddb = aws(sandbox, "dynamodb")
    name = f"aw-{uuid.uuid4().hex[:10]}"
    async with adapter(sandbox, tmp_path) as a:
        created = await a.create_table(spec(name))
        assert created["TableName"] == name
        active = await a.wait_for_table(name, "ACTIVE")
        assert active["TableStatus"] == "ACTIVE" and name in await a.list_tables()
        real = ddb.describe_table(TableName=name)["Table"]
        assert (await a.describe_table(name))["KeySchema"] == real["KeySchema"]
        assert await a.list_tags(name) == {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(
            ResourceArn=real["TableArn"])["Tags"]} == {"managed-by": "migrator", "migrator-lineage": "L1"}
        assert await a.describe_continuous_backups(name) == ddb.describe_continuous_backups(
            TableName=name)["ContinuousBackupsDescription"]
        assert await a.describe_time_to_live(name) == ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

        items = [{"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}, **({"g": {"S": "x"}} if i % 3 == 0 else {}),
                  **({"h": {"N": str(i)}} if i % 4 == 0 else {})} for i in range(60)]
        for item in items:
            ddb.put_item(TableName=name, Item=item)
        await a.update_table(name, attribute_definitions=[{"AttributeName": "h", "AttributeType": "N"}],
                             create_gsi={"IndexName": "ByH", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "ALL"}})
        await a.wait_for_table(name, "ACTIVE")
        indexes = {g["IndexName"] for g in ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]}
        assert indexes == {"ByG", "ByH"}

        total, carrying = await a.count_carrying(name, {"ByG": ["g"], "ByH": ["h"], "both": ["g", "h"]})
        assert total == len(items) == await a.count_items(name)
        assert carrying == {"ByG": sum("g" in i for i in items), "ByH": sum("h" in i for i in items),
                            "both": sum("g" in i and "h" in i for i in items)}
        assert await a.count_items(name, index="ByG") == ddb.scan(TableName=name, IndexName="ByG",
                                                                  Select="COUNT")["Count"]
        wanted = [{"pk": i["pk"], "sk": i["sk"]} for i in items[:5]] + [{"pk": {"S": "absent"}, "sk": {"N": "1"}}]
        found, unprocessed = await a.batch_get(name, wanted)
        assert unprocessed == [] and sorted(found, key=lambda i: int(i["sk"]["N"])) == items[:5]
        page = await a.scan_page(name, limit=1, select="COUNT")
        assert page["count"] == 1 and page["last_evaluated_key"] and page["items"] == []

        with pytest.raises(ToolError) as unsupported:
            await a.batch_write(name, items[:1])
        assert unsupported.value.code is ErrorCode.UNSUPPORTED

        assert await a.delete_table(name) is not None
        await a.wait_for_table(name, "DELETED")
        assert await a.describe_table(name) is None and await a.delete_table(name) is None
        assert name not in ddb.list_tables()["TableNames"]


async def test_errors_are_recognised_from_the_servers_own_answers(sandbox: Any, tmp_path: Path) -> None:
    ddb = aws(sandbox, "dynamodb")
    name = f"aw-{uuid.uuid4().hex[:10]}"
    async with adapter(sandbox, tmp_path) as a:
        with pytest.raises(ToolError) as missing:
            await a.update_table(f"{name}-none", billing_mode="PAY_PER_REQUEST")
        assert missing.value.code is ErrorCode.NOT_FOUND
        await a.create_table(spec(name))
        with pytest.raises(ToolError) as exists:
            await a.create_table(spec(name))
        assert exists.value.code is ErrorCode.ALREADY_EXISTS
        with pytest.raises(ToolError) as invalid:
            await a.scan_page(name, limit=-5)
        assert invalid.value.code is ErrorCode.INVALID
    async with adapter(sandbox, tmp_path, {"DDB-MCP-READONLY": "true"}) as read_only:
        with pytest.raises(ToolError) as denied:
            await read_only.delete_table(name)
        assert denied.value.code is ErrorCode.ACCESS_DENIED and "DDB-MCP-READONLY" in str(denied.value)
    assert ddb.describe_table(TableName=name)["Table"]["TableName"] == name      # nothing was deleted
    throttling = Throttling(fraction=0.0, always_throttle="DynamoDB_20120810.Scan")
    with throttling_proxy(sandbox.endpoint, throttling) as proxy:
        # AWS_MAX_ATTEMPTS: the SDK inside the server would otherwise retry 10 times with backoff per call
        async with adapter(sandbox, tmp_path, {"AWS_ENDPOINT_URL": proxy.endpoint, "AWS_MAX_ATTEMPTS": "2"}) as throttled:
            with pytest.raises(ToolError) as slow:
                await throttled.count_items(name)
            assert slow.value.code is ErrorCode.THROTTLED
    assert throttling.errors["*"] >= 2        # the server's SDK and the hub both tried again
    ddb.delete_table(TableName=name)


def answer(text: str, is_error: bool = False) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], isError=is_error)


@pytest.mark.parametrize(("text", "is_error", "code"), [
    ('{"error": "An error occurred (AccessDeniedException) when calling the Scan operation: not authorised"}', False,
     ErrorCode.ACCESS_DENIED),
    ('{"error": "Could not connect to the endpoint URL: \\"http://127.0.0.1:1/\\""}', False, ErrorCode.UNAVAILABLE),
    ("Error executing tool scan: 1 validation error for scanArguments", True, ErrorCode.INVALID),
    ("this is not JSON", False, ErrorCode.INTERNAL),
    ("[1, 2]", False, ErrorCode.INTERNAL),
])
def test_malformed_and_unusual_answers_are_one_error_each(text: str, is_error: bool, code: ErrorCode) -> None:
    with pytest.raises(ToolError) as raised:
        recognise(answer(text, is_error))
    assert raised.value.code is code and "\n" not in str(raised.value)
