"""The provider contract: read, plan, create, update, delete for one node kind, via facades.

`plan` is pure: given the desired node, the recorded state and what `read` observed, it
decides the action and its reason. The I/O methods return the attributes to record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from migrator.graph import Address, Node
from migrator.mcp.roles import Facades
from migrator.plan.diff import attribute_changes
from migrator.plan.model import Action, Change
from migrator.settings import Settings
from migrator.state.model import ResourceState, State


@dataclass
class ProviderContext:
    facades: Facades
    settings: Settings
    lineage: str
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    report: Callable[[Address, str], None] = lambda address, message: None
    current_state: Callable[[], State] | None = None

    def recorded(self, address: Address) -> ResourceState | None:
        return self.current_state().get(address) if self.current_state else None


class Provider:
    kind: ClassVar[str]
    #: loads and checks run again whenever something they depend on changes.
    reruns_with_dependencies: ClassVar[bool] = False

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: ProviderContext) -> dict[str, Any] | None:
        raise NotImplementedError

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The part of a node's config that `read` can observe, shaped like the observation."""
        return dict(config)

    def change_kind(self, change: Change) -> Action:
        """Whether differences can be applied in place (UPDATE) or need a REPLACE."""
        return Action.UPDATE

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change:
        if node is None:
            if prior is None:
                return Change(address, Action.NOOP, "not managed", prior=prior, observed=observed)
            return Change(address, Action.DELETE, "delete_because_removed_from_contract",
                          before=observed or prior.attributes, prior=prior, observed=observed)
        after = node.public_config()
        if prior is not None and prior.status == "tainted":
            return Change(address, Action.REPLACE, "replace_because_tainted", before=observed, after=after,
                          node=node, prior=prior, observed=observed)
        if observed is None:
            reason = "create_because_missing" if prior is not None else "create_because_new"
            return Change(address, Action.CREATE, reason, after=after, node=node, prior=prior)
        desired = self.comparable(node.config)
        diffs = attribute_changes(self.comparable(observed), desired)
        if prior is None:
            return Change(address, Action.UPDATE, "update_because_exists_unmanaged", before=observed, after=after,
                          attributes=diffs, node=node, prior=prior, observed=observed)
        if not diffs:
            return Change(address, Action.NOOP, "no_changes", before=observed, after=after, node=node, prior=prior,
                          observed=observed)
        drifted = self.comparable(observed) != self.comparable(prior.attributes)
        reason = "update_because_changed_outside_migrator" if drifted else "update_because_config_changed"
        draft = Change(address, Action.UPDATE, reason, before=observed, after=after,
                       attributes=diffs, node=node, prior=prior, observed=observed)
        action = self.change_kind(draft)
        if action is Action.REPLACE:
            return Change(address, Action.REPLACE, self.replace_reason(draft), before=observed, after=after,
                          attributes=diffs, node=node, prior=prior, observed=observed)
        return draft

    def replace_reason(self, change: Change) -> str:
        if change.reason == "update_because_changed_outside_migrator":
            return "replace_because_changed_outside_migrator"
        return "replace_because_config_changed"

    async def create(self, node: Node, ctx: ProviderContext) -> dict[str, Any]:
        raise NotImplementedError

    async def update(self, change: Change, ctx: ProviderContext) -> dict[str, Any]:
        assert change.node is not None
        return await self.create(change.node, ctx)

    async def delete(self, address: Address, prior: ResourceState, ctx: ProviderContext) -> None:
        raise NotImplementedError


class RunProvider(Provider):
    """A resource that is an action (a load, a check): nothing outside the state records it,
    so what was recorded is what is, and it runs again when its inputs change."""

    reruns_with_dependencies = True

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: ProviderContext) -> dict[str, Any] | None:
        return dict(prior.attributes) if prior is not None and prior.status == "ok" else None

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {}
