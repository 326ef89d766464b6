"""The plan for people: Terraform's symbols, one block per address, a summary line."""

from __future__ import annotations

import json
from typing import Any

from migrator.findings import Finding, Severity
from migrator.plan.model import SYMBOL, Action, Change, Plan, is_drift

REASONS = {
    "create_because_new": "",
    "create_because_missing": "it no longer exists (removed outside migrator)",
    "update_because_config_changed": "",
    "update_because_changed_outside_migrator": "changed outside migrator",
    "update_because_exists_unmanaged": "exists but is not in the state; the contract's definition will be applied",
    "update_because_created_but_not_recorded": "created by an earlier run that stopped before recording it",
    "replace_because_key_schema_changed": "the key schema changed (DynamoDB cannot change keys in place)",
    "replace_because_tainted": "an earlier apply failed while creating it",
    "replace_because_inputs_changed": "its inputs changed",
    "replace_because_config_changed": "its definition changed",
    "replace_because_changed_outside_migrator": "changed outside migrator in a way that needs a new one",
    "replace_because_requested": "replacement requested with -replace",
    "delete_because_removed_from_contract": "no longer in the contract",
}


def reason_text(reason: str) -> str:
    if reason.startswith("replace_because_dependency_changed:"):
        return "runs again: " + reason.split(":", 1)[1] + " changes"
    return REASONS.get(reason, reason.replace("_", " "))


def _value(v: Any) -> str:
    text = json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def render_change(change: Change) -> list[str]:
    symbol = SYMBOL[change.action]
    verb = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
            Action.REPLACE: "must be replaced", Action.DELETE: "will be destroyed"}[change.action]
    why = reason_text(change.reason)
    lines = [f"  # {change.address} {verb}" + (f" ({why})" if why else "")]
    lines.append(f"{symbol:>3} {change.address}")
    if change.action is Action.CREATE and change.after:
        for key in sorted(change.after):
            lines.append(f"      + {key} = {_value(change.after[key])}")
    for attr in change.attributes:
        if attr.before is None:
            lines.append(f"      + {attr.path} = {_value(attr.after)}")
        elif attr.after is None:
            lines.append(f"      - {attr.path} = {_value(attr.before)}")
        else:
            lines.append(f"      ~ {attr.path}: {_value(attr.before)} -> {_value(attr.after)}")
    return lines


def summary(plan: Plan) -> str:
    if plan.empty:
        return "No changes. Reality matches the contract."
    return (f"Plan: {plan.count(Action.CREATE)} to add, {plan.count(Action.UPDATE)} to change, "
            f"{plan.count(Action.REPLACE)} to replace, {plan.count(Action.DELETE)} to destroy.")


def render_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[str]:
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return [f"{f.severity.value:7} {f.sentence()}" for f in sorted(findings, key=lambda f: (order[f.severity], f.path))]


def render_plan(plan: Plan) -> str:
    lines: list[str] = []
    if plan.findings:
        lines += render_findings(plan.findings) + [""]
    drift = [c for c in plan.actionable if is_drift(c)]
    if drift:
        lines.append("Changed outside migrator (apply puts back what the contract says):")
        lines += [f"  {SYMBOL[c.action]} {c.address}" for c in drift] + [""]
    if not plan.empty:
        lines.append("migrator will perform these actions:")
        lines.append("")
        for change in plan.actionable:
            lines += render_change(change) + [""]
    lines.append(summary(plan))
    return "\n".join(lines)
