"""The built-in S3 MCP server over a real stdio session against the sandbox's moto.

Every effect is checked with boto3 straight against the emulator, not only through the
server's own answers.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import StdioServer, builtin_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOOLS = {"list_buckets", "create_bucket", "delete_bucket", "put_object", "get_object", "head_object",
         "delete_object", "list_objects"}


def unique(prefix: str = "b") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def server(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioServer]:
    log: Path = tmp_path_factory.mktemp("s3-server") / "server.log"
    with builtin_server("s3", sandbox.aws_env(), log) as srv:
        yield srv


@pytest.fixture(scope="module")
def s3(sandbox: Any) -> Any:
    return boto3.client("s3", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _drop(s3: Any, bucket: str) -> None:
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
        s3.delete_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucket":
            raise


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    name = unique()
    s3.create_bucket(Bucket=name)
    yield name
    _drop(s3, name)


@pytest.fixture(scope="module")
def shared_bucket(s3: Any) -> Iterator[str]:
    name = unique("prop")
    s3.create_bucket(Bucket=name)
    yield name
    _drop(s3, name)


def ok(doc: dict[str, Any]) -> Any:
    assert doc["ok"], doc
    return doc["result"]


def error_code(doc: dict[str, Any]) -> str:
    assert not doc["ok"], doc
    return doc["error"]["code"]


def exists(s3: Any, bucket: str, key: str | None = None) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key) if key is not None else s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NoSuchBucket"}:
            return False
        raise
    return True


# ------------------------------------------------------------------ buckets

def test_lists_every_tool_with_truthful_hints(server: StdioServer) -> None:
    assert server.tool_names() == TOOLS
    listed = {t.name: t for t in server._portal.call(server.session.list_tools).tools}
    assert listed["head_object"].annotations.readOnlyHint is True
    assert listed["delete_bucket"].annotations.readOnlyHint is False


def test_create_bucket_is_idempotent(server: StdioServer, s3: Any) -> None:
    name, far = unique(), unique("eu")
    try:
        assert ok(server.call("create_bucket", bucket=name)) == {"bucket": name, "created": True}
        assert exists(s3, name)
        assert ok(server.call("create_bucket", bucket=name)) == {"bucket": name, "created": False}

        assert ok(server.call("create_bucket", bucket=far, region="eu-west-1"))["created"] is True
        assert s3.get_bucket_location(Bucket=far)["LocationConstraint"] == "eu-west-1"
        assert ok(server.call("create_bucket", bucket=far, region="eu-west-1"))["created"] is False

        listed = {b["name"] for b in ok(server.call("list_buckets"))["buckets"]}
        assert listed == {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert {name, far} <= listed
        assert error_code(server.call("create_bucket", bucket="No_Such-Bucket!")) == "invalid"
    finally:
        _drop(s3, name)
        _drop(s3, far)


def test_delete_bucket(server: StdioServer, s3: Any) -> None:
    name = unique()
    s3.create_bucket(Bucket=name)
    try:
        for n in range(5):
            s3.put_object(Bucket=name, Key=f"dir/{n}.txt", Body=b"x")
        refused = server.call("delete_bucket", bucket=name)
        assert error_code(refused) == "conflict"
        assert "force" in refused["error"]["message"]
        assert exists(s3, name, "dir/0.txt")

        result = ok(server.call("delete_bucket", bucket=name, force=True))
        assert result == {"bucket": name, "deleted": True, "objects_deleted": 5}
        assert not exists(s3, name)
    finally:
        _drop(s3, name)
    missing = server.call("delete_bucket", bucket=name)
    assert error_code(missing) == "not_found"
    assert name in missing["error"]["message"]
    assert error_code(server.call("delete_bucket", bucket=name, force=True)) == "not_found"


def test_force_delete_removes_every_version(server: StdioServer, s3: Any) -> None:
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    try:
        for body in (b"one", b"two"):
            s3.put_object(Bucket=name, Key="k", Body=body)
        s3.delete_object(Bucket=name, Key="k")  # leaves a delete marker over two versions
        assert ok(server.call("delete_bucket", bucket=name, force=True))["objects_deleted"] == 3
        assert not exists(s3, name)
    finally:
        _drop(s3, name)


# ------------------------------------------------------------------ objects

def test_put_get_head_unicode_text(server: StdioServer, s3: Any, bucket: str) -> None:
    text = "déjà vu — 日本語 ✓ 🚀\nline two\n"
    data = text.encode("utf-8")
    put = ok(server.call("put_object", bucket=bucket, key="scripts/job.py", content=text,
                         content_type="text/x-python", metadata={"Owner": "migrator"}))
    direct = s3.get_object(Bucket=bucket, Key="scripts/job.py")
    assert direct["Body"].read() == data
    assert direct["Metadata"] == {"owner": "migrator", "sha256": sha(data)}
    assert direct["ContentType"] == "text/x-python"
    assert put == {"bucket": bucket, "key": "scripts/job.py", "size": len(data), "sha256": sha(data),
                   "etag": direct["ETag"].strip('"'), "version_id": None}

    got = ok(server.call("get_object", bucket=bucket, key="scripts/job.py"))
    assert got["encoding"] == "utf-8" and got["content"] == text and "content_base64" not in got
    assert got["size"] == len(data) and got["sha256"] == sha(data)
    assert got["content_type"] == "text/x-python" and got["metadata"]["owner"] == "migrator"

    head = ok(server.call("head_object", bucket=bucket, key="scripts/job.py"))
    assert head["size"] == len(data) and head["sha256"] == sha(data) and head["etag"] == put["etag"]
    assert head["content_type"] == "text/x-python" and isinstance(head["last_modified"], str)


def test_put_get_binary(server: StdioServer, s3: Any, bucket: str) -> None:
    data = bytes(range(256)) * 3 + b"\xff\xfe"
    put = ok(server.call("put_object", bucket=bucket, key="runtime.zip",
                         content_base64=base64.b64encode(data).decode()))
    assert put["sha256"] == sha(data) and put["size"] == len(data)
    assert s3.get_object(Bucket=bucket, Key="runtime.zip")["Body"].read() == data

    got = ok(server.call("get_object", bucket=bucket, key="runtime.zip"))
    assert got["encoding"] == "base64" and "content" not in got
    assert base64.b64decode(got["content_base64"]) == data
    assert got["sha256"] == sha(data)


def test_head_sha256_is_null_for_foreign_objects(server: StdioServer, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="foreign", Body=b"abc")
    head = ok(server.call("head_object", bucket=bucket, key="foreign"))
    assert head["sha256"] is None and head["size"] == 3
    assert ok(server.call("get_object", bucket=bucket, key="foreign"))["sha256"] == sha(b"abc")


def test_put_object_refuses_bad_input(server: StdioServer, s3: Any, bucket: str) -> None:
    cases = [{}, {"content": "a", "content_base64": "YQ=="}, {"content_base64": "not base64!"},
             {"content": "a", "metadata": {"sha256": "0" * 64}}]
    for extra in cases:
        assert error_code(server.call("put_object", bucket=bucket, key="bad", **extra)) == "invalid", extra
    assert not exists(s3, bucket, "bad")
    ok(server.call("put_object", bucket=bucket, key="empty", content=""))
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0
    assert error_code(server.call("put_object", bucket=unique("missing"), key="k", content="x")) == "not_found"


def test_get_object_refuses_more_than_max_bytes(server: StdioServer, bucket: str) -> None:
    ok(server.call("put_object", bucket=bucket, key="ten", content="0123456789"))
    assert ok(server.call("get_object", bucket=bucket, key="ten", max_bytes=10))["content"] == "0123456789"
    doc = server.call("get_object", bucket=bucket, key="ten", max_bytes=9)
    assert error_code(doc) == "limit_exceeded"
    assert doc["error"]["details"] == {"size": 10, "max_bytes": 9}
    assert error_code(server.call("get_object", bucket=bucket, key="ten", max_bytes=-1)) == "invalid"


def test_missing_objects_and_buckets(server: StdioServer, bucket: str) -> None:
    for tool in ("get_object", "head_object"):
        doc = server.call(tool, bucket=bucket, key="nope")
        assert error_code(doc) == "not_found", tool
        assert f"s3://{bucket}/nope" in doc["error"]["message"]
        assert error_code(server.call(tool, bucket=unique("missing"), key="nope")) == "not_found", tool
    assert error_code(server.call("list_objects", bucket=unique("missing"))) == "not_found"


def test_delete_object_is_idempotent(server: StdioServer, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    assert ok(server.call("delete_object", bucket=bucket, key="gone"))["deleted"] is True
    assert not exists(s3, bucket, "gone")
    assert ok(server.call("delete_object", bucket=bucket, key="gone"))["deleted"] is False
    assert error_code(server.call("delete_object", bucket=unique("missing"), key="gone")) == "not_found"


def test_list_objects_pages(server: StdioServer, s3: Any, bucket: str) -> None:
    keys = [f"data/{n:02d}.json" for n in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.put_object(Bucket=bucket, Key="other/x", Body=b"x")

    seen: list[dict[str, Any]] = []
    token = None
    pages = 0
    while True:
        page = ok(server.call("list_objects", bucket=bucket, prefix="data/", max_keys=2, continuation_token=token))
        pages += 1
        assert len(page["objects"]) <= 2
        seen += page["objects"]
        token = page["next_continuation_token"]
        if token is None:
            break
    assert pages == 3
    assert [o["key"] for o in seen] == keys
    direct = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket, Prefix="data/")["Contents"]}
    for obj in seen:
        assert obj["size"] == direct[obj["key"]]["Size"] == len(obj["key"])
        assert obj["etag"] == direct[obj["key"]]["ETag"].strip('"')
    everything = ok(server.call("list_objects", bucket=bucket))
    assert len(everything["objects"]) == 6 and everything["next_continuation_token"] is None
    assert error_code(server.call("list_objects", bucket=bucket, max_keys=0)) == "invalid"


@pytest.mark.parametrize("text", ["null", "true", "[1, 2]", '{"a": 1}', "42", '"quoted"'])
def test_text_that_looks_like_json_stays_text(server: StdioServer, s3: Any, shared_bucket: str, text: str) -> None:
    """FastMCP pre-parses JSON-looking strings; a text argument must arrive as the same text."""
    key = f"json-looking/{abs(hash(text))}"
    put = server.call("put_object", bucket=shared_bucket, key=key, content=text)
    assert put["ok"], put
    assert s3.get_object(Bucket=shared_bucket, Key=key)["Body"].read() == text.encode()


# ------------------------------------------------------------------ properties

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_any_content_round_trips(server: StdioServer, s3: Any, shared_bucket: str, body: str | bytes) -> None:
    key = f"prop/{uuid.uuid4().hex}"
    data = body.encode("utf-8") if isinstance(body, str) else body
    arg = {"content": body} if isinstance(body, str) else {"content_base64": base64.b64encode(body).decode()}
    put = ok(server.call("put_object", bucket=shared_bucket, key=key, **arg))
    assert put["size"] == len(data) and put["sha256"] == sha(data)
    got = ok(server.call("get_object", bucket=shared_bucket, key=key))
    back = got["content"].encode("utf-8") if got["encoding"] == "utf-8" else base64.b64decode(got["content_base64"])
    assert back == data and got["size"] == len(data) and got["sha256"] == sha(data)
    assert s3.get_object(Bucket=shared_bucket, Key=key)["Body"].read() == data
