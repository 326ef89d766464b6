"""The provider contract: read, plan, create, update, delete for one node kind, via facades.

`plan` is pure: given the desired node, the recorded state and what `read` observed, it
decides the action and its reason. The I/O methods return the attributes to record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.mcp.facades import Facades
from migrator.plan.diff import attribute_changes
from migrator.plan.model import Action, Change, Reason
from migrator.providers.capacity import CapacityLeases
from migrator.settings import Settings
from migrator.state.model import ResourceState, State


def _quiet(*_: Any) -> None:
    return None


@dataclass(frozen=True)
class RunContext:
    """What every provider call of one command sees: built once per command (by the service, after
    compiling) and never changed, so planning and applying cannot disagree about it."""

    facades: Facades
    settings: Settings
    #: the lineage of the state this command records into (tables and objects carry it)
    lineage: str
    #: the compiled artifacts by name (scripts, the job bundle) that `s3_object` uploads
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    report: Callable[[Address, str], None] = _quiet
    #: live figures of a running load (`providers.load.progress_figures`), for a progress bar
    progress: Callable[[Address, Mapping[str, Any]], None] = _quiet


@dataclass(frozen=True)
class ApplyContext(RunContext):
    """What a create, update or delete sees: the run's context plus what the engine owns while it
    applies (the state as written so far, what this walk deletes, checkpoints, capacity leases).
    The engine builds one per apply or destroy (`ApplyContext.within`); nothing else makes one."""

    current_state: Callable[[], State] | None = None
    #: what the running walk deletes: a resource whose container goes too may leave the work to it
    deleting: frozenset[Address] = frozenset()
    #: records attributes for a resource still being made (as tainted: a crash leaves them for the
    #: next plan, which replaces it)
    checkpoint: Callable[[Address, Mapping[str, Any]], Awaitable[None]] | None = None
    #: this apply's write-capacity leases, by table (the loads of one table share one raise)
    capacity: CapacityLeases = field(default_factory=CapacityLeases)

    @classmethod
    def within(cls, run: RunContext, *, lineage: str, current_state: Callable[[], State],
               deleting: frozenset[Address],
               checkpoint: Callable[[Address, Mapping[str, Any]], Awaitable[None]] | None = None) -> ApplyContext:
        """The engine's context for one walk, over `run`; `lineage` is the state's as the engine wrote it."""
        shared = {f.name: getattr(run, f.name) for f in fields(RunContext)}
        return cls(**{**shared, "lineage": lineage}, current_state=current_state, deleting=deleting,
                   checkpoint=checkpoint)

    def recorded(self, address: Address) -> ResourceState | None:
        return self.current_state().get(address) if self.current_state else None


def uses(**roles: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    """A provider's `operations`: per role, the facade operations it calls (read-only)."""
    return MappingProxyType(roles)


class Provider:
    """One node kind. The class attributes declare the kind to the rest of migrator: which addresses
    parse, what a change knows only after apply (planning copies `computed` onto each `Change`),
    `migrator import` and `doctor CONTRACT` derive from them."""

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
                   ctx: RunContext) -> dict[str, Any] | None:
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

    # -- what the service and planning ask of a kind, so they need not know the kinds ---------------

    async def holds_data(self, address: Address, ctx: RunContext) -> bool:
        """Whether the resource holds data that deleting or replacing it would lose (planning
        refuses such a plan unless allowed). Default: it holds none."""
        return False

    async def refuse_destroy(self, records: Sequence[ResourceState], ctx: RunContext) -> MigratorError | None:
        """Why destroying these recorded resources of this kind would stop halfway (the sentence
        and what to do), asked before anything is touched; None: nothing in the way."""
        return None

    def report_observed(self, change: Change) -> dict[str, Any] | None:
        """What the report shows of this resource as it is (a table's live settings); None: nothing."""
        return None

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        raise NotImplementedError

    async def update(self, change: Change, ctx: ApplyContext) -> dict[str, Any]:
        assert change.node is not None
        return await self.create(change.node, ctx)

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        raise NotImplementedError


def top_level(path: str) -> str:
    """The attribute a changed path is under: `KeySchema` for `KeySchema[0].AttributeName`."""
    return path.split("[", 1)[0].split(".", 1)[0]


class RunProvider(Provider):
    """A resource that is an action (a load, a check): nothing outside the state records it,
    so what was recorded is what is, and it runs again when its inputs change."""

    reruns_with_dependencies = True

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        return dict(prior.attributes) if prior is not None and prior.status == "ok" else None

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {}
