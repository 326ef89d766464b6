"""The provider contract: read, plan, create, update, delete for one node kind, via facades.

`plan` is pure: given the desired node, the recorded state and what `read` observed, it
decides the action and its reason. The I/O methods return the attributes to record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from migrator.graph import Address, Node
from migrator.mcp.roles import Facades
from migrator.plan.diff import attribute_changes
from migrator.plan.model import Action, Change, Reason
from migrator.providers.capacity import CapacityLeases
from migrator.settings import Settings
from migrator.state.model import ResourceState, State


@dataclass
class ProviderContext:
    facades: Facades
    settings: Settings
    lineage: str
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    report: Callable[[Address, str], None] = lambda address, message: None
    #: live figures of a running load (`providers.load.progress_figures`), for a progress bar
    progress: Callable[[Address, Mapping[str, Any]], None] = lambda address, figures: None
    current_state: Callable[[], State] | None = None
    #: what the running walk deletes: a resource whose container goes too may leave the work to it
    deleting: frozenset[Address] = frozenset()
    #: records attributes for a resource still being made (as tainted: a crash leaves them for the
    #: next plan, which replaces it); set by the engine during an apply
    checkpoint: Callable[[Address, Mapping[str, Any]], Awaitable[None]] | None = None
    #: this apply's write-capacity leases, by table (the loads of one table share one raise)
    capacity: CapacityLeases = field(default_factory=CapacityLeases)

    def recorded(self, address: Address) -> ResourceState | None:
        return self.current_state().get(address) if self.current_state else None


def uses(**roles: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    """A provider's `operations`: per role, the facade operations it calls (read-only)."""
    return MappingProxyType(roles)


class Provider:
    """One node kind. The class attributes declare the kind to the rest of migrator: the graph's
    kinds, the plan schema's enums, `KNOWN_AFTER_APPLY` and `migrator import` derive from them."""

    #: the part of an address before the dot (`dynamodb_table.orders`)
    kind: ClassVar[str]
    #: the facade operations this kind calls, per role (`doctor CONTRACT` checks the servers can do them)
    operations: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: attributes a create or replace only learns once it has run ("known after apply")
    computed: ClassVar[tuple[str, ...]] = ()
    #: top-level attributes whose change cannot be applied in place: the resource is replaced
    replace_paths: ClassVar[tuple[str, ...]] = ()
    #: the reason of a replace that `replace_paths` force (unless it repairs drift)
    replace_reason_for_config: ClassVar[Reason] = Reason.REPLACE_BECAUSE_CONFIG_CHANGED
    #: whether `migrator import KIND.NAME NAME` can adopt an existing one (`read` needs no node nor record)
    importable: ClassVar[bool] = False
    #: loads and checks run again whenever something they depend on changes.
    reruns_with_dependencies: ClassVar[bool] = False
    #: whether a change of this resource makes the loads and checks that depend on it run again
    reruns_dependants: ClassVar[bool] = True

    def reruns_dependants_for(self, change: Change) -> bool:
        """Whether this change makes dependent loads and checks run again (default: the kind's say)."""
        return self.reruns_dependants

    def __init__(self, lineage: str = "") -> None:
        #: the lineage of the state this run records into (tables carry it as a tag)
        self.lineage = lineage

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: ProviderContext) -> dict[str, Any] | None:
        raise NotImplementedError

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The part of a node's config that `read` can observe, shaped like the observation."""
        return dict(config)

    def exclusive_group(self, address: Address) -> str | None:
        """A name shared by resources the service changes one at a time; None: no such limit."""
        return None

    def change_kind(self, change: Change) -> Action:
        """Whether differences can be applied in place (UPDATE) or need a REPLACE (one under `replace_paths`)."""
        if any(top_level(c.path) in self.replace_paths for c in change.attributes):
            return Action.REPLACE
        return Action.UPDATE

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change:
        if node is None:
            if prior is None:
                return Change(address, Action.NOOP, Reason.NOT_MANAGED, prior=prior, observed=observed)
            return Change(address, Action.DELETE, Reason.DELETE_BECAUSE_REMOVED_FROM_CONTRACT,
                          before=observed or prior.attributes, prior=prior, observed=observed)
        after = node.public_config()
        if prior is not None and prior.status == "tainted":
            return Change(address, Action.REPLACE, Reason.REPLACE_BECAUSE_TAINTED, before=observed, after=after,
                          node=node, prior=prior, observed=observed)
        if observed is None:
            reason = Reason.CREATE_BECAUSE_MISSING if prior is not None else Reason.CREATE_BECAUSE_NEW
            return Change(address, Action.CREATE, reason, after=after, node=node, prior=prior)
        desired = self.comparable(node.config)
        diffs = attribute_changes(self.comparable(observed), desired)
        if prior is None:
            return Change(address, Action.UPDATE, Reason.UPDATE_BECAUSE_EXISTS_UNMANAGED, before=observed, after=after,
                          attributes=diffs, node=node, prior=prior, observed=observed)
        if not diffs:
            return Change(address, Action.NOOP, Reason.NO_CHANGES, before=observed, after=after, node=node, prior=prior,
                          observed=observed)
        drifted = self.comparable(observed) != self.comparable(prior.attributes)
        reason = Reason.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR if drifted else Reason.UPDATE_BECAUSE_CONFIG_CHANGED
        draft = Change(address, Action.UPDATE, reason, before=observed, after=after,
                       attributes=diffs, node=node, prior=prior, observed=observed)
        action = self.change_kind(draft)
        if action is Action.REPLACE:
            return Change(address, Action.REPLACE, self.replace_reason(draft), before=observed, after=after,
                          attributes=diffs, node=node, prior=prior, observed=observed)
        return draft

    def replace_reason(self, change: Change) -> Reason:
        if change.reason is Reason.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR:
            return Reason.REPLACE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR
        return self.replace_reason_for_config

    async def create(self, node: Node, ctx: ProviderContext) -> dict[str, Any]:
        raise NotImplementedError

    async def update(self, change: Change, ctx: ProviderContext) -> dict[str, Any]:
        assert change.node is not None
        return await self.create(change.node, ctx)

    async def delete(self, address: Address, prior: ResourceState, ctx: ProviderContext) -> None:
        raise NotImplementedError


def top_level(path: str) -> str:
    """The attribute a changed path is under: `KeySchema` for `KeySchema[0].AttributeName`."""
    return path.split("[", 1)[0].split(".", 1)[0]


class RunProvider(Provider):
    """A resource that is an action (a load, a check): nothing outside the state records it,
    so what was recorded is what is, and it runs again when its inputs change."""

    reruns_with_dependencies = True

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: ProviderContext) -> dict[str, Any] | None:
        return dict(prior.attributes) if prior is not None and prior.status == "ok" else None

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {}
