"""Adapters for migrator's own servers (`migrator mcp serve ...`): thin, the servers are typed."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from migrator.mcp.adapters.base import Adapter
from migrator.mcp.errors import ToolError
from migrator.mcp.facades import JobRun, ObjectInfo
from migrator.mysql_schema import (Column, Grants, QueryResult, SchemaInfo, ServerInfo, schema_from_doc,
                                   server_info_from_doc)
from migrator.protocol import ErrorCode, decode_cell, json_item


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class BuiltinMySQL(Adapter):
    role = "mysql"
    name = "builtin"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {
        "server_info": ("server_info",), "list_tables": ("list_tables",), "describe_schema": ("describe_schema",),
        "query": ("query",), "grants": ("grants",), "create_view": ("execute_ddl",), "drop_view": ("execute_ddl",),
    }

    async def server_info(self) -> ServerInfo:
        d = await self._call("server_info")
        return server_info_from_doc(d)

    async def list_tables(self) -> dict[str, str]:
        d = await self._call("list_tables")
        return {t["name"]: t["type"] for t in d["tables"]}

    async def describe_schema(self, tables: Sequence[str] | None = None) -> SchemaInfo:
        return schema_from_doc(await self._call("describe_schema", {"tables": list(tables) if tables else None}))

    async def query(self, sql: str, params: Sequence[Any] | None = None, *, key: Sequence[str] | None = None,
                    page_size: int = 5000, timeout: float = 300) -> QueryResult:
        """All rows of a read-only statement, page by page (the server never truncates)."""
        columns: tuple[Column, ...] = ()
        rows: list[tuple[Any, ...]] = []
        cursor: str | None = None
        while True:
            page = await self._call("query", {"sql": sql, "params": list(params) if params else None,
                                              "page_size": page_size, "cursor": cursor,
                                              "timeout_seconds": timeout}, timeout=timeout + 10)
            columns = tuple(Column(c["name"], c["type"]) for c in page["columns"])
            kinds = [c.type for c in columns]
            rows.extend(tuple(decode_cell(k, v) for k, v in zip(kinds, row)) for row in page["rows"])
            cursor = page.get("next_cursor")
            if not cursor:
                return QueryResult(columns, tuple(rows))

    async def grants(self) -> Grants:
        d = await self._call("grants")
        return Grants(user=d["user"], privileges=frozenset(d["privileges"]))

    async def create_view(self, name: str, select_sql: str) -> None:
        await self._call("execute_ddl", {"sql": f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {select_sql}"})

    async def drop_view(self, name: str) -> None:
        await self._call("execute_ddl", {"sql": f"DROP VIEW IF EXISTS {quote_ident(name)}"})


class BuiltinDynamoDB(Adapter):
    role = "dynamodb"
    name = "builtin"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {
        "list_tables": ("list_tables",), "create_table": ("create_table",), "describe_table": ("describe_table",),
        "update_table": ("update_table",), "delete_table": ("delete_table",), "wait_for_table": ("wait_for_table",),
        "batch_write": ("batch_write",), "batch_get": ("batch_get",), "query": ("query",), "scan": ("scan",),
        "count_items": ("count_items",),
        "continuous_backups": ("describe_continuous_backups", "update_continuous_backups"),
        "time_to_live": ("describe_time_to_live", "update_time_to_live"),
        "tags": ("list_tags", "tag_table", "untag_table"),
    }

    async def list_tables(self) -> list[str]:
        names: list[str] = []
        start: str | None = None
        while True:
            d = await self._call("list_tables", {"exclusive_start_table_name": start})
            names += d["table_names"]
            start = d.get("last_evaluated_table_name")
            if not start:
                return names

    async def create_table(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("create_table", dict(spec), idempotent=False)

    async def describe_table(self, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("describe_table", {"table_name": name})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def update_table(self, name: str, **changes: Any) -> dict[str, Any]:
        return await self._call("update_table", {"table_name": name, **changes}, idempotent=False)

    async def delete_table(self, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("delete_table", {"table_name": name})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def wait_for_table(self, name: str, state: str = "ACTIVE", timeout: float = 600) -> dict[str, Any]:
        return await self._call("wait_for_table", {"table_name": name, "state": state, "timeout_seconds": timeout},
                                timeout=timeout + 30)

    async def list_tags(self, name: str) -> dict[str, str]:
        d = await self._call("list_tags", {"table_name": name})
        tags = d.get("tags") or {}
        if isinstance(tags, list):
            return {t["Key"]: t["Value"] for t in tags}
        return dict(tags)

    async def describe_continuous_backups(self, name: str) -> dict[str, Any]:
        """`ContinuousBackupsDescription` as AWS gives it (point-in-time recovery under it)."""
        return dict(await self._call("describe_continuous_backups", {"table_name": name}))

    async def describe_time_to_live(self, name: str) -> dict[str, Any]:
        """`TimeToLiveDescription` as AWS gives it (TimeToLiveStatus, AttributeName)."""
        return dict(await self._call("describe_time_to_live", {"table_name": name}))

    async def batch_write(self, table: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        d = await self._call("batch_write", {"table_name": table, "put_items": [dict(i) for i in items]})
        return list(d.get("unprocessed_puts") or [])

    async def batch_get(self, table: str, keys: Sequence[Mapping[str, Any]]
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The items found (absent keys are simply not among them) and the keys left unprocessed."""
        d = await self._call("batch_get", {"table_name": table, "keys": [json_item(k) for k in keys],
                                           "consistent_read": True})
        return list(d.get("items") or []), list(d.get("unprocessed_keys") or [])

    async def scan_page(self, table: str, **options: Any) -> dict[str, Any]:
        return await self._call("scan", {"table_name": table, **options})

    async def count_items(self, table: str, *, segments: int = 1, index: str | None = None) -> int:
        d = await self._call("count_items", {"table_name": table, "total_segments": segments, "index_name": index},
                             timeout=900)
        return int(d["count"])

    async def count_carrying(self, table: str, carrying: Mapping[str, Sequence[str]], *,
                             segments: int = 1) -> tuple[int, dict[str, int]]:
        d = await self._call("count_items", {"table_name": table, "total_segments": segments,
                                             "carrying": {k: list(v) for k, v in carrying.items()}}, timeout=900)
        got = d.get("carrying") or {}
        return int(d["count"]), {name: int(got.get(name, 0)) for name in carrying}


class BuiltinS3(Adapter):
    role = "s3"
    name = "builtin"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {
        op: (op,) for op in ("list_buckets", "create_bucket", "delete_bucket", "put_object", "get_object",
                             "head_object", "delete_object", "list_objects")}

    async def list_buckets(self) -> list[str]:
        d = await self._call("list_buckets")
        return [b["name"] if isinstance(b, dict) else b for b in d["buckets"]]

    async def create_bucket(self, bucket: str) -> bool:
        return bool((await self._call("create_bucket", {"bucket": bucket}))["created"])

    async def delete_bucket(self, bucket: str, *, force: bool = False) -> None:
        await self._call("delete_bucket", {"bucket": bucket, "force": force})

    async def put_object(self, bucket: str, key: str, content: bytes, content_type: str | None = None,
                         metadata: Mapping[str, str] | None = None) -> ObjectInfo:
        d = await self._call("put_object", {"bucket": bucket, "key": key,
                                            "content_base64": base64.b64encode(content).decode("ascii"),
                                            "content_type": content_type, "metadata": dict(metadata or {})})
        if d.get("sha256") and d["sha256"] != hashlib.sha256(content).hexdigest():
            raise ToolError(ErrorCode.INTERNAL, f"s3://{bucket}/{key} was stored with a different hash",
                            server=self.server, tool="put_object")
        return ObjectInfo(bucket, key, int(d["size"]), d.get("sha256"), d.get("etag"),
                          {k.lower(): v for k, v in (metadata or {}).items()})

    async def get_object(self, bucket: str, key: str) -> bytes | None:
        try:
            d = await self._call("get_object", {"bucket": bucket, "key": key})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise
        if d.get("encoding") == "base64" or "content_base64" in d:
            return base64.b64decode(d["content_base64"])
        return str(d["content"]).encode("utf-8")

    async def head_object(self, bucket: str, key: str) -> ObjectInfo | None:
        try:
            d = await self._call("head_object", {"bucket": bucket, "key": key})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise
        return ObjectInfo(bucket, key, int(d["size"]), d.get("sha256"), d.get("etag"), dict(d.get("metadata") or {}))

    async def delete_object(self, bucket: str, key: str) -> bool:
        return bool((await self._call("delete_object", {"bucket": bucket, "key": key})).get("deleted"))

    async def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        out: list[ObjectInfo] = []
        token: str | None = None
        while True:
            d = await self._call("list_objects", {"bucket": bucket, "prefix": prefix, "continuation_token": token})
            out += [ObjectInfo(bucket, o["key"], int(o["size"]), None, o.get("etag")) for o in d["objects"]]
            token = d.get("next_continuation_token")
            if not token:
                return out


def job_run_from_doc(job_name: str, d: Mapping[str, Any]) -> JobRun:
    return JobRun(job_name=d.get("JobName", job_name), run_id=d["Id"], state=d["JobRunState"],
                  error_message=d.get("ErrorMessage"))


class BuiltinGlue(Adapter):
    role = "glue"
    name = "builtin"
    required_tools: ClassVar[dict[str, tuple[str, ...]]] = {
        op: (op,) for op in ("list_jobs", "create_job", "update_job", "get_job", "delete_job", "start_job_run",
                             "get_job_run", "list_job_runs", "stop_job_run", "get_job_run_logs", "create_connection",
                             "get_connection", "delete_connection")}

    async def list_jobs(self) -> list[str]:
        names: list[str] = []
        token: str | None = None
        while True:
            d = await self._call("list_jobs", {"next_token": token})
            names += d["job_names"]
            token = d.get("next_token")
            if not token:
                return names

    async def create_job(self, job: Mapping[str, Any]) -> None:
        await self._call("create_job", {"job": dict(job)}, idempotent=False)

    async def update_job(self, name: str, job_update: Mapping[str, Any]) -> None:
        await self._call("update_job", {"name": name, "job_update": dict(job_update)})

    async def get_job(self, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("get_job", {"name": name})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def delete_job(self, name: str) -> bool:
        return bool((await self._call("delete_job", {"name": name})).get("deleted", True))

    async def start_job_run(self, name: str, arguments: Mapping[str, str] | None = None) -> str:
        d = await self._call("start_job_run", {"job_name": name, "arguments": dict(arguments or {}) or None},
                             idempotent=False)
        return str(d["run_id"])

    async def get_job_run(self, name: str, run_id: str) -> JobRun:
        return job_run_from_doc(name, await self._call("get_job_run", {"job_name": name, "run_id": run_id}))

    async def list_job_runs(self, name: str) -> list[JobRun]:
        runs: list[JobRun] = []
        token: str | None = None
        while True:
            d = await self._call("list_job_runs", {"job_name": name, "next_token": token})
            runs += [job_run_from_doc(name, r) for r in d["job_runs"]]
            token = d.get("next_token")
            if not token:
                return runs

    async def stop_job_run(self, name: str, run_id: str) -> str:
        return str((await self._call("stop_job_run", {"job_name": name, "run_id": run_id})).get("state", ""))

    async def get_job_run_logs(self, name: str, run_id: str, tail_lines: int = 200) -> dict[str, str]:
        return await self._call("get_job_run_logs", {"job_name": name, "run_id": run_id, "tail_lines": tail_lines})

    async def create_connection(self, connection: Mapping[str, Any]) -> None:
        await self._call("create_connection", {"connection": dict(connection)}, idempotent=False)

    async def get_connection(self, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("get_connection", {"name": name})
        except ToolError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def delete_connection(self, name: str) -> bool:
        return bool((await self._call("delete_connection", {"name": name})).get("deleted", True))
