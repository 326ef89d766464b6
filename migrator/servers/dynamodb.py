"""The built-in DynamoDB MCP server: typed table, item and check tools for a migration.

Items, keys and expression values are DynamoDB-JSON (`{"pk": {"S": "x"}}`) both ways;
binary values (`B`, `BS`) travel as base64 text, as on the AWS wire. The server enforces
the real AWS limits that the emulator does not (25 writes per batch, one GSI change per
`UpdateTable`), never retries writes itself (unprocessed items go back to the caller) and
never truncates a read silently (`last_evaluated_key` says there is more).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from mcp.server.fastmcp import FastMCP

from migrator.protocol import ErrorCode, aws_error_code
from migrator.servers import common
from migrator.servers.common import ToolFailure

MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
MAX_COUNT_WORKERS = 16  # below the client pool (32) so segments never queue for a connection

_NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "TableNotFoundException", "ResourceNotFound"})

Item = dict[str, Any]
Select = Literal["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"]


# ------------------------------------------------------------------ shared helpers

@contextlib.contextmanager
def _table_errors(table_name: str) -> Iterator[None]:
    """A missing table is `not_found` whatever code the service (or moto) uses for it."""
    try:
        yield
    except Exception as exc:
        if aws_error_code(exc) in _NOT_FOUND_CODES:
            raise ToolFailure(ErrorCode.NOT_FOUND, f"DynamoDB table '{table_name}' does not exist",
                              table_name=table_name) from exc
        raise


def _drop_none(**params: Any) -> dict[str, Any]:
    """boto3 rejects explicit None: send only the parameters the caller set."""
    return {k: v for k, v in params.items() if v is not None}


def _decode_value(value: Any, where: str) -> Any:
    """One attribute value with base64 `B`/`BS` turned into bytes for boto3 (recursing into M and L)."""
    if not isinstance(value, dict) or len(value) != 1:
        return value  # let the service explain the malformed value
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": _b64(inner, where)}
    if kind == "BS" and isinstance(inner, list):
        return {"BS": [_b64(v, where) for v in inner]}
    if kind == "M" and isinstance(inner, dict):
        return {"M": {k: _decode_value(v, f"{where}.{k}") for k, v in inner.items()}}
    if kind == "L" and isinstance(inner, list):
        return {"L": [_decode_value(v, f"{where}[{i}]") for i, v in enumerate(inner)]}
    return value


def _b64(text: Any, where: str) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ToolFailure(ErrorCode.INVALID, f"{where} is a binary value but not valid base64") from exc


def _decode_item(item: Item | None, where: str) -> Item | None:
    if item is None:
        return None
    if not isinstance(item, dict):
        raise ToolFailure(ErrorCode.INVALID, f"{where} must be an object of DynamoDB-JSON attribute values")
    return {name: _decode_value(value, f"{where}.{name}") for name, value in item.items()}


def _page(response: dict[str, Any], select: str | None) -> dict[str, Any]:
    """The common shape of one query or scan page (moto returns items even for COUNT; AWS does not)."""
    return {"items": [] if select == "COUNT" else response.get("Items", []), "count": response.get("Count", 0),
            "scanned_count": response.get("ScannedCount", 0),
            "last_evaluated_key": response.get("LastEvaluatedKey")}


def _key_names(client: Any, table_name: str) -> list[str]:
    with _table_errors(table_name):
        table = client.describe_table(TableName=table_name)["Table"]
    return [k["AttributeName"] for k in table["KeySchema"]]


def _key_of(item: Item, key_names: list[str], where: str) -> str:
    """A canonical text of an item's primary key, to spot duplicates within one batch."""
    missing = [n for n in key_names if n not in item]
    if missing:
        raise ToolFailure(ErrorCode.INVALID, f"{where} lacks key attribute(s) {', '.join(missing)}")
    return json.dumps({n: item[n] for n in key_names}, sort_keys=True, default=str)


def _check_unique_keys(entries: list[tuple[str, Item]], key_names: list[str]) -> None:
    seen: dict[str, str] = {}
    for where, item in entries:
        key = _key_of(item, key_names, where)
        if key in seen:
            raise ToolFailure(ErrorCode.INVALID, f"{seen[key]} and {where} have the same key {key}; "
                              "DynamoDB refuses duplicate keys in one batch")
        seen[key] = where


def _statuses(table: dict[str, Any]) -> tuple[str, dict[str, str]]:
    gsis = {g["IndexName"]: g.get("IndexStatus", "UNKNOWN") for g in table.get("GlobalSecondaryIndexes") or []}
    return table.get("TableStatus", "UNKNOWN"), gsis


# ------------------------------------------------------------------ tool groups

def _table_tools(client: Any) -> list[tuple[Callable[..., Any], bool]]:
    def list_tables(exclusive_start_table_name: str | None = None, limit: int = 100) -> dict[str, Any]:
        """One page of table names (at most 100); pass last_evaluated_table_name back to continue."""
        if not 1 <= limit <= 100:
            raise ToolFailure(ErrorCode.INVALID, "limit must be between 1 and 100")
        resp = client.list_tables(**_drop_none(ExclusiveStartTableName=exclusive_start_table_name, Limit=limit))
        return {"table_names": resp.get("TableNames", []),
                "last_evaluated_table_name": resp.get("LastEvaluatedTableName")}

    def create_table(table_name: str, key_schema: list[dict[str, Any]], attribute_definitions: list[dict[str, Any]],
                     global_secondary_indexes: list[dict[str, Any]] | None = None,
                     billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST",
                     provisioned_throughput: dict[str, Any] | None = None, tags: dict[str, str] | None = None,
                     deletion_protection: bool = False) -> dict[str, Any]:
        """Create a table (AWS shapes for key_schema, attribute_definitions, GSIs); returns its description."""
        if billing_mode == "PROVISIONED" and not provisioned_throughput:
            raise ToolFailure(ErrorCode.INVALID, "billing_mode PROVISIONED needs provisioned_throughput")
        params = _drop_none(
            TableName=table_name, KeySchema=key_schema, AttributeDefinitions=attribute_definitions,
            GlobalSecondaryIndexes=global_secondary_indexes or None, BillingMode=billing_mode,
            ProvisionedThroughput=provisioned_throughput,
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())] if tags else None,
            DeletionProtectionEnabled=deletion_protection)
        try:
            return client.create_table(**params)["TableDescription"]
        except Exception as exc:
            if aws_error_code(exc) == "ResourceInUseException":
                raise ToolFailure(ErrorCode.ALREADY_EXISTS, f"DynamoDB table '{table_name}' already exists",
                                  table_name=table_name) from exc
            raise

    def describe_table(table_name: str) -> dict[str, Any]:
        """The table's description: status, key schema, GSIs, billing, item count (approximate)."""
        with _table_errors(table_name):
            return client.describe_table(TableName=table_name)["Table"]

    def update_table(table_name: str, attribute_definitions: list[dict[str, Any]] | None = None,
                     create_gsi: dict[str, Any] | None = None, delete_gsi: str | None = None,
                     billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] | None = None,
                     provisioned_throughput: dict[str, Any] | None = None,
                     gsi_throughput: dict[str, dict[str, Any]] | None = None,
                     warm_throughput: dict[str, Any] | None = None,
                     deletion_protection: bool | None = None) -> dict[str, Any]:
        """Change a table; at most one GSI create or delete per call, as AWS allows. `gsi_throughput`
        (index name -> ProvisionedThroughput) sets existing indexes' capacity, e.g. with billing_mode
        PROVISIONED, which AWS requires for every index in the same call; `warm_throughput`
        ({"WriteUnitsPerSecond": n}) pre-warms an on-demand table. Returns the description."""
        if create_gsi is not None and delete_gsi is not None:
            raise ToolFailure(ErrorCode.INVALID, "AWS allows one GSI create or delete per update_table call; "
                              "send them in separate calls and wait for the table in between")
        gsi_updates = ([{"Create": create_gsi}] if create_gsi is not None
                       else [{"Delete": {"IndexName": delete_gsi}}] if delete_gsi is not None else [])
        gsi_updates += [{"Update": {"IndexName": name, "ProvisionedThroughput": tp}}
                        for name, tp in sorted((gsi_throughput or {}).items())]
        params = _drop_none(AttributeDefinitions=attribute_definitions, GlobalSecondaryIndexUpdates=gsi_updates or None,
                            BillingMode=billing_mode, ProvisionedThroughput=provisioned_throughput,
                            WarmThroughput=warm_throughput,
                            DeletionProtectionEnabled=deletion_protection)
        if not params:
            raise ToolFailure(ErrorCode.INVALID, "update_table needs at least one change")
        with _table_errors(table_name):
            return client.update_table(TableName=table_name, **params)["TableDescription"]

    def delete_table(table_name: str) -> dict[str, Any]:
        """Delete a table; returns its last description. Deletion protection makes this fail."""
        with _table_errors(table_name):
            return client.delete_table(TableName=table_name)["TableDescription"]

    def wait_for_table(table_name: str, state: Literal["ACTIVE", "DELETED"] = "ACTIVE",
                       timeout_seconds: float = 300) -> dict[str, Any]:
        """Poll until the table and all its GSIs are ACTIVE (or the table is gone): readiness before loads."""
        return _wait(client, table_name, state, timeout_seconds)

    return [(list_tables, True), (create_table, False), (describe_table, True), (update_table, False),
            (delete_table, False), (wait_for_table, True)]


def _wait(client: Any, table_name: str, state: str, timeout_seconds: float) -> dict[str, Any]:
    start = time.monotonic()
    deadline = start + max(0.0, timeout_seconds)
    delay = 0.2
    status, gsis = "UNKNOWN", dict[str, str]()
    while True:
        try:
            table = client.describe_table(TableName=table_name)["Table"]
        except Exception as exc:
            if aws_error_code(exc) not in _NOT_FOUND_CODES:
                raise
            if state == "DELETED":
                return {"table_status": "DELETED", "gsi_statuses": {}, "waited_seconds": time.monotonic() - start}
            raise ToolFailure(ErrorCode.NOT_FOUND, f"DynamoDB table '{table_name}' does not exist",
                              table_name=table_name) from exc
        status, gsis = _statuses(table)
        if state == "ACTIVE" and status == "DELETING":
            raise ToolFailure(ErrorCode.CONFLICT, f"DynamoDB table '{table_name}' is being deleted; "
                              "it will not become ACTIVE", table_status=status)
        if state == "ACTIVE" and status == "ACTIVE" and all(s == "ACTIVE" for s in gsis.values()):
            return {"table_status": status, "gsi_statuses": gsis, "waited_seconds": time.monotonic() - start}
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ToolFailure(ErrorCode.TIMEOUT,
                              f"DynamoDB table '{table_name}' not {state} after {timeout_seconds:g} s "
                              f"(table {status}, indexes {gsis or 'none'})",
                              table_status=status, gsi_statuses=gsis, waited_seconds=time.monotonic() - start)
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 5.0)


def _item_tools(client: Any) -> list[tuple[Callable[..., Any], bool]]:
    def batch_write(table_name: str, put_items: list[dict[str, Any]] | None = None,
                    delete_keys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Up to 25 puts/deletes in one BatchWriteItem; no retries here: retry what comes back unprocessed."""
        puts, deletes = put_items or [], delete_keys or []
        total = len(puts) + len(deletes)
        if total == 0:
            raise ToolFailure(ErrorCode.INVALID, "batch_write needs at least one put item or delete key")
        if total > MAX_BATCH_WRITE:
            raise ToolFailure(ErrorCode.INVALID, f"a batch holds at most {MAX_BATCH_WRITE} writes, got {total}; "
                              "split it into several calls")
        key_names = _key_names(client, table_name)
        _check_unique_keys([(f"put_items[{i}]", p) for i, p in enumerate(puts)]
                           + [(f"delete_keys[{i}]", d) for i, d in enumerate(deletes)], key_names)
        requests = ([{"PutRequest": {"Item": _decode_item(p, f"put_items[{i}]")}} for i, p in enumerate(puts)]
                    + [{"DeleteRequest": {"Key": _decode_item(d, f"delete_keys[{i}]")}}
                       for i, d in enumerate(deletes)])
        with _table_errors(table_name):
            resp = client.batch_write_item(RequestItems={table_name: requests}, ReturnConsumedCapacity="TOTAL")
        left = resp.get("UnprocessedItems", {}).get(table_name, [])
        result: dict[str, Any] = {
            "unprocessed_puts": [r["PutRequest"]["Item"] for r in left if "PutRequest" in r],
            "unprocessed_deletes": [r["DeleteRequest"]["Key"] for r in left if "DeleteRequest" in r]}
        if resp.get("ConsumedCapacity"):
            result["consumed_capacity"] = resp["ConsumedCapacity"]
        return result

    def batch_get(table_name: str, keys: list[dict[str, Any]], projection_expression: str | None = None,
                  expression_attribute_names: dict[str, str] | None = None,
                  consistent_read: bool = False) -> dict[str, Any]:
        """Up to 100 items by key in one BatchGetItem; retry unprocessed_keys yourself."""
        if not 1 <= len(keys) <= MAX_BATCH_GET:
            raise ToolFailure(ErrorCode.INVALID, f"batch_get takes 1 to {MAX_BATCH_GET} keys, got {len(keys)}")
        _check_unique_keys([(f"keys[{i}]", k) for i, k in enumerate(keys)], _key_names(client, table_name))
        request = _drop_none(Keys=[_decode_item(k, f"keys[{i}]") for i, k in enumerate(keys)],
                             ProjectionExpression=projection_expression,
                             ExpressionAttributeNames=expression_attribute_names, ConsistentRead=consistent_read)
        with _table_errors(table_name):
            resp = client.batch_get_item(RequestItems={table_name: request})
        return {"items": resp.get("Responses", {}).get(table_name, []),
                "unprocessed_keys": resp.get("UnprocessedKeys", {}).get(table_name, {}).get("Keys", [])}

    def query(table_name: str, key_condition_expression: str,
              expression_attribute_values: dict[str, Any] | None = None,
              expression_attribute_names: dict[str, str] | None = None, index_name: str | None = None,
              filter_expression: str | None = None, projection_expression: str | None = None,
              limit: int | None = None, exclusive_start_key: dict[str, Any] | None = None,
              scan_index_forward: bool = True, select: Select | None = None,
              consistent_read: bool = False) -> dict[str, Any]:
        """One page of a Query; pass last_evaluated_key back as exclusive_start_key to continue."""
        params = _drop_none(
            TableName=table_name, KeyConditionExpression=key_condition_expression,
            ExpressionAttributeValues=_decode_item(expression_attribute_values, "expression_attribute_values"),
            ExpressionAttributeNames=expression_attribute_names, IndexName=index_name,
            FilterExpression=filter_expression, ProjectionExpression=projection_expression, Limit=limit,
            ExclusiveStartKey=_decode_item(exclusive_start_key, "exclusive_start_key"),
            ScanIndexForward=scan_index_forward, Select=select, ConsistentRead=consistent_read)
        with _table_errors(table_name):
            return _page(client.query(**params), select)

    def scan(table_name: str, index_name: str | None = None, segment: int | None = None,
             total_segments: int | None = None, select: Select | None = None, limit: int | None = None,
             exclusive_start_key: dict[str, Any] | None = None, filter_expression: str | None = None,
             expression_attribute_values: dict[str, Any] | None = None,
             expression_attribute_names: dict[str, str] | None = None, projection_expression: str | None = None,
             consistent_read: bool = False) -> dict[str, Any]:
        """One page of a Scan; pass last_evaluated_key back as exclusive_start_key to continue."""
        if (segment is None) != (total_segments is None):
            raise ToolFailure(ErrorCode.INVALID, "segment and total_segments go together for a parallel scan")
        params = _drop_none(
            TableName=table_name, IndexName=index_name, Segment=segment, TotalSegments=total_segments,
            Select=select, Limit=limit, ExclusiveStartKey=_decode_item(exclusive_start_key, "exclusive_start_key"),
            FilterExpression=filter_expression,
            ExpressionAttributeValues=_decode_item(expression_attribute_values, "expression_attribute_values"),
            ExpressionAttributeNames=expression_attribute_names, ProjectionExpression=projection_expression,
            ConsistentRead=consistent_read)
        with _table_errors(table_name):
            return _page(client.scan(**params), select)

    def count_items(table_name: str, index_name: str | None = None, total_segments: int = 1,
                    timeout_seconds: float = 600, carrying: dict[str, list[str]] | None = None) -> dict[str, Any]:
        """Exact item count: a scan over all pages and segments (in parallel); for post-load checks.

        `carrying` ({name: [attribute, ...]}) also counts, in the same pass, the items that carry every
        attribute of each list (an index's keys: those items belong in that index); only those
        attributes are read, and only counts leave the server."""
        if not 1 <= total_segments <= 1_000_000:
            raise ToolFailure(ErrorCode.INVALID, "total_segments must be between 1 and 1000000")
        sets = {name: list(attrs) for name, attrs in (carrying or {}).items()}
        if any(not attrs or not all(isinstance(a, str) and a for a in attrs) for attrs in sets.values()):
            raise ToolFailure(ErrorCode.INVALID, "carrying: each entry needs a non-empty list of attribute names")
        with _table_errors(table_name):
            return _count(client, table_name, index_name, total_segments, timeout_seconds, sets)

    return [(batch_write, False), (batch_get, True), (query, True), (scan, True), (count_items, True)]


class _Tally:
    """Running totals shared by the segment threads of one count."""

    def __init__(self, carrying: dict[str, list[str]]) -> None:
        self.lock = threading.Lock()
        self.count = self.scanned = self.pages = 0
        self.carrying = carrying
        self.carried = dict.fromkeys(carrying, 0)

    def add(self, resp: dict[str, Any]) -> None:
        carried = {name: sum(1 for item in resp.get("Items", ()) if all(a in item for a in attrs))
                   for name, attrs in self.carrying.items()}
        with self.lock:
            self.count += resp.get("Count", 0)
            self.scanned += resp.get("ScannedCount", 0)
            self.pages += 1
            for name, n in carried.items():
                self.carried[name] += n


def _count(client: Any, table_name: str, index_name: str | None, total_segments: int,
           timeout_seconds: float, carrying: dict[str, list[str]]) -> dict[str, Any]:
    start = time.monotonic()
    deadline = start + max(0.0, timeout_seconds)
    tally = _Tally(carrying)
    expired = threading.Event()
    attributes = sorted({a for attrs in carrying.values() for a in attrs})
    # COUNT when nothing is carried; else only the carried attributes (a projection costs the same reads)
    read: dict[str, Any] = {"Select": "COUNT"} if not attributes else {
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(attributes))),
        "ExpressionAttributeNames": {f"#a{i}": a for i, a in enumerate(attributes)}}

    def run_segment(segment: int) -> None:
        params = _drop_none(TableName=table_name, IndexName=index_name, **read,
                            Segment=segment if total_segments > 1 else None,
                            TotalSegments=total_segments if total_segments > 1 else None)
        while True:
            resp = client.scan(**params)
            tally.add(resp)
            if "LastEvaluatedKey" not in resp:
                return
            if time.monotonic() >= deadline:
                expired.set()
                return
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    with ThreadPoolExecutor(max_workers=min(total_segments, MAX_COUNT_WORKERS)) as pool:
        for future in [pool.submit(run_segment, s) for s in range(total_segments)]:
            future.result()  # re-raises the first failure
    seconds = time.monotonic() - start
    if expired.is_set():
        raise ToolFailure(ErrorCode.TIMEOUT, f"counting '{table_name}' did not finish within {timeout_seconds:g} s "
                          f"({tally.count} items counted so far)", count_so_far=tally.count,
                          scanned_count_so_far=tally.scanned, pages=tally.pages, seconds=seconds)
    out = {"count": tally.count, "scanned_count": tally.scanned, "pages": tally.pages, "seconds": seconds}
    return {**out, "carrying": tally.carried} if carrying else out


def _setting_tools(client: Any) -> list[tuple[Callable[..., Any], bool]]:
    def describe_continuous_backups(table_name: str) -> dict[str, Any]:
        """Point-in-time recovery status of a table."""
        with _table_errors(table_name):
            return client.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"]

    def update_continuous_backups(table_name: str, enabled: bool) -> dict[str, Any]:
        """Turn point-in-time recovery on or off."""
        spec = {"PointInTimeRecoveryEnabled": enabled}
        with _table_errors(table_name):
            return client.update_continuous_backups(
                TableName=table_name, PointInTimeRecoverySpecification=spec)["ContinuousBackupsDescription"]

    def describe_time_to_live(table_name: str) -> dict[str, Any]:
        """TTL status and attribute of a table."""
        with _table_errors(table_name):
            return client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]

    def update_time_to_live(table_name: str, attribute_name: str, enabled: bool) -> dict[str, Any]:
        """Turn TTL on or off; a no-op (no AWS call) when it is already in the asked state."""
        with _table_errors(table_name):
            current = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
            is_on = current.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}
            if is_on == enabled and (not enabled or current.get("AttributeName") == attribute_name):
                return {"AttributeName": current.get("AttributeName", attribute_name), "Enabled": enabled,
                        "changed": False}
            spec = {"AttributeName": attribute_name, "Enabled": enabled}
            resp = client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=spec)
        return {**resp["TimeToLiveSpecification"], "changed": True}

    def table_arn(table_name: str) -> str:
        with _table_errors(table_name):
            return client.describe_table(TableName=table_name)["Table"]["TableArn"]

    def read_tags(arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        params: dict[str, Any] = {"ResourceArn": arn}
        while True:
            resp = client.list_tags_of_resource(**params)
            tags.update({t["Key"]: t["Value"] for t in resp.get("Tags", [])})
            if not resp.get("NextToken"):
                return tags
            params["NextToken"] = resp["NextToken"]

    def list_tags(table_name: str) -> dict[str, Any]:
        """All tags of a table, as a {key: value} map."""
        arn = table_arn(table_name)
        with _table_errors(table_name):
            return {"table_arn": arn, "tags": read_tags(arn)}

    def tag_table(table_name: str, tags: dict[str, str]) -> dict[str, Any]:
        """Add or overwrite tags; returns all tags afterwards."""
        if not tags:
            raise ToolFailure(ErrorCode.INVALID, "tags must hold at least one key")
        arn = table_arn(table_name)
        with _table_errors(table_name):
            client.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])
            return {"table_arn": arn, "tags": read_tags(arn)}

    def untag_table(table_name: str, keys: list[str]) -> dict[str, Any]:
        """Remove tags by key (absent keys are fine); returns all tags afterwards."""
        if not keys:
            raise ToolFailure(ErrorCode.INVALID, "keys must name at least one tag")
        arn = table_arn(table_name)
        with _table_errors(table_name):
            client.untag_resource(ResourceArn=arn, TagKeys=list(keys))
            return {"table_arn": arn, "tags": read_tags(arn)}

    return [(describe_continuous_backups, True), (update_continuous_backups, False), (describe_time_to_live, True),
            (update_time_to_live, False), (list_tags, True), (tag_table, False), (untag_table, False)]


def build_server() -> FastMCP:
    """A server with one boto3 client (from the environment) shared by every tool."""
    client = common.boto_client("dynamodb", max_pool_connections=32)
    server = common.ToolServer("migrator-dynamodb")
    for fn, read_only in [*_table_tools(client), *_item_tools(client), *_setting_tools(client)]:
        common.register(server, fn, read_only=read_only, classify=common.classify_boto)
    return server


def main() -> None:
    common.run_stdio(build_server())
