"""The plan for machines (`plan --json`): plain data, sorted, no secrets.

The document is described by `schemas/plan.schema.json` (a copy ships in the package as
`migrator/plan/plan.schema.json`); `FORMAT_VERSION` changes whenever its shape does.
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

FORMAT_VERSION = "1.0"
SCHEMA_FILE = "plan.schema.json"
SENSITIVE = "(sensitive)"

ACTIONS = {Action.CREATE: ["create"], Action.UPDATE: ["update"], Action.REPLACE: ["delete", "create"],
           Action.DELETE: ["delete"], Action.NOOP: ["no-op"]}

#: Per node kind, the attributes a create or replace only learns once it has run (provider-independent:
#: what a read or a run reports that the contract cannot say in advance).
KNOWN_AFTER_APPLY: Mapping[str, tuple[str, ...]] = {
    "mysql_view": ("definition",),
    "dynamodb_table": ("TableStatus", "ItemCount", "Tags"),
    "s3_bucket": (),
    "s3_object": (),
    "glue_connection": (),
    "glue_job": (),
    "load": ("run_id", "state", "rows_read", "items_written", "items_rejected", "rejected_by_reason",
             "duration_seconds", "writer"),
    "check": ("view_rows", "table_items", "distinct_keys", "overwritten", "ok", "problems"),
}

#: Reasons that mean reality moved without migrator: the plan repairs it.
def after_unknown(change: Change) -> dict[str, bool]:
    if change.action not in (Action.CREATE, Action.REPLACE):
        return {}
    return {name: True for name in KNOWN_AFTER_APPLY.get(change.address.kind, ())}


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
        "actions": ACTIONS[c.action], "reason": c.reason, "before": c.before, "after": c.after,
        "after_unknown": after_unknown(c),
        "changed": [{"path": a.path, "before": a.before, "after": a.after} for a in c.attributes],
    })


def plan_fingerprint(resource_changes: list[dict[str, Any]]) -> str:
    """sha256 of the canonical JSON (sorted keys, no whitespace) of the resource changes."""
    return fingerprint(resource_changes)


def plan_json(plan: Plan) -> dict[str, Any]:
    changes = [resource_change(c) for c in plan.changes]
    return {
        "format_version": FORMAT_VERSION,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "summary": {a.value: plan.count(a) for a in Action},
        "resource_changes": changes,
        "drift": [str(c.address) for c in plan.changes if is_drift(c)],
        "findings": [{"severity": f.severity.value, "path": f.path, "code": f.code, "message": f.message,
                      "fix": f.fix} for f in plan.findings],
        "fingerprint": plan_fingerprint(changes),
    }


def schema_path() -> Path:
    """The canonical `schemas/` file in a source checkout, else the copy shipped in the package."""
    here = Path(__file__).resolve()
    canonical = here.parent.parent.parent / "schemas" / SCHEMA_FILE
    return canonical if canonical.is_file() else here.with_name(SCHEMA_FILE)


@lru_cache(maxsize=1)
def plan_schema() -> dict[str, Any]:
    """The published JSON schema of `plan_json`'s document."""
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    assert isinstance(schema, dict)
    return schema


__all__ = ["ACTIONS", "FORMAT_VERSION", "KNOWN_AFTER_APPLY", "after_unknown", "is_drift",
           "plan_fingerprint", "plan_json", "plan_schema", "public_change", "resource_change"]
