"""The S3 role on the AWS Labs data-processing server (0.2.2, `--allow-write`): what it can do is
`upload_to_s3(code_content, bucket_name, s3_key)`, text only, into a bucket that exists.

migrator's S3 role needs more than that: a bucket it creates and later removes, objects it
reads back (load results, progress), heads (to plan an upload only when the bytes changed) and
deletes, and one binary object (the runtime bundle, a zip). So this adapter uploads text and
says, for everything else, which server to bind the role to instead; `doctor` prints it. The
workshop setup keeps migrator's own S3 server for the role (examples/workshop-mcp/mcp.json).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

from migrator.mcp.adapters.awslabs_dataprocessing.answers import recognise
from migrator.mcp.adapters.base import Adapter
from migrator.mcp.client import CallOptions
from migrator.mcp.errors import ToolError
from migrator.mcp.facades import ObjectInfo
from migrator.protocol import ErrorCode

UPLOAD = "upload_to_s3"
FIX = ('bind the s3 role to migrator\'s S3 server: "migrator-s3": {"command": "migrator", "args": ["mcp", "serve", '
       '"s3"]} in mcpServers and "s3": {"server": "migrator-s3", "adapter": "builtin"} in migrator.roles')


def _cannot(what: str) -> str:
    return f"awslabs.aws-dataprocessing-mcp-server only uploads text (upload_to_s3), it cannot {what}; {FIX}"


class AwsLabsDataProcessingS3(Adapter):
    role = "s3"
    name = "awslabs_dataprocessing"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {"put_object": (UPLOAD,)}
    unsupported: ClassVar[dict[str, str]] = {
        "list_buckets": _cannot("list buckets"), "create_bucket": _cannot("create a bucket"),
        "delete_bucket": _cannot("delete a bucket"), "get_object": _cannot("read an object"),
        "head_object": _cannot("read an object's size and hash"),
        "delete_object": _cannot("delete an object"), "list_objects": _cannot("list objects")}

    def _unsupported(self, operation: str) -> ToolError:
        return ToolError(ErrorCode.UNSUPPORTED, self.unsupported[operation], server=self.server)

    async def put_object(self, bucket: str, key: str, content: bytes, content_type: str | None = None,
                         metadata: Mapping[str, str] | None = None) -> ObjectInfo:
        """Text only: the server takes a string and writes it as UTF-8. User metadata (migrator's lineage
        mark) is not kept: the server has no way to store it."""
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(ErrorCode.UNSUPPORTED, f"s3://{bucket}/{key} is binary and "
                            + _cannot("upload bytes"), server=self.server) from None
        await self.hub.call(self.server, UPLOAD, {"code_content": text, "bucket_name": bucket, "s3_key": key},
                            recognise, CallOptions(timeout=60.0, idempotent=True))
        return ObjectInfo(bucket, key, len(content), hashlib.sha256(content).hexdigest(), None)

    async def list_buckets(self) -> list[str]:
        raise self._unsupported("list_buckets")

    async def create_bucket(self, bucket: str) -> bool:
        raise self._unsupported("create_bucket")

    async def delete_bucket(self, bucket: str, *, force: bool = False) -> None:
        raise self._unsupported("delete_bucket")

    async def get_object(self, bucket: str, key: str) -> bytes | None:
        raise self._unsupported("get_object")

    async def head_object(self, bucket: str, key: str) -> ObjectInfo | None:
        raise self._unsupported("head_object")

    async def delete_object(self, bucket: str, key: str) -> bool:
        raise self._unsupported("delete_object")

    async def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        raise self._unsupported("list_objects")

    def diagnose(self, server_info: dict[str, Any], tools: set[str]) -> list[str]:
        return [] if UPLOAD in tools else [
            "the server lists no upload_to_s3: it runs without --allow-write, so it cannot upload either"]
