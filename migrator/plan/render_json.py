"""The plan for machines (`plan --json`): plain data, sorted, no secrets.

The document is described by `schemas/plan.schema.json` (a copy ships in the package as
`migrator/plan/plan.schema.json`; `migrator.plan.schema` generates both); `FORMAT_VERSION`
changes whenever its shape does: the major number when a field is removed or changes meaning, the
minor number when a field is added (1.1: `errors` and `message`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from migrator.graph import fingerprint
from migrator.plan.model import Action, AttributeChange, Change, Plan, is_drift
from migrator.plan.render_text import errors_of, summary
from migrator.plan.schema import CANONICAL, PACKAGED

FORMAT_VERSION = "1.1"
SENSITIVE = "(sensitive)"

ACTIONS = {Action.CREATE: ["create"], Action.UPDATE: ["update"], Action.REPLACE: ["delete", "create"],
           Action.DELETE: ["delete"], Action.NOOP: ["no-op"]}

def known_after_apply(change: Change) -> tuple[str, ...]:
    """What a create or replace learns only once it has run (an update or delete learns nothing new)."""
    return change.known_after_apply if change.action in (Action.CREATE, Action.REPLACE) else ()


def after_unknown(change: Change) -> dict[str, bool]:
    return dict.fromkeys(known_after_apply(change), True)


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """Exactly what `json.dumps` would write, read back: tuples become lists, odd scalars strings."""
    plain: dict[str, Any] = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    return plain


def _masked(value: Mapping[str, Any] | None, sensitive: frozenset[str]) -> Any:
    if value is None:
        return None
    return {k: (SENSITIVE if k in sensitive and v is not None else v) for k, v in value.items()}


def _top_key(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def public_change(change: Change) -> Change:
    """The change with its node's sensitive keys masked wherever they could appear (before, after
    and the changed attributes), not only where `Node.public_config` already masks them."""
    sensitive = change.node.sensitive if change.node is not None else frozenset()
    if not sensitive:
        return change
    attributes = tuple(
        AttributeChange(a.path, SENSITIVE if a.before is not None else None, SENSITIVE if a.after is not None else None)
        if _top_key(a.path) in sensitive else a for a in change.attributes)
    return replace(change, before=_masked(change.before, sensitive), after=_masked(change.after, sensitive),
                   attributes=attributes)


def resource_change(change: Change) -> dict[str, Any]:
    """One address of the plan, as plain JSON data."""
    c = public_change(change)
    return _plain({
        "address": str(c.address), "kind": c.address.kind, "name": c.address.name,
        "actions": ACTIONS[c.action], "reason": c.reason_code, "before": c.before, "after": c.after,
        "after_unknown": after_unknown(c),
        "changed": [{"path": a.path, "before": a.before, "after": a.after} for a in c.attributes],
    })


def plan_fingerprint(resource_changes: list[dict[str, Any]]) -> str:
    """sha256 of the canonical JSON (sorted keys, no whitespace) of the resource changes."""
    return fingerprint(resource_changes)


def message(plan: Plan) -> str:
    """The text plan's last line, worded for this document: its errors are in `findings`, not "above"."""
    errors = errors_of(plan)
    if not errors:
        return summary(plan)
    one = len(errors) == 1
    read = "nothing was compared with reality and nothing was changed" if not plan.changes else "nothing was changed"
    return (f"Plan failed: {len(errors)} error{'' if one else 's'} (each listed once in `findings`); {read}. "
            f"Fix {'it' if one else 'them'} and plan again.")


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON; `message` is the text plan's last line ("Plan failed: …" while it has errors)."""
    changes = [resource_change(c) for c in plan.changes]
    errors = errors_of(plan)
    return {
        "format_version": FORMAT_VERSION,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "summary": {a.value: plan.count(a) for a in Action},
        "errors": len(errors),
        "message": message(plan),
        "resource_changes": changes,
        "drift": [str(c.address) for c in plan.changes if is_drift(c)],
        "findings": [{"severity": f.severity.value, "path": f.path, "code": f.code, "message": f.message,
                      "fix": f.fix} for f in plan.findings],
        "notes": {str(c.address): dict(c.node.notes) for c in plan.actionable if c.node is not None and c.node.notes},
        "fingerprint": plan_fingerprint(changes),
    }


def schema_path() -> Path:
    """The canonical `schemas/` file in a source checkout, else the copy shipped in the package
    (both generated by `migrator.plan.schema`)."""
    return CANONICAL if CANONICAL.is_file() else PACKAGED


@lru_cache(maxsize=1)
def plan_schema() -> dict[str, Any]:
    """The published JSON schema of `plan_json`'s document."""
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    assert isinstance(schema, dict)
    return schema


__all__ = ["ACTIONS", "FORMAT_VERSION", "after_unknown", "is_drift", "known_after_apply",
           "plan_fingerprint", "plan_json", "plan_schema", "public_change", "resource_change"]
