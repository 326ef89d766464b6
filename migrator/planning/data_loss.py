"""The data-loss refusal: a plan that deletes or replaces a table holding items is an error unless allowed."""

from __future__ import annotations

from migrator.contract.model import Contract
from migrator.findings import Finding, Severity
from migrator.mcp.roles import Facades
from migrator.plan.model import Action, Plan


async def data_loss_findings(plan: Plan, contract: Contract, facades: Facades, allow: bool) -> list[Finding]:
    """A plan that deletes or replaces a table holding items is an error unless allowed, by
    flag or by the table's `allow_data_loss` in the contract (also for tables the contract dropped)."""
    out = []
    for change in plan.changes:
        if change.address.kind != "dynamodb_table" or change.action not in (Action.DELETE, Action.REPLACE):
            continue
        table = contract.table(change.address.name)
        if allow or (table is not None and table.allow_data_loss):
            continue
        if await facades.dynamodb.describe_table(change.address.name) is None:
            continue
        page = await facades.dynamodb.scan_page(change.address.name, limit=1, select="COUNT")
        if int(page.get("count") or 0) == 0 and not page.get("last_evaluated_key"):
            continue
        verb = "destroy" if change.action is Action.DELETE else "replace"
        out.append(Finding(Severity.ERROR, table.path if table else "$.tables",
                           f"{change.address} holds items and the plan would {verb} it ({change.reason.words(change.dependency)}); "
                           "its data would be lost", "pass --allow-data-loss, or set \"allow_data_loss\": true on the "
                           "table in the contract, if that is intended", "safety.data_loss"))
    return out
