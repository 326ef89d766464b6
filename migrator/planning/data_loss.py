"""The data-loss refusal: a plan that deletes or replaces a resource holding data is an error unless allowed."""

from __future__ import annotations

from collections.abc import Mapping

from migrator.contract.model import Contract
from migrator.findings import Finding, Severity
from migrator.plan.model import Action, Plan
from migrator.providers.base import Provider, RunContext


async def data_loss_findings(plan: Plan, contract: Contract, providers: Mapping[str, Provider], run: RunContext,
                             allow: bool) -> list[Finding]:
    """An error per deleted or replaced resource whose provider says it holds data, unless allowed by
    flag or by the table's `allow_data_loss` in the contract (also for tables the contract dropped)."""
    out = []
    for change in plan.changes:
        if change.action not in (Action.DELETE, Action.REPLACE):
            continue
        table = contract.table(change.address.name)
        if allow or (table is not None and table.allow_data_loss):
            continue
        if not await providers[change.address.kind].holds_data(change.address, run):
            continue
        verb = "destroy" if change.action is Action.DELETE else "replace"
        out.append(Finding(Severity.ERROR, table.path if table else "$.tables",
                           f"{change.address} holds items and the plan would {verb} it ({change.reason.words(change.dependency)}); "
                           "its data would be lost", "pass --allow-data-loss, or set \"allow_data_loss\": true on the "
                           "table in the contract, if that is intended", "safety.data_loss"))
    return out
