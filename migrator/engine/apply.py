"""Apply a plan: dependency order, independent nodes in parallel, state written after each node.

A node that fails stops its dependants (they are skipped, not attempted); independent
branches go on. A create or replace that failed is recorded as tainted, so the next
plan replaces it and the next apply finishes the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextlib import AbstractAsyncContextManager
from typing import Any
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from migrator.engine.walk import dependants, walk
from migrator.errors import MigratorError
from migrator.graph import Address
from migrator.mcp.errors import ToolError
from migrator.plan.model import Action, Change, Plan
from migrator.protocol import ErrorCode
from migrator.providers.base import ApplyContext, Provider, RunContext
from migrator.providers.check import CheckFailed
from migrator.providers.load import LoadFailed
from migrator.state.model import ResourceState, State
from migrator.state.store import StateStore

Event = Callable[[Address, str], None]
PAST = {Action.CREATE: "created", Action.UPDATE: "updated", Action.REPLACE: "replaced"}


@dataclass
class ApplyResult:
    state: State
    done: list[Address] = field(default_factory=list)
    failed: dict[Address, str] = field(default_factory=dict)
    skipped: list[Address] = field(default_factory=list)
    #: deletions not attempted because something that needs the resource could not be deleted
    kept: list[Address] = field(default_factory=list)
    seconds: dict[Address, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.kept


class Exclusive:
    """One lock per group a provider names (`Provider.exclusive_group`): what the service takes one
    at a time (DynamoDB changes one index of a table at a time) runs one at a time, whatever the
    graph allows."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, provider: Provider, address: Address) -> AbstractAsyncContextManager[Any]:
        group = provider.exclusive_group(address)
        if group is None:
            return contextlib.nullcontext()
        return self._locks.setdefault(group, asyncio.Lock())


class StateWriter:
    """Serialises state updates from parallel nodes; every update is written at once."""

    def __init__(self, store: StateStore, state: State) -> None:
        self.store = store
        self.state = state
        self._lock = asyncio.Lock()

    async def record(self, resource: ResourceState | None, remove: Address | None = None) -> None:
        async with self._lock:
            state = self.state
            if remove is not None:
                state = state.without(remove)
            if resource is not None:
                state = state.with_resource(resource)
            self.state = self.store.write(state)


async def apply_plan(plan: Plan, providers: Mapping[str, Provider], run: RunContext, store: StateStore,
                     state: State, on_event: Event = lambda a, m: None, parallelism: int = 10) -> ApplyResult:
    """Execute `plan` with the command's context `run`; what the walk owns (the state as written so
    far, checkpoints, what it deletes, capacity leases) lives on an ApplyContext made here."""
    if not state.lineage or store.read().lineage != state.lineage:
        # Recorded before anything is created: tables carry the lineage, so one created just
        # before a crash is recognised as ours by the next run. The plan gave a fresh state its
        # lineage in memory only; a first apply writes it here, once.
        state = store.write(state.with_lineage())
    writer = StateWriter(store, state)
    nodes = {c.address: c.node for c in plan.changes if c.node is not None}

    async def checkpoint(address: Address, attributes: Mapping[str, Any]) -> None:
        node = nodes[address]
        await writer.record(ResourceState(address, dict(attributes), node.fingerprint, node.depends_on,
                                          status="tainted"))

    deletions = {c.address: c for c in plan.changes if c.action is Action.DELETE}
    ctx = ApplyContext.within(run, lineage=state.lineage, current_state=lambda: writer.state,
                              deleting=frozenset(deletions), checkpoint=checkpoint)
    result = ApplyResult(state=state)
    _known_kinds(providers, (c.address for c in plan.changes))
    sem, exclusive = asyncio.Semaphore(parallelism), Exclusive()
    others = {c.address: c for c in plan.changes if c.action is not Action.DELETE}

    async def delete(address: Address) -> bool:
        change = deletions[address]
        assert change.prior is not None
        async with sem, exclusive(providers[address.kind], address):
            return await _delete_one(address, change.prior, providers[address.kind], ctx, writer, result, on_event)

    # Deletions first, on the reversed edges: a resource goes once everything that needs it is gone.
    await walk(deletions, dependants({a: c.prior.depends_on if c.prior else () for a, c in deletions.items()}),
               delete, lambda a, cause: _kept(a, cause, result, on_event))

    async def execute(address: Address) -> bool:
        change = others[address]
        if change.action is Action.NOOP:
            return True
        async with sem, exclusive(providers[address.kind], address):
            return await _apply_one(change, providers[address.kind], ctx, writer, result, on_event)

    def blocked(address: Address, cause: Address) -> None:
        if others[address].action is not Action.NOOP:
            result.skipped.append(address)
            on_event(address, "skipped: a dependency failed")

    await walk(others, {a: c.node.depends_on if c.node else () for a, c in others.items()}, execute, blocked)
    result.state = writer.state
    return result


def _known_kinds(providers: Mapping[str, Provider], addresses: Iterable[Address]) -> None:
    """A kind this migrator has no provider for is one sentence (the catalogue's), before anything runs."""
    for address in addresses:
        providers[address.kind]


def _kept(address: Address, cause: Address, result: ApplyResult, on_event: Event) -> None:
    result.kept.append(address)
    on_event(address, f"kept: {cause} could not be destroyed")


async def _delete_one(address: Address, prior: ResourceState, provider: Provider, ctx: ApplyContext,
                      writer: StateWriter, result: ApplyResult, on_event: Event) -> bool:
    on_event(address, "destroying")
    began = time.monotonic()
    try:
        gone = await delete_or_gone(provider, address, prior, ctx)
    except MigratorError as exc:
        result.failed[address] = str(exc)
        on_event(address, f"failed: {exc}")
        return False
    await writer.record(None, remove=address)
    result.done.append(address)
    on_event(address, f"destroyed ({time.monotonic() - began:.1f}s)" + (": it was already gone" if gone else ""))
    return True


async def delete_or_gone(provider: Provider, address: Address, prior: ResourceState, ctx: ApplyContext) -> bool:
    """Delete the resource; True when it (or what held it: a bucket, a table) no longer existed. Gone
    means done, as Terraform treats it: a resource deleted by hand, or lost with an emulator's
    memory, never blocks a destroy or a replace."""
    try:
        await provider.delete(address, prior, ctx)
    except ToolError as exc:
        if exc.code is not ErrorCode.NOT_FOUND:
            raise
        return True
    return False


async def _apply_one(change: Change, provider: Provider, ctx: ApplyContext, writer: StateWriter,
                     result: ApplyResult, on_event: Event) -> bool:
    node = change.node
    assert node is not None
    verb = {Action.CREATE: "creating", Action.UPDATE: "updating", Action.REPLACE: "replacing"}[change.action]
    on_event(change.address, verb)
    began = time.monotonic()
    try:
        if change.action is Action.REPLACE:
            if change.prior is not None or change.observed is not None:
                prior = change.prior or ResourceState(change.address, dict(change.observed or {}))
                await delete_or_gone(provider, change.address, prior, ctx)
            attributes = await provider.create(node, ctx)
        elif change.action is Action.CREATE:
            attributes = await provider.create(node, ctx)
        else:
            attributes = await provider.update(change, ctx)
    except MigratorError as exc:
        if change.action is not Action.UPDATE:
            # A create that stopped midway may have left a half-made resource: replace it next time.
            # A failed in-place update keeps the recorded state, so it is simply tried again. What a
            # failed load or check did (its table, its figures) is recorded with it, for the report.
            attrs = exc.result if isinstance(exc, (CheckFailed, LoadFailed)) else {"error": str(exc)}
            await writer.record(ResourceState(change.address, attrs, node.fingerprint, node.depends_on,
                                              status="tainted"))
        result.failed[change.address] = str(exc)
        on_event(change.address, f"failed: {exc}")
        # A load that read every row but rejected too many still lets its table's check judge the
        # items it wrote; anything else stops its dependants.
        return isinstance(exc, LoadFailed) and exc.finished
    seconds = time.monotonic() - began
    await writer.record(ResourceState(change.address, attributes, node.fingerprint, node.depends_on))
    result.done.append(change.address)
    result.seconds[change.address] = seconds
    on_event(change.address, f"{PAST[change.action]} ({seconds:.1f}s)")
    return True


async def destroy_state(state: State, providers: Mapping[str, Provider], run: RunContext, store: StateStore,
                        on_event: Event = lambda a, m: None, parallelism: int = 10) -> ApplyResult:
    """Delete everything the state records on the reversed dependency graph, in parallel; the
    state shrinks as it goes. What a failed deletion still needs is kept."""
    writer = StateWriter(store, state)
    ctx = ApplyContext.within(run, lineage=state.lineage, current_state=lambda: writer.state,
                              deleting=frozenset(state.resources))
    result = ApplyResult(state=state)
    _known_kinds(providers, state.resources)
    sem, exclusive = asyncio.Semaphore(parallelism), Exclusive()

    async def delete(address: Address) -> bool:
        async with sem, exclusive(providers[address.kind], address):
            return await _delete_one(address, state.resources[address], providers[address.kind], ctx, writer,
                                     result, on_event)

    await walk(state.resources, dependants({a: r.depends_on for a, r in state.resources.items()}), delete,
               lambda a, cause: _kept(a, cause, result, on_event))
    result.state = writer.state
    return result
