"""The data-loss refusal: a plan that deletes or replaces a resource holding data is an error unless allowed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from migrator.contract.model import Contract
from migrator.findings import Finding, Severity
from migrator.plan.model import Action, Plan
from migrator.providers.base import Provider, RunContext


async def data_loss_findings(plan: Plan, contract: Contract, providers: Mapping[str, Provider], run: RunContext,
                             allow: bool) -> list[Finding]:
    """An error per deleted or replaced resource whose provider says it holds data, unless allowed by
    flag or by the table's `allow_data_loss` in the contract (also for tables the contract dropped)."""
    def allowed(name: str) -> bool:
        table = contract.table(name)
        return allow or (table is not None and table.allow_data_loss)

    candidates = [c for c in plan.changes
                  if c.action in (Action.DELETE, Action.REPLACE) and not allowed(c.address.name)]
    # one round trip per candidate, all at once: a plan that drops many tables does not wait for each in turn
    holding = await asyncio.gather(*(providers[c.address.kind].holds_data(c.address, run) for c in candidates))
    out = []
    for change, holds in zip(candidates, holding):
        if not holds:
            continue
        table = contract.table(change.address.name)
        verb = "destroy" if change.action is Action.DELETE else "replace"
        out.append(Finding(Severity.ERROR, table.path if table else "$.tables",
                           f"{change.address} holds items and the plan would {verb} it ({change.reason.words(change.dependency)}); "
                           "its data would be lost", "pass --allow-data-loss, or set \"allow_data_loss\": true on the "
                           "table in the contract, if that is intended", "safety.data_loss"))
    return out
