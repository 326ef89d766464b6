"""Refresh and decide: read every resource through its provider, then diff into a plan.

Both take the providers as protocols (what they need of one, no more), so this module does not
import `migrator.providers`: it is pure and testable with fakes (`planning.make` hands it the real ones).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace as with_fields
from typing import Any, Protocol, TypeVar

from migrator.budget import NOTE, RejectBudget
from migrator.graph import Address, Graph, Node, topological
from migrator.plan.model import Action, Change, Plan, Reason
from migrator.state.model import ResourceState, State

Ctx_contra = TypeVar("Ctx_contra", contravariant=True)
C = TypeVar("C")


class Reads(Protocol[Ctx_contra]):
    """What `refresh` needs of a provider: a read of what is, through a context of type Ctx_contra."""

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: Ctx_contra) -> dict[str, Any] | None: ...


class Decides(Protocol):
    """What `decide` needs of a provider: its pure plan for one address."""

    @property
    def computed(self) -> tuple[str, ...]:
        """The attributes a create or replace only learns once it has run (each change carries them)."""
        ...

    @property
    def reruns_with_dependencies(self) -> bool:
        """True for an action (a load, a check): it runs again whenever something it depends on changes."""
        ...

    def reruns_dependants_for(self, change: Change) -> bool:
        """False for a change that leaves the data alone (an index, a table's capacity): loads and
        checks that depend on it only wait for it, they do not run again."""
        ...

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change: ...


async def refresh(graph: Graph, state: State, providers: Mapping[str, Reads[C]], ctx: C,
                  parallelism: int = 10) -> dict[Address, dict[str, Any] | None]:
    """Observed attributes of every address the contract or the state knows, read concurrently."""
    addresses = sorted(set(graph.nodes) | set(state.resources))
    sem = asyncio.Semaphore(parallelism)

    async def one(address: Address) -> dict[str, Any] | None:
        async with sem:
            return await providers[address.kind].read(address, graph.nodes.get(address), state.get(address), ctx)

    results = await asyncio.gather(*(one(a) for a in addresses))
    return dict(zip(addresses, results))


def decide(graph: Graph, state: State, providers: Mapping[str, Decides],
           observed: Mapping[Address, Mapping[str, Any] | None], *,
           replace: frozenset[Address] = frozenset(), targets: frozenset[Address] = frozenset()) -> Plan:
    """Pure: the plan for `graph` given recorded `state` and `observed` reality.

    Deletions come first, dependants before what they depend on; then everything else in
    dependency order. A load or check whose inputs changed runs again, and so does a load whose
    recorded rejected rows the current budget refuses. `replace` forces a
    replacement; `targets` limits the plan to those addresses and what they depend on. Every change
    carries what its kind learns only after apply, so the renderers need no provider.
    """
    scope = target_closure(graph, targets) if targets else None
    changes: dict[Address, Change] = {}
    for address in graph.order():
        node = graph.nodes[address]
        provider = providers[address.kind]
        prior = state.get(address)
        change = provider.plan(address, node, prior, observed.get(address))
        if scope is not None and address not in scope:
            change = Change(address, Action.NOOP, Reason.NOT_TARGETED, before=change.before, after=change.after,
                            node=node, prior=prior, observed=change.observed)
        elif address in replace and change.action in (Action.NOOP, Action.UPDATE):
            change = Change(address, Action.REPLACE, Reason.REPLACE_BECAUSE_REQUESTED, before=change.before,
                            after=change.after, node=node, prior=prior, observed=change.observed)
        reruns = provider.reruns_with_dependencies and change.reason is not Reason.NOT_TARGETED
        if reruns and change.action is Action.NOOP:
            changed = [d for d in node.depends_on
                       if changes[d].action is not Action.NOOP and providers[d.kind].reruns_dependants_for(changes[d])]
            if changed:
                change = Change(address, Action.REPLACE, Reason.REPLACE_BECAUSE_DEPENDENCY_CHANGED,
                                before=change.before, after=change.after, node=node, prior=prior,
                                observed=change.observed, dependency=changed[0])
            elif prior is not None and prior.config_fingerprint != node.fingerprint:
                change = Change(address, Action.REPLACE, Reason.REPLACE_BECAUSE_INPUTS_CHANGED, before=change.before,
                                after=change.after, node=node, prior=prior, observed=change.observed)
            elif prior is not None and over_budget_now(node, prior):
                change = Change(address, Action.REPLACE, Reason.REPLACE_BECAUSE_OVER_BUDGET, before=change.before,
                                after=change.after, node=node, prior=prior, observed=change.observed)
        changes[address] = change
    gone = [a for a in state.resources if a not in graph.nodes and (scope is None or a in targets)]
    order = topological(gone, {a: state.resources[a].depends_on for a in gone})
    deletions = [providers[a.kind].plan(a, None, state.get(a), observed.get(a)) for a in reversed(order)]
    planned = (*deletions, *changes.values())
    return Plan(changes=tuple(with_fields(c, known_after_apply=providers[c.address.kind].computed) for c in planned),
                lineage=state.lineage, serial=state.serial)


def over_budget_now(node: Node, prior: ResourceState) -> bool:
    """Pure: a run recorded as passing whose figures the node's budget (the current contract's)
    refuses. A budget is not in the fingerprint, so loosening one reloads nothing; tightening one
    below what the run rejected must not leave it "No changes"."""
    if NOTE not in node.notes or prior.status != "ok":
        return False
    read, rejected = prior.attributes.get("rows_read"), prior.attributes.get("items_rejected")
    if not isinstance(read, int) or not isinstance(rejected, int):
        return False
    return not RejectBudget.from_notes(node.notes).allows(rejected, read)


def target_closure(graph: Graph, targets: frozenset[Address]) -> set[Address]:
    """The targets and everything they depend on, directly or not."""
    out: set[Address] = set()
    frontier = [t for t in targets if t in graph.nodes]
    while frontier:
        current = frontier.pop()
        if current not in out:
            out.add(current)
            frontier.extend(graph.nodes[current].depends_on)
    return out
