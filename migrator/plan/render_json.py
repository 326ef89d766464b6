"""The plan for machines (`plan --json`): plain data, sorted, no secrets."""

from __future__ import annotations

from typing import Any

from migrator.plan.model import Action, Plan

FORMAT_VERSION = "0.1"

ACTIONS = {Action.CREATE: ["create"], Action.UPDATE: ["update"], Action.REPLACE: ["delete", "create"],
           Action.DELETE: ["delete"], Action.NOOP: ["no-op"]}


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "summary": {a.value: plan.count(a) for a in Action},
        "resource_changes": [
            {"address": str(c.address), "kind": c.address.kind, "name": c.address.name,
             "actions": ACTIONS[c.action], "reason": c.reason, "before": c.before, "after": c.after,
             "changed": [{"path": a.path, "before": a.before, "after": a.after} for a in c.attributes]}
            for c in plan.changes],
        "findings": [{"severity": f.severity.value, "path": f.path, "code": f.code, "message": f.message,
                      "fix": f.fix} for f in plan.findings],
    }
