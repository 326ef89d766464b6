"""A plan as plain data: per address an action, the reason, before and after.

The bottom of the planning layers: it knows addresses, nodes and the state's records, never
providers, MCP, the compiler or the engine (providers build `Change`s; renderers read them, and
what only a provider knows, such as the attributes known after apply, a `Change` carries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

from migrator.findings import Finding
from migrator.graph import Address, Node
from migrator.state.model import ResourceState


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"


SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-", Action.NOOP: " "}

#: where a reason's words name the dependency the change carries (`Change.dependency`).
DEPENDENCY = "{dependency}"


class Reason(StrEnum):
    """Why an address gets its action: the one table of reasons every renderer reads.

    Each member is its stable code (the `reason` of `plan --json`) and its words:

    - `text`: what the text plan writes after the verb ("" when the verb says enough),
      also the drift list's words in markdown;
    - `cell`: what a markdown table cell or the destroy banner writes (default: `text`);
    - `repair`: for a reason that means reality moved without migrator (drift), what apply
      does about it; None for every other reason.

    `{dependency}` in the words stands for the address the change names (`Change.dependency`);
    a reason whose words hold it needs one. A new reason is one line here plus the code that
    decides it.
    """

    text: str
    cell: str
    repair: str | None

    def __new__(cls, code: str, text: str = "", cell: str = "", repair: str | None = None) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.text, member.cell, member.repair = text, cell or text, repair
        return member

    CREATE_BECAUSE_NEW = "create_because_new", "", "new in the contract"
    CREATE_BECAUSE_MISSING = ("create_because_missing", "it no longer exists (removed outside migrator)", "",
                              "apply creates it again")
    UPDATE_BECAUSE_CONFIG_CHANGED = "update_because_config_changed", "", "its definition changed"
    UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR = ("update_because_changed_outside_migrator", "changed outside migrator",
                                               "", "apply puts back the contract's definition")
    UPDATE_BECAUSE_EXISTS_UNMANAGED = ("update_because_exists_unmanaged",
                                       "exists but is not in the state; the contract's definition will be applied")
    UPDATE_BECAUSE_CREATED_BUT_NOT_RECORDED = ("update_because_created_but_not_recorded",
                                               "created by an earlier run that stopped before recording it")
    REPLACE_BECAUSE_KEY_SCHEMA_CHANGED = ("replace_because_key_schema_changed",
                                          "the key schema changed (DynamoDB cannot change keys in place)")
    REPLACE_BECAUSE_TAINTED = "replace_because_tainted", "an earlier apply failed while creating it"
    REPLACE_BECAUSE_INPUTS_CHANGED = "replace_because_inputs_changed", "its inputs changed"
    REPLACE_BECAUSE_CONFIG_CHANGED = "replace_because_config_changed", "its definition changed"
    REPLACE_BECAUSE_DEPENDENCY_CHANGED = "replace_because_dependency_changed", f"runs again: {DEPENDENCY} changes"
    REPLACE_BECAUSE_OVER_BUDGET = ("replace_because_over_budget",
                                   "runs again: its rejected rows exceed the budget now")
    DELETE_BECAUSE_REMOVED_FROM_CONTRACT = "delete_because_removed_from_contract", "no longer in the contract"
    REPLACE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR = ("replace_because_changed_outside_migrator",
                                                "changed outside migrator in a way that needs a new one", "",
                                                "apply replaces it with the contract's definition")
    REPLACE_BECAUSE_REQUESTED = "replace_because_requested", "replacement requested with -replace"
    NOT_TARGETED = "not_targeted", "not targeted"
    NO_CHANGES = "no_changes", "no changes"
    #: an address neither the contract nor the state has (decide never asks about one)
    NOT_MANAGED = "not managed", "not managed"

    @property
    def drift(self) -> bool:
        """Reality moved away from the state without migrator: the plan repairs it."""
        return self.repair is not None

    @property
    def names_dependency(self) -> bool:
        return DEPENDENCY in self.text

    def code(self, dependency: Address | None = None) -> str:
        """The stable code, with the dependency it names: `replace_because_dependency_changed:load.x`."""
        return f"{self.value}:{dependency}" if dependency is not None else self.value

    def words(self, dependency: Address | None = None, *, cell: bool = False) -> str:
        """The reason in plain words (see the class), the dependency written as its address."""
        return (self.cell if cell else self.text).replace(DEPENDENCY, str(dependency))


@dataclass(frozen=True)
class AttributeChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    address: Address
    action: Action
    reason: Reason
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    attributes: tuple[AttributeChange, ...] = ()
    node: Node | None = field(default=None, compare=False, repr=False)
    prior: ResourceState | None = field(default=None, compare=False, repr=False)
    observed: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    #: the address a reason like `replace_because_dependency_changed` names; None for every other reason
    dependency: Address | None = None
    #: the attributes of this kind a create or replace only learns once it has run (its provider's
    #: `computed`, filled in by planning): the renderers show them as "known after apply"
    known_after_apply: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.reason, Reason):
            raise TypeError(f"{self.address}: the reason must be a Reason, not {self.reason!r}")
        if self.reason.names_dependency != (self.dependency is not None):
            raise ValueError(f"{self.address}: reason {self.reason.value} "
                             + ("needs the dependency it names" if self.dependency is None else "names no dependency"))

    @property
    def reason_code(self) -> str:
        """The reason as `plan --json` writes it."""
        return self.reason.code(self.dependency)


def is_drift(change: Change) -> bool:
    return change.reason.drift


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
