"""`migrator doctor`: can every role's server start, does it have the tools each operation
needs, does a harmless probe work, and do the MySQL grants allow what the plan does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from migrator.errors import MigratorError
from migrator.mcp.adapters.base import Adapter
from migrator.mcp.adapters.registry import adapter_for
from migrator.mcp.client import McpHub
from migrator.mcp.facades import OPERATIONS, OPTIONAL, ROLES


@dataclass
class OperationCheck:
    operation: str
    required: bool
    ok: bool
    reason: str = ""
    #: what calls it: node kinds (`load`, `dynamodb_table`) and commands (`plan`, `verify`)
    needed_by: tuple[str, ...] = ()


@dataclass
class Probe:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class RoleReport:
    role: str
    server: str
    adapter: str
    command: str
    started: bool = False
    start_seconds: float | None = None
    server_info: dict[str, Any] = field(default_factory=dict)
    tool_count: int = 0
    operations: list[OperationCheck] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def problems(self) -> list[str]:
        out = [self.error] if self.error else []
        out += [f"{self.role}: cannot {o.operation}: {o.reason}" for o in self.operations if o.required and not o.ok]
        out += [f"{self.role}: probe '{p.name}' failed: {p.detail}" for p in self.probes if not p.ok]
        return out

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DoctorReport:
    roles: list[RoleReport]
    seconds: float
    #: whose operations were required: "every command", or the plan of a contract
    scope: str = "every command"
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.roles)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "seconds": round(self.seconds, 3), "scope": self.scope, "warnings": self.warnings,
                "roles": [{**asdict(r), "ok": r.ok, "problems": r.problems} for r in self.roles]}


async def _timed(name: str, fn: Callable[[], Awaitable[str]]) -> Probe:
    began = time.monotonic()
    try:
        detail = await fn()
        return Probe(name, True, detail, time.monotonic() - began)
    except MigratorError as exc:
        return Probe(name, False, str(exc), time.monotonic() - began)


async def _probes(role: str, adapter: Any) -> list[Probe]:
    if role == "mysql":
        async def version() -> str:
            info = await adapter.server_info()
            return f"{info.flavour} {info.version}, database {info.database or '(none)'}, time zone {info.time_zone}"

        async def tables() -> str:
            return f"{len(await adapter.list_tables())} tables and views"

        return [await _timed("server_info", version), await _timed("list_tables", tables)]
    if role == "dynamodb":
        async def dtables() -> str:
            return f"{len(await adapter.list_tables())} tables"
        return [await _timed("list_tables", dtables)]
    if role == "s3":
        async def buckets() -> str:
            return f"{len(await adapter.list_buckets())} buckets"
        return [await _timed("list_buckets", buckets)]

    async def jobs() -> str:
        return f"{len(await adapter.list_jobs())} jobs"
    return [await _timed("list_jobs", jobs)]


async def _grant_checks(adapter: Any, report: RoleReport) -> None:
    """CREATE VIEW and SELECT on the configured database, as the operations that need them."""
    try:
        grants = await adapter.grants()
    except MigratorError as exc:
        report.warnings.append(f"grants could not be read ({exc}); CREATE VIEW and SELECT were not checked")
        return
    database = report.server_info.get("database") or "the configured database"
    for op, allowed, privilege in (("create_view", grants.can_create_view, "CREATE VIEW"),
                                   ("query", grants.can_select, "SELECT")):
        check = next((o for o in report.operations if o.operation == op), None)
        if check is not None and check.ok and not allowed:
            check.ok = False
            check.reason = f"user {grants.user} lacks {privilege} on {database}; GRANT {privilege} ON {database}.* to it"
    if not grants.can_drop:
        report.warnings.append(f"user {grants.user} lacks DROP: `destroy` cannot remove views")


async def check_role(hub: McpHub, role: str, needed: Mapping[str, tuple[str, ...]]) -> RoleReport:
    binding = hub.config.roles[role]
    spec = hub.config.servers.get(binding.server)
    report = RoleReport(role=role, server=binding.server, adapter=binding.adapter,
                        command=" ".join([spec.command, *spec.args]) if spec else "")
    try:
        adapter: Adapter = adapter_for(hub, role)
        conn = hub.connection(adapter.server)
        tools = {t.name for t in await hub.list_tools(adapter.server)}
    except MigratorError as exc:
        report.error = f"{role}: {exc}"
        return report
    report.started = True
    report.start_seconds = conn.started_in
    report.server_info = dict(conn.server_info)
    report.tool_count = len(tools)
    report.warnings += adapter.diagnose(report.server_info, tools)
    for op in OPERATIONS[role]:
        required = op in needed and op not in OPTIONAL[role]
        needs = adapter.required_tools.get(op)
        if needs is None:
            reason = adapter.unsupported.get(op, f"the {binding.adapter} adapter cannot do it")
            report.operations.append(OperationCheck(op, required, False, reason, needed.get(op, ())))
            continue
        missing = [t for t in needs if t not in tools]
        reason = (f"needs tool{'s' if len(missing) > 1 else ''} {', '.join(repr(t) for t in missing)}, "
                  f"which server '{adapter.server}' does not list") if missing else ""
        report.operations.append(OperationCheck(op, required, not missing, reason, needed.get(op, ())))
    report.probes = await _probes(role, adapter)
    if role == "mysql" and report.probes and report.probes[0].ok:
        info = await adapter.server_info()  # type: ignore[attr-defined]
        report.server_info.update({"database": info.database, "flavour": info.flavour, "mysql_version": info.version})
        if info.time_zone not in {"+00:00", "UTC", "SYSTEM"} or (info.time_zone == "SYSTEM" and binding.adapter != "builtin"):
            report.warnings.append(f"session time zone is {info.time_zone}; temporal values are read in UTC only by "
                                   "the built-in server")
        await _grant_checks(adapter, report)
    return report


async def run_doctor(hub: McpHub, needs: Mapping[str, Mapping[str, tuple[str, ...]]]) -> DoctorReport:
    """Check every role concurrently against `needs` (role -> operation -> what calls it): an
    operation nothing calls, or one a step can do without (OPTIONAL), is a note, not a problem."""
    began = time.monotonic()
    reports = await asyncio.gather(*(check_role(hub, role, needs.get(role, {})) for role in ROLES))
    return DoctorReport(list(reports), time.monotonic() - began)
