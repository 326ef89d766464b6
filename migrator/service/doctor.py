"""`migrator doctor`: every role's server starts, has the tools migrator needs and answers a probe;
with a contract, "needs" is what its plan calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

from migrator.contract.model import Contract
from migrator.errors import MigratorError
from migrator.kinds import KINDS
from migrator.mcp.client import McpHub
from migrator.mcp.config import McpConfig
from migrator.mcp.health import DoctorReport, run_doctor
from migrator.mcp.facades import Facades
from migrator.planning.needs import Needs, operations_needed
from migrator.service.servers import compile_live, config_in_use, source_credentials
from migrator.settings import Settings


def check_servers(mcp_config: Path | None = None, contract: Contract | None = None,
                  settings: Settings | None = None) -> DoctorReport:
    """Every role's server: starts, has the tools migrator needs, answers a probe. No Session: a
    role that cannot be bound to a server is a row of the report, not an error before it. With a
    contract, what is required is what its plan calls (compiled from the live schema)."""
    async def go() -> DoctorReport:
        config = config_in_use(mcp_config, settings or Settings())
        async with McpHub(config) as hub:
            needs, scope, warnings = operations_needed(KINDS), "every command", []
            if contract is not None:
                try:
                    needs = await plan_needs(hub, config, contract, settings or Settings())
                    scope = f"the plan of {contract.source or 'the contract'}"
                except MigratorError as exc:
                    warnings.append(f"the plan's operations could not be worked out ({exc}); every command's "
                                    "operations were checked instead")
            report = await run_doctor(hub, needs)
            report.scope, report.warnings = scope, warnings
            return report

    return asyncio.run(go())


async def plan_needs(hub: McpHub, config: McpConfig, contract: Contract, settings: Settings) -> Needs:
    """The operations the contract's plan calls: its resources' kinds, compiled against the live schema."""
    compiled = await compile_live(Facades.open(hub), contract, settings, source_credentials(config, settings))
    if not compiled.ok:   # a table that does not compile has no resources: what it would need is not counted
        raise MigratorError("the contract does not compile against this database (`migrator plan` says why)")
    return operations_needed({address.kind for address in compiled.graph.nodes})
