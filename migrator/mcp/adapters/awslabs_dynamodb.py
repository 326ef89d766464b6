"""Adapter for the AWS Labs DynamoDB server, PyPI `awslabs.dynamodb-mcp-server` 1.0.9.

That server (the last 1.x; 2.x has data-modelling tools only) wraps boto3 one call per tool
and answers with the AWS response as JSON text. What it is like, measured against moto:

- every failure comes back as ordinary text `{"error": "<str(exception)>"}` with `isError`
  false (argument validation failures are plain text with `isError` true), so this adapter
  reads the AWS error code out of `An error occurred (Code) when calling ...` and maps it;
- no batch write, no batch get, no parallel scan segments, no waiter, no tags on create:
  items are read one `get_item` at a time (eventually consistent: the tool takes no
  ConsistentRead), counts are sequential COUNT scans (one filtered scan per index for the
  items carrying its keys), tables are polled with `describe_table`, and tags are put with
  `tag_resource` on the table's ARN right after `create_table`;
- binary values: the tool hands the base64 text of a `B` value to boto3 as a string, which
  stores the text's bytes, not the decoded ones; a table keyed by a `B` attribute cannot be
  read or checked through this server (`doctor` says so; loads write through Glue).

migrator writes its items through Glue jobs, so the missing batch write matters only for
`batch_write`, which no migration step needs; `doctor` lists it as not possible.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mcp.types import CallToolResult

from migrator.mcp.adapters.base import Adapter, result_text
from migrator.mcp.client import CallOptions
from migrator.mcp.errors import ToolError
from migrator.protocol import ErrorCode, json_item
from migrator.protocol.aws import aws_code_in_text, error_code_for

MEASURED_VERSION = "1.0.9"
_TEXT_CODES: tuple[tuple[re.Pattern[str], ErrorCode], ...] = tuple((re.compile(p, re.I), c) for p, c in (
    (r"Mutation not allowed", ErrorCode.ACCESS_DENIED),                # DDB-MCP-READONLY
    (r"could not connect|connection refused|endpoint url|timed out", ErrorCode.UNAVAILABLE),
    (r"unable to locate credentials|security token|credentials", ErrorCode.ACCESS_DENIED),
    (r"validation error|parameter validation failed|invalid type for parameter", ErrorCode.INVALID),
))
POLL_SECONDS = 0.5


def recognise(result: CallToolResult) -> Any:
    """The answer's document, or a ToolError with the code the failure means."""
    text = result_text(result).strip()
    if result.isError:
        raise ToolError(_text_code(text), " ".join(text.split())[:500] or "failed")
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        raise ToolError(ErrorCode.INTERNAL, f"answered with text that is not JSON: {text[:200]!r}") from None
    if isinstance(doc, dict) and set(doc) == {"error"}:
        message = " ".join(str(doc["error"]).split())
        aws_code = aws_code_in_text(message)
        code = error_code_for(aws_code) if aws_code else _text_code(message)
        if aws_code == "ResourceInUseException" and "already exists" in message.lower():
            code = ErrorCode.ALREADY_EXISTS   # CreateTable of a table that exists (else: busy, a conflict)
        raise ToolError(code, message[:500])
    if not isinstance(doc, dict):
        raise ToolError(ErrorCode.INTERNAL, f"answered {type(doc).__name__}, not a JSON object")
    return doc


def _text_code(text: str) -> ErrorCode:
    for pattern, code in _TEXT_CODES:
        if pattern.search(text):
            return code
    return ErrorCode.INVALID


class AwsLabsDynamoDB(Adapter):
    role = "dynamodb"
    name = "awslabs_dynamodb"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {
        "list_tables": ("list_tables",),
        "create_table": ("create_table", "describe_table", "tag_resource"),
        "describe_table": ("describe_table",), "update_table": ("update_table",), "delete_table": ("delete_table",),
        "wait_for_table": ("describe_table",), "batch_get": ("get_item",), "query": ("query",), "scan": ("scan",),
        "count_items": ("scan",), "continuous_backups": ("describe_continuous_backups", "update_continuous_backups"),
        "time_to_live": ("describe_time_to_live", "update_time_to_live"),
        "tags": ("describe_table", "list_tags_of_resource", "tag_resource", "untag_resource"),
    }
    #: one get_item per key at ~0.1 s each (the server builds a boto3 session per call): 100 rows
    #: per view still catch a systematic mapping error; `verify --full` compares every row in Glue
    sample_cap: ClassVar[int | None] = 100
    unsupported: ClassVar[dict[str, str]] = {
        "batch_write": "awslabs.dynamodb-mcp-server has no batch write (put_item only); no migration step needs it: "
                       "loads write from Glue",
    }

    def diagnose(self, server_info: dict[str, Any], tools: set[str]) -> list[str]:
        out = []
        if "dynamodb_data_modeling" in tools and "create_table" not in tools:
            out.append("this is awslabs.dynamodb-mcp-server 2.x, which has data-modelling tools only; configure "
                       f"version {MEASURED_VERSION}: \"command\": \"uvx\", \"args\": "
                       f"[\"awslabs.dynamodb-mcp-server@{MEASURED_VERSION}\"]")
        elif server_info.get("version") and server_info.get("version") != MEASURED_VERSION:
            out.append(f"the server reports version {server_info.get('version')}, which is its MCP SDK's, not its own; "
                       f"this adapter was measured against awslabs.dynamodb-mcp-server {MEASURED_VERSION}")
        return out

    async def _call(self, tool: str, arguments: dict[str, Any] | None = None, *, timeout: float = 60.0,
                    idempotent: bool = True) -> Any:
        args = {k: v for k, v in (arguments or {}).items() if v is not None}
        return await self.hub.call(self.server, tool, args, recognise,
                                   CallOptions(timeout=timeout, idempotent=idempotent))

    # ------------------------------------------------------------------ tables

    async def list_tables(self) -> list[str]:
        names: list[str] = []
        start: str | None = None
        while True:
            d = await self._call("list_tables", {"exclusive_start_table_name": start})
            names += list(d.get("TableNames") or [])
            start = d.get("LastEvaluatedTableName")
            if not start:
                return names

    async def create_table(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """CreateTable, then the tags (the tool takes none) on the new table's ARN."""
        args = {k: spec.get(k) for k in ("table_name", "attribute_definitions", "key_schema", "billing_mode",
                                         "global_secondary_indexes", "provisioned_throughput")}
        desc = await self._call("create_table", args, idempotent=False)
        tags = dict(spec.get("tags") or {})
        if tags:
            arn = desc.get("TableArn") or (await self._call("describe_table", {"table_name": spec["table_name"]}))[
                "TableArn"]
            await self._call("tag_resource", {"resource_arn": arn,
                                              "tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})
        return dict(desc)

    async def describe_table(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(await self._call("describe_table", {"table_name": name}))
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def update_table(self, name: str, **changes: Any) -> dict[str, Any]:
        """The built-in server's update arguments, as UpdateTable's."""
        updates: list[dict[str, Any]] = []
        if changes.get("create_gsi") is not None:
            updates.append({"Create": changes["create_gsi"]})
        if changes.get("delete_gsi") is not None:
            updates.append({"Delete": {"IndexName": changes["delete_gsi"]}})
        updates += [{"Update": {"IndexName": index, "ProvisionedThroughput": tp}}
                    for index, tp in sorted((changes.get("gsi_throughput") or {}).items())]
        args = {"table_name": name, "attribute_definitions": changes.get("attribute_definitions"),
                "billing_mode": changes.get("billing_mode"),
                "provisioned_throughput": changes.get("provisioned_throughput"),
                "global_secondary_index_updates": updates or None, "warm_throughput": changes.get("warm_throughput"),
                "deletion_protection_enabled": changes.get("deletion_protection")}
        return dict(await self._call("update_table", args, idempotent=False))

    async def delete_table(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(await self._call("delete_table", {"table_name": name}, idempotent=False))
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def wait_for_table(self, name: str, state: str = "ACTIVE", timeout: float = 600) -> dict[str, Any]:
        """Poll describe_table until the table and its indexes are ACTIVE (or the table is gone)."""
        deadline = time.monotonic() + timeout
        while True:
            desc = await self.describe_table(name)
            if state == "DELETED" and desc is None:
                return {"table_name": name, "state": "DELETED"}
            if state == "ACTIVE" and desc is not None and desc.get("TableStatus") == "ACTIVE" and all(
                    g.get("IndexStatus") == "ACTIVE" for g in desc.get("GlobalSecondaryIndexes") or ()):
                return desc
            if state == "ACTIVE" and desc is None:
                raise ToolError(ErrorCode.NOT_FOUND, f"DynamoDB table '{name}' does not exist", server=self.server)
            if time.monotonic() >= deadline:
                raise ToolError(ErrorCode.TIMEOUT, f"table '{name}' did not become {state} within {timeout:g} s",
                                server=self.server)
            await asyncio.sleep(POLL_SECONDS)

    async def list_tags(self, name: str) -> dict[str, str]:
        desc = await self.describe_table(name)
        if desc is None:
            raise ToolError(ErrorCode.NOT_FOUND, f"DynamoDB table '{name}' does not exist", server=self.server)
        tags: dict[str, str] = {}
        token: str | None = None
        while True:
            d = await self._call("list_tags_of_resource", {"resource_arn": desc["TableArn"], "next_token": token})
            tags.update({t["Key"]: t["Value"] for t in d.get("Tags") or ()})
            token = d.get("NextToken")
            if not token:
                return tags

    async def describe_continuous_backups(self, name: str) -> dict[str, Any]:
        return dict(await self._call("describe_continuous_backups", {"table_name": name}))

    async def describe_time_to_live(self, name: str) -> dict[str, Any]:
        return dict(await self._call("describe_time_to_live", {"table_name": name}))

    # ------------------------------------------------------------------ items

    async def batch_write(self, table: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        raise ToolError(ErrorCode.UNSUPPORTED, self.unsupported["batch_write"], server=self.server)

    async def batch_get(self, table: str, keys: Sequence[Mapping[str, Any]]
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One get_item per key (the server has no batch read); none is ever left unprocessed."""
        found = []
        for key in keys:
            d = await self._call("get_item", {"table_name": table, "key": json_item(key)})
            if d.get("Item"):
                found.append(dict(d["Item"]))
        return found, []

    async def scan_page(self, table: str, **options: Any) -> dict[str, Any]:
        """One Scan page in the built-in server's shape (`items`, `count`, `last_evaluated_key`)."""
        args = {"table_name": table, "index_name": options.get("index_name"), "select": options.get("select"),
                "limit": options.get("limit"), "exclusive_start_key": options.get("exclusive_start_key"),
                "filter_expression": options.get("filter_expression"),
                "projection_expression": options.get("projection_expression"),
                "expression_attribute_names": options.get("expression_attribute_names"),
                "expression_attribute_values": options.get("expression_attribute_values")}
        d = await self._call("scan", args)
        return {"items": [] if options.get("select") == "COUNT" else list(d.get("Items") or []),
                "count": int(d.get("Count") or 0), "scanned_count": int(d.get("ScannedCount") or 0),
                "last_evaluated_key": d.get("LastEvaluatedKey")}

    async def _count(self, table: str, **options: Any) -> int:
        total, start = 0, None
        while True:
            page = await self.scan_page(table, select="COUNT", exclusive_start_key=start, **options)
            total += page["count"]
            start = page["last_evaluated_key"]
            if not start:
                return total

    async def count_items(self, table: str, *, segments: int = 1, index: str | None = None) -> int:
        """Sequential COUNT pages (the scan tool takes no segments)."""
        return await self._count(table, index_name=index)

    async def count_carrying(self, table: str, carrying: Mapping[str, Sequence[str]], *,
                             segments: int = 1) -> tuple[int, dict[str, int]]:
        """One COUNT scan for the table and one filtered by `attribute_exists` per entry: only counts
        leave the server, at the price of a scan each."""
        total = await self._count(table)
        out = {}
        for name, attributes in carrying.items():
            names = {f"#a{i}": a for i, a in enumerate(attributes)}
            out[name] = await self._count(table, filter_expression=" AND ".join(
                f"attribute_exists({alias})" for alias in names), expression_attribute_names=names)
        return total, out
