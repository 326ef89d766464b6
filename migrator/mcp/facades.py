"""The typed face of each role. The rest of migrator talks to these, never to tools.

Each adapter (built-in servers, or a third-party server) implements one of these
protocols and says, per operation, which tools it needs; `doctor` checks those tools
against what the configured server lists. `Facades` bundles the four roles of one run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from migrator.mcp.errors import ToolError
from migrator.mysql_schema import Grants, QueryResult, SchemaInfo, ServerInfo

if TYPE_CHECKING:
    from migrator.mcp.client import McpHub

__all__ = ["OPERATIONS", "OPTIONAL", "ROLES", "S3", "DynamoDB", "Facades", "Glue", "JobRun", "MySQL", "ObjectInfo",
           "failure_detail"]

# ----------------------------------------------------------------------------- operations

#: the roles a run binds to servers (the fields of `Facades`, the keys of mcp.json's `migrator.roles`)
ROLES: tuple[str, ...] = ("mysql", "dynamodb", "glue", "s3")

#: every operation a migration may need, per role (doctor reports each).
OPERATIONS: dict[str, tuple[str, ...]] = {
    "mysql": ("server_info", "list_tables", "describe_schema", "query", "grants", "create_view", "drop_view"),
    "dynamodb": ("list_tables", "create_table", "describe_table", "update_table", "delete_table", "wait_for_table",
                 "batch_write", "batch_get", "query", "scan", "count_items", "continuous_backups", "time_to_live",
                 "tags"),
    "s3": ("list_buckets", "create_bucket", "delete_bucket", "put_object", "get_object", "head_object",
           "delete_object", "list_objects"),
    "glue": ("list_jobs", "create_job", "update_job", "get_job", "delete_job", "start_job_run", "get_job_run",
             "list_job_runs", "stop_job_run", "get_job_run_logs", "create_connection", "get_connection",
             "delete_connection"),
}


#: operations a step calls when the server can do them and does without otherwise: a server that
#: cannot do them is still fit for a migration (`doctor` notes it)
OPTIONAL: dict[str, frozenset[str]] = {
    "mysql": frozenset(), "dynamodb": frozenset(), "s3": frozenset(),
    "glue": frozenset({"get_job_run_logs"}),   # only to explain a failed run that gives no error message
}


# ----------------------------------------------------------------------------- MySQL

class MySQL(Protocol):
    server: str

    async def server_info(self) -> ServerInfo: ...
    async def list_tables(self) -> dict[str, str]: ...
    async def describe_schema(self, tables: Sequence[str] | None = None) -> SchemaInfo: ...
    async def query(self, sql: str, params: Sequence[Any] | None = None, *,
                    key: Sequence[str] | None = None) -> QueryResult: ...
    async def grants(self) -> Grants: ...
    async def create_view(self, name: str, select_sql: str) -> None: ...
    async def drop_view(self, name: str) -> None: ...


# ----------------------------------------------------------------------------- AWS types

@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    sha256: str | None
    etag: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata (known from head/put only)


@dataclass(frozen=True)
class JobRun:
    job_name: str
    run_id: str
    state: str
    error_message: str | None = None

    TERMINAL = frozenset({"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "EXPIRED"})

    @property
    def done(self) -> bool:
        return self.state in self.TERMINAL


class DynamoDB(Protocol):
    server: str
    #: at most this many rows per view in a sampled compare (None: no limit); set by an adapter
    #: whose server reads one key per call, where a thousand keys would take minutes
    sample_cap: int | None

    async def list_tables(self) -> list[str]: ...
    async def create_table(self, spec: Mapping[str, Any]) -> dict[str, Any]: ...
    async def describe_table(self, name: str) -> dict[str, Any] | None: ...
    async def update_table(self, name: str, **changes: Any) -> dict[str, Any]: ...
    async def delete_table(self, name: str) -> dict[str, Any] | None: ...
    async def wait_for_table(self, name: str, state: str = "ACTIVE", timeout: float = 600) -> dict[str, Any]: ...
    async def list_tags(self, name: str) -> dict[str, str]: ...
    async def describe_continuous_backups(self, name: str) -> dict[str, Any]: ...
    async def describe_time_to_live(self, name: str) -> dict[str, Any]: ...
    async def batch_write(self, table: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]: ...
    async def batch_get(self, table: str, keys: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...
    async def scan_page(self, table: str, **options: Any) -> dict[str, Any]: ...
    async def count_items(self, table: str, *, segments: int = 1, index: str | None = None) -> int: ...
    async def count_carrying(self, table: str, carrying: Mapping[str, Sequence[str]], *,
                             segments: int = 1) -> tuple[int, dict[str, int]]:
        """The table's item count and, per name, how many items carry every one of its attributes
        (counted where the items are; only numbers come back)."""


class S3(Protocol):
    server: str

    async def list_buckets(self) -> list[str]: ...
    async def create_bucket(self, bucket: str) -> bool: ...
    async def delete_bucket(self, bucket: str, *, force: bool = False) -> None: ...
    async def put_object(self, bucket: str, key: str, content: bytes, content_type: str | None = None,
                         metadata: Mapping[str, str] | None = None) -> ObjectInfo: ...
    async def get_object(self, bucket: str, key: str) -> bytes | None: ...
    async def head_object(self, bucket: str, key: str) -> ObjectInfo | None: ...
    async def delete_object(self, bucket: str, key: str) -> bool: ...
    async def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]: ...


class Glue(Protocol):
    server: str

    async def list_jobs(self) -> list[str]: ...
    async def create_job(self, job: Mapping[str, Any]) -> None: ...
    async def update_job(self, name: str, job_update: Mapping[str, Any]) -> None: ...
    async def get_job(self, name: str) -> dict[str, Any] | None: ...
    async def delete_job(self, name: str) -> bool: ...
    async def start_job_run(self, name: str, arguments: Mapping[str, str] | None = None) -> str: ...
    async def get_job_run(self, name: str, run_id: str) -> JobRun: ...
    async def list_job_runs(self, name: str) -> list[JobRun]: ...
    async def stop_job_run(self, name: str, run_id: str) -> str: ...
    async def get_job_run_logs(self, name: str, run_id: str, tail_lines: int = 200) -> dict[str, str]: ...
    async def create_connection(self, connection: Mapping[str, Any]) -> None: ...
    async def get_connection(self, name: str) -> dict[str, Any] | None: ...
    async def delete_connection(self, name: str) -> bool: ...


# ----------------------------------------------------------------------------- one run's roles

@dataclass(frozen=True)
class Facades:
    """The four roles of one run, each bound to its server through its adapter."""

    mysql: MySQL
    dynamodb: DynamoDB
    glue: Glue
    s3: S3

    @staticmethod
    def open(hub: McpHub) -> Facades:
        # imported here: the registry imports the adapters, and they import this module's types
        from migrator.mcp.adapters.registry import adapter_for

        return Facades(mysql=cast(MySQL, adapter_for(hub, "mysql")), dynamodb=cast(DynamoDB, adapter_for(hub, "dynamodb")),
                       glue=cast(Glue, adapter_for(hub, "glue")), s3=cast(S3, adapter_for(hub, "s3")))


async def failure_detail(glue: Glue, run: JobRun) -> str:
    """Why a run failed: its error message, else the last line its logs have (when the server can tell)."""
    if run.error_message:
        return run.error_message
    try:
        logs = await glue.get_job_run_logs(run.job_name, run.run_id, tail_lines=5)
    except ToolError:
        return "no error message (the Glue server cannot read the run's logs)"
    lines = (logs.get("stderr") or "").strip().splitlines()
    return lines[-1] if lines else "no error message"
