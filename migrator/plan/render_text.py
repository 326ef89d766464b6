"""The plan for people: Terraform's symbols, one block per address, a summary line."""

from __future__ import annotations

import json
from typing import Any

from migrator.findings import Finding, Severity
from migrator.graph import Address
from migrator.plan.model import SYMBOL, Action, Change, Plan, Reason, is_drift


def reason_text(reason: Reason, dependency: Address | None = None) -> str:
    """The words after the verb ("" when the verb says enough): `Reason.text`."""
    return reason.words(dependency)


def _value(v: Any) -> str:
    text = json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def render_change(change: Change) -> list[str]:
    symbol = SYMBOL[change.action]
    verb = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
            Action.REPLACE: "must be replaced", Action.DELETE: "will be destroyed"}[change.action]
    why = reason_text(change.reason, change.dependency)
    lines = [f"  # {change.address} {verb}" + (f" ({why})" if why else "")]
    lines.append(f"{symbol:>3} {change.address}")
    lines += note_lines(change)
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


def note_lines(change: Change) -> list[str]:
    """What the compiler noted beside a change that will run, in words (a load's engine and why, the
    capacity it raises); the numbers behind them are in `plan --json`'s notes."""
    if change.node is None or change.action is Action.DELETE:
        return []
    return [f"      # {key.replace('_', ' ')}: {value}" for key, value in sorted(change.node.notes.items())
            if isinstance(value, str)]


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
