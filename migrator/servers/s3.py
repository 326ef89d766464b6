"""The built-in S3 MCP server: buckets and small objects (job scripts, runtimes, manifests).

Every object written here carries the sha256 of its bytes in user metadata `sha256`, so a
later `head_object` can tell whether what is stored is what the plan expects without
downloading it. Reads are never truncated: an object larger than `max_bytes` is refused.
ETags are returned without their surrounding quotes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from mcp.server.fastmcp import FastMCP

from migrator.protocol import ErrorCode, aws_error_code
from migrator.servers import common
from migrator.servers.common import ToolFailure

DEFAULT_MAX_BYTES = 10_485_760
SHA256_META = "sha256"

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


@contextlib.contextmanager
def _missing_is_not_found(bucket: str, key: str | None = None) -> Iterator[None]:
    """HEAD answers a bare "404": say which bucket or object is missing instead."""
    try:
        yield
    except Exception as exc:
        code = aws_error_code(exc)
        if code not in _MISSING_CODES:
            raise
        if code == "NoSuchBucket" or key is None:
            message = f"bucket '{bucket}' does not exist"
        elif code == "NoSuchKey":
            message = f"object s3://{bucket}/{key} does not exist"
        else:
            message = f"object s3://{bucket}/{key} does not exist (or the bucket does not)"
        raise ToolFailure(ErrorCode.NOT_FOUND, message, aws_code=code) from exc


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _body_bytes(content: str | None, content_base64: str | None) -> bytes:
    """Exactly one of text or base64 content, as bytes."""
    if (content is None) == (content_base64 is None):
        raise ToolFailure(ErrorCode.INVALID, "give exactly one of content (text) or content_base64")
    if content is not None:
        return content.encode("utf-8")
    try:
        return base64.b64decode(content_base64 or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ToolFailure(ErrorCode.INVALID, "content_base64 is not valid base64") from exc


def _encode_body(data: bytes) -> dict[str, Any]:
    """UTF-8 text when the bytes are text, base64 otherwise."""
    try:
        return {"content": data.decode("utf-8"), "encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"content_base64": base64.b64encode(data).decode("ascii"), "encoding": "base64"}


def _bucket_tools(client: Any) -> list[tuple[Callable[..., Any], bool]]:
    def list_buckets() -> dict[str, Any]:
        """All buckets of the account, with creation dates."""
        resp = client.list_buckets()
        return {"buckets": [{"name": b["Name"], "creation_date": b.get("CreationDate")}
                            for b in resp.get("Buckets", [])]}

    def bucket_exists(bucket: str) -> bool:
        try:
            client.head_bucket(Bucket=bucket)
        except Exception as exc:
            if aws_error_code(exc) in _MISSING_CODES:
                return False
            if aws_error_code(exc) in {"403", "AccessDenied"}:
                raise ToolFailure(ErrorCode.ALREADY_EXISTS,
                                  f"bucket '{bucket}' exists and belongs to someone else; choose another name") from exc
            raise
        return True

    def create_bucket(bucket: str, region: str | None = None) -> dict[str, Any]:
        """Create a bucket unless you already own it (idempotent); created says which happened."""
        if bucket_exists(bucket):
            return {"bucket": bucket, "created": False}
        region = region or client.meta.region_name
        params: dict[str, Any] = {"Bucket": bucket}
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**params)
        except Exception as exc:
            code = aws_error_code(exc)
            if code == "BucketAlreadyOwnedByYou":
                return {"bucket": bucket, "created": False}
            if code == "BucketAlreadyExists":
                raise ToolFailure(ErrorCode.ALREADY_EXISTS,
                                  f"bucket '{bucket}' belongs to someone else; choose another name") from exc
            raise
        return {"bucket": bucket, "created": True}

    def delete_bucket(bucket: str, force: bool = False) -> dict[str, Any]:
        """Delete a bucket; force=true first deletes every object and version in it."""
        with _missing_is_not_found(bucket):
            removed = _empty_bucket(client, bucket) if force else 0
            try:
                client.delete_bucket(Bucket=bucket)
            except Exception as exc:
                if aws_error_code(exc) == "BucketNotEmpty":
                    raise ToolFailure(ErrorCode.CONFLICT, f"bucket '{bucket}' is not empty; "
                                      "delete its objects or pass force=true") from exc
                raise
        return {"bucket": bucket, "deleted": True, "objects_deleted": removed}

    return [(list_buckets, True), (create_bucket, False), (delete_bucket, False)]


def _empty_bucket(client: Any, bucket: str) -> int:
    """Delete every object version and delete marker, 1000 per request; returns how many."""
    removed = 0
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
        if not batch:
            continue
        resp = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if resp.get("Errors"):
            first = resp["Errors"][0]
            raise ToolFailure(ErrorCode.UNAVAILABLE, f"could not delete s3://{bucket}/{first.get('Key')}: "
                              f"{first.get('Code')} {first.get('Message')}", failed=len(resp["Errors"]))
        removed += len(batch)
    return removed


def _object_tools(client: Any) -> list[tuple[Callable[..., Any], bool]]:
    def put_object(bucket: str, key: str, content: str | None = None, content_base64: str | None = None,
                   content_type: str | None = None, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Store one object from text or base64; records its sha256 in user metadata for later checks."""
        data = _body_bytes(content, content_base64)
        digest = _sha256(data)
        meta = {k.lower(): v for k, v in (metadata or {}).items()}
        if meta.get(SHA256_META, digest) != digest:
            raise ToolFailure(ErrorCode.INVALID, "metadata 'sha256' is set by the server and must match the content")
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": data, "Metadata": {**meta, SHA256_META: digest}}
        if content_type:
            params["ContentType"] = content_type
        with _missing_is_not_found(bucket, key):
            resp = client.put_object(**params)
        return {"bucket": bucket, "key": key, "size": len(data), "sha256": digest,
                "etag": _etag(resp.get("ETag")), "version_id": resp.get("VersionId")}

    def get_object(bucket: str, key: str, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
        """Read one whole object (text or base64); larger than max_bytes is refused, never truncated."""
        if max_bytes < 0:
            raise ToolFailure(ErrorCode.INVALID, "max_bytes must not be negative")
        with _missing_is_not_found(bucket, key):
            resp = client.get_object(Bucket=bucket, Key=key)
        body = resp["Body"]
        with contextlib.closing(body):
            size = resp.get("ContentLength")
            if size is not None and size > max_bytes:
                raise ToolFailure(ErrorCode.LIMIT_EXCEEDED, f"s3://{bucket}/{key} is {size} bytes, more than "
                                  f"max_bytes={max_bytes}; raise max_bytes or read it another way",
                                  size=size, max_bytes=max_bytes)
            data = body.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ToolFailure(ErrorCode.LIMIT_EXCEEDED, f"s3://{bucket}/{key} is more than max_bytes={max_bytes} bytes",
                              max_bytes=max_bytes)
        return {**_encode_body(data), "size": len(data), "sha256": _sha256(data), "etag": _etag(resp.get("ETag")),
                "content_type": resp.get("ContentType"), "metadata": resp.get("Metadata", {})}

    def head_object(bucket: str, key: str) -> dict[str, Any]:
        """Size, stored sha256 and metadata of an object without reading it."""
        with _missing_is_not_found(bucket, key):
            resp = client.head_object(Bucket=bucket, Key=key)
        metadata = resp.get("Metadata", {})
        return {"size": resp.get("ContentLength"), "sha256": metadata.get(SHA256_META), "etag": _etag(resp.get("ETag")),
                "content_type": resp.get("ContentType"), "last_modified": resp.get("LastModified"),
                "metadata": metadata}

    def delete_object(bucket: str, key: str) -> dict[str, Any]:
        """Delete an object; deleting a missing one is fine (deleted=false says it was not there)."""
        try:
            client.head_object(Bucket=bucket, Key=key)
            existed = True
        except Exception as exc:
            if aws_error_code(exc) not in _MISSING_CODES:
                raise
            existed = False
        with _missing_is_not_found(bucket):
            client.delete_object(Bucket=bucket, Key=key)  # a missing bucket still fails here
        return {"bucket": bucket, "key": key, "deleted": existed}

    def list_objects(bucket: str, prefix: str = "", continuation_token: str | None = None,
                     max_keys: int = 1000) -> dict[str, Any]:
        """One page of objects under a prefix; pass next_continuation_token back to continue."""
        if not 1 <= max_keys <= 1000:
            raise ToolFailure(ErrorCode.INVALID, "max_keys must be between 1 and 1000")
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if continuation_token:
            params["ContinuationToken"] = continuation_token
        with _missing_is_not_found(bucket):
            resp = client.list_objects_v2(**params)
        objects = [{"key": o["Key"], "size": o.get("Size"), "etag": _etag(o.get("ETag")),
                    "last_modified": o.get("LastModified")} for o in resp.get("Contents", [])]
        token = resp.get("NextContinuationToken") if resp.get("IsTruncated") else None
        return {"objects": objects, "next_continuation_token": token}

    return [(put_object, False), (get_object, True), (head_object, True), (delete_object, False),
            (list_objects, True)]


def build_server() -> FastMCP:
    """A server with one boto3 client (from the environment) shared by every tool."""
    client = common.boto_client("s3")
    server = common.ToolServer("migrator-s3")
    for fn, read_only in [*_bucket_tools(client), *_object_tools(client)]:
        common.register(server, fn, read_only=read_only, classify=common.classify_boto)
    return server


def main() -> None:
    common.run_stdio(build_server())
