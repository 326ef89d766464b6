"""The flow shared by plan, apply and destroy: read the source, compile, refresh, decide."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace

from migrator.compile.contract import Compiled, SourceCredentials, compile_contract
from migrator.contract.model import Contract, Finding, Severity
from migrator.errors import ConfigError
from migrator.mcp.config import McpConfig
from migrator.mcp.roles import Facades
from migrator.plan.build import decide, refresh
from migrator.plan.live_checks import data_findings
from migrator.plan.model import Plan
from migrator.providers import providers as make_providers
from migrator.providers.base import Provider, ProviderContext
from migrator.settings import Settings
from migrator.state.model import State


def source_credentials(config: McpConfig, settings: Settings | None = None) -> SourceCredentials:
    """The MySQL account the load job uses: the MySQL role's server environment (then ours).

    `settings.source_host/port` replace the address when Glue reaches MySQL another way.
    """
    spec = config.server_for("mysql")
    env = {**{k: v for k, v in os.environ.items() if k.startswith("MYSQL_")}, **spec.env}
    missing = [k for k in ("MYSQL_USER", "MYSQL_DATABASE") if not env.get(k)]
    if missing:
        raise ConfigError(f"the load jobs need MySQL credentials, but mcpServers.{spec.name}.env has no "
                          + " or ".join(missing), hint="set MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD and "
                          "MYSQL_DATABASE there")
    try:
        port = int(env.get("MYSQL_PORT") or 3306)
    except ValueError:
        raise ConfigError(f"mcpServers.{spec.name}.env.MYSQL_PORT is not a number") from None
    host = env.get("MYSQL_HOST") or "127.0.0.1"
    if settings is not None:
        host, port = settings.source_host or host, settings.source_port or port
    return SourceCredentials(host=host, port=port, user=env["MYSQL_USER"],
                             password=env.get("MYSQL_PASSWORD", ""), database=env["MYSQL_DATABASE"])


def merge_findings(offline: tuple[Finding, ...], live: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Offline lint plus what the live schema showed; where both speak of a table name in a
    fragment, the live finding (which knows the schema) replaces the offline guess."""
    live_paths = {f.path for f in live if f.code.startswith("sql.")}
    kept = tuple(f for f in offline if not (f.code == "sql.table" and f.path in live_paths))
    return kept + live


@dataclass
class Planned:
    compiled: Compiled
    plan: Plan
    providers: dict[str, Provider]
    ctx: ProviderContext

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.severity is Severity.ERROR]


async def make_plan(contract: Contract, facades: Facades, settings: Settings, state: State,
                    source: SourceCredentials) -> Planned:
    server = await facades.mysql.server_info()
    schema = await facades.mysql.describe_schema()
    compiled = compile_contract(contract, schema, server, settings, source)
    provs = make_providers(state.lineage)
    ctx = ProviderContext(facades=facades, settings=settings, lineage=state.lineage, artifacts=compiled.artifacts)
    findings = merge_findings(contract.findings, compiled.findings)
    if not compiled.ok:
        return Planned(compiled, Plan((), state.lineage, state.serial, findings), provs, ctx)
    observed, data = await asyncio.gather(refresh(compiled.graph, state, provs, ctx, settings.parallelism),
                                          data_findings(compiled, contract, facades))
    plan = replace(decide(compiled.graph, state, provs, observed), findings=findings + tuple(data))
    return Planned(compiled, plan, provs, ctx)
