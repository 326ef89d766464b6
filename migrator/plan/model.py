"""A plan as plain data: per address an action, the reason, before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from migrator.findings import Finding
from migrator.graph import Address, Node
from migrator.state.model import ResourceState


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"


#: reasons that mean reality moved away from the state without migrator.
DRIFT_REASONS = frozenset({"update_because_changed_outside_migrator", "create_because_missing",
                           "replace_because_changed_outside_migrator"})

SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-", Action.NOOP: " "}


@dataclass(frozen=True)
class AttributeChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    address: Address
    action: Action
    reason: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    attributes: tuple[AttributeChange, ...] = ()
    node: Node | None = field(default=None, compare=False, repr=False)
    prior: ResourceState | None = field(default=None, compare=False, repr=False)
    observed: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


def is_drift(change: Change) -> bool:
    return change.reason in DRIFT_REASONS


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    lineage: str
    serial: int
    findings: tuple[Finding, ...] = ()

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    @property
    def empty(self) -> bool:
        return not self.actionable

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)
