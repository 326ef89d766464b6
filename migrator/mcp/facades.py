"""The typed face of each role. The rest of migrator talks to these, never to tools.

Each adapter (built-in servers, or a third-party server) implements one of these
protocols and says, per operation, which tools it needs; `doctor` checks those tools
against what the configured server lists.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# ----------------------------------------------------------------------------- operations

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


# ----------------------------------------------------------------------------- MySQL types

@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer | decimal | float | string | binary | date | datetime | time | json | null | unknown


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def dicts(self) -> list[dict[str, Any]]:
        names = self.names
        return [dict(zip(names, row)) for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows and self.rows[0] else None


def decode_cell(kind: str, value: Any) -> Any:
    """A cell as Python: exact Decimal, datetime, bytes — never a float for a DECIMAL."""
    if value is None:
        return None
    if kind == "integer":
        return int(value)
    if kind == "decimal":
        return decimal.Decimal(str(value))
    if kind == "float":
        return float(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value).replace(" ", "T"))
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "binary":
        return base64.b64decode(value)
    return value


@dataclass(frozen=True)
class ServerInfo:
    version: str
    flavour: str  # mysql | mariadb
    version_number: tuple[int, ...]
    sql_mode: str
    only_full_group_by: bool
    time_zone: str
    database: str
    current_user: str


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    data_type: str
    column_type: str
    nullable: bool
    key: str = ""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    name: str
    kind: str  # table | view
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_estimate: int | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class ViewInfo:
    name: str
    definition: str


@dataclass(frozen=True)
class SchemaInfo:
    database: str
    tables: Mapping[str, TableInfo]
    views: Mapping[str, ViewInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Grants:
    user: str
    privileges: frozenset[str]

    @property
    def can_select(self) -> bool:
        return "SELECT" in self.privileges

    @property
    def can_create_view(self) -> bool:
        return "CREATE VIEW" in self.privileges

    @property
    def can_drop(self) -> bool:
        return "DROP" in self.privileges


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
    started_on: str | None = None
    completed_on: str | None = None
    execution_seconds: float | None = None
    arguments: Mapping[str, str] = field(default_factory=dict)

    TERMINAL = frozenset({"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "EXPIRED"})

    @property
    def done(self) -> bool:
        return self.state in self.TERMINAL


class DynamoDB(Protocol):
    server: str

    async def list_tables(self) -> list[str]: ...
    async def create_table(self, spec: Mapping[str, Any]) -> dict[str, Any]: ...
    async def describe_table(self, name: str) -> dict[str, Any] | None: ...
    async def update_table(self, name: str, **changes: Any) -> dict[str, Any]: ...
    async def delete_table(self, name: str) -> dict[str, Any] | None: ...
    async def wait_for_table(self, name: str, state: str = "ACTIVE", timeout: float = 600) -> dict[str, Any]: ...
    async def list_tags(self, name: str) -> dict[str, str]: ...
    async def batch_write(self, table: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]: ...
    async def scan_page(self, table: str, **options: Any) -> dict[str, Any]: ...
    async def count_items(self, table: str, *, segments: int = 1) -> int: ...


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
