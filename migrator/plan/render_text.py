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


#: a value longer than this is cut in the text plan (`plan --no-truncate` shows it whole)
WIDTH = 120


def _text(v: Any) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)


def _value(v: Any, width: int | None = WIDTH) -> str:
    text = _text(v)
    return text if width is None or len(text) <= width else text[:width - 3] + "..."


def _shown(change: Change) -> list[Any]:
    """The values a change's block shows."""
    values = list(change.after.values()) if change.action is Action.CREATE and change.after else []
    return values + [v for attr in change.attributes for v in (attr.before, attr.after) if v is not None]


def render_change(change: Change, width: int | None = WIDTH) -> list[str]:
    symbol = SYMBOL[change.action]
    verb = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
            Action.REPLACE: "must be replaced", Action.DELETE: "will be destroyed"}[change.action]
    why = reason_text(change.reason, change.dependency)
    lines = [f"  # {change.address} {verb}" + (f" ({why})" if why else "")]
    lines.append(f"{symbol:>3} {change.address}")
    lines += note_lines(change)
    if change.action is Action.CREATE and change.after:
        for key in sorted(change.after):
            lines.append(f"      + {key} = {_value(change.after[key], width)}")
    for attr in change.attributes:
        if attr.before is None:
            lines.append(f"      + {attr.path} = {_value(attr.after, width)}")
        elif attr.after is None:
            lines.append(f"      - {attr.path} = {_value(attr.before, width)}")
        else:
            lines.append(f"      ~ {attr.path}: {_value(attr.before, width)} -> {_value(attr.after, width)}")
    return lines


def note_lines(change: Change) -> list[str]:
    """What the compiler noted beside a change that will run, in words (a load's engine and why, the
    capacity it raises); the numbers behind them are in `plan --json`'s notes."""
    if change.node is None or change.action is Action.DELETE:
        return []
    return [f"      # {key.replace('_', ' ')}: {value}" for key, value in sorted(change.node.notes.items())
            if isinstance(value, str)]


def errors_of(plan: Plan) -> list[Finding]:
    return [f for f in plan.findings if f.severity is Severity.ERROR]


def failed_summary(plan: Plan) -> str | None:
    """A plan with errors is no plan: never "No changes" beside an error. None when it has none."""
    errors = errors_of(plan)
    if not errors:
        return None
    one = len(errors) == 1
    read = "nothing was compared with reality and nothing was changed" if not plan.changes else "nothing was changed"
    return (f"Plan failed: {len(errors)} error{'' if one else 's'} (each listed once above); {read}. "
            f"Fix {'it' if one else 'them'} and plan again.")


def summary(plan: Plan) -> str:
    failed = failed_summary(plan)
    if failed is not None:
        return failed
    if plan.empty:
        return "No changes. Reality matches the contract."
    return (f"Plan: {plan.count(Action.CREATE)} to add, {plan.count(Action.UPDATE)} to change, "
            f"{plan.count(Action.REPLACE)} to replace, {plan.count(Action.DELETE)} to destroy.")


def render_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[str]:
    """One line per finding, errors first; a finding two checks made alike (the offline lint and the
    compiler, say) is shown once."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    lines = [f"{f.severity.value:7} {f.sentence()}" for f in sorted(findings, key=lambda f: (order[f.severity], f.path))]
    return list(dict.fromkeys(lines))


def render_plan(plan: Plan, *, width: int | None = WIDTH, findings: bool = True) -> str:
    """The plan as text. `findings=False` leaves the warnings and errors out (the CLI sends them to
    stderr); `width=None` shows every value whole."""
    lines: list[str] = []
    if findings and plan.findings:
        lines += render_findings(plan.findings) + [""]
    if errors_of(plan):   # what it would change is not the point: the errors are
        return "\n".join(lines + [summary(plan)])
    drift = [c for c in plan.actionable if is_drift(c)]
    if drift:
        lines.append("Changed outside migrator (apply puts back what the contract says):")
        lines += [f"  {SYMBOL[c.action]} {c.address}" for c in drift] + [""]
    if not plan.empty:
        lines.append("migrator will perform these actions:")
        lines.append("")
        for change in plan.actionable:
            lines += render_change(change, width) + [""]
    lines.append(summary(plan))
    if width is not None and any(len(_text(v)) > width for c in plan.actionable for v in _shown(c)):
        lines.append(f"(values longer than {width} characters end in '...': `plan --no-truncate` or "
                     "`plan --json` shows them whole)")
    return "\n".join(lines)
