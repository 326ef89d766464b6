"""The parallel graph walk that apply (forwards) and deletes (backwards) share: pure asyncio, no I/O."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.engine.apply import apply_plan
from migrator.engine.walk import dependants, walk
from migrator.errors import MigratorError
from migrator.graph import Address
from migrator.plan.model import Action, Change, Plan, Reason
from migrator.providers.base import ApplyContext, Provider, RunContext
from migrator.providers.dynamodb_gsi import DynamoGsiProvider
from migrator.settings import Settings
from migrator.state.model import ResourceState, State
from migrator.state.store import StateStore


def a(name: str) -> Address:
    return Address("s3_object", name)


def run_walk(deps: dict[Address, list[Address]], fail: set[Address] = frozenset(), reverse: bool = False,
             pause: float = 0.0) -> tuple[list[tuple[str, Address]], dict[Address, Address], int]:
    """Walk `deps`; returns the start/end events, the blocked nodes with their cause, and the peak concurrency."""
    log: list[tuple[str, Address]] = []
    blocked: dict[Address, Address] = {}
    running = peak = 0

    async def visit(address: Address) -> bool:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        log.append(("start", address))
        await asyncio.sleep(pause)
        log.append(("end", address))
        running -= 1
        return address not in fail

    waits = dependants(deps) if reverse else deps
    asyncio.run(walk(deps, waits, visit, lambda node, cause: blocked.__setitem__(node, cause)))
    return log, blocked, peak


def test_independent_nodes_run_at_the_same_time() -> None:
    deps = {a(n): [] for n in "abcd"}
    _, _, peak = run_walk(deps, pause=0.05)
    assert peak == 4


def test_a_node_starts_only_after_what_it_waits_for_ended() -> None:
    bucket, x, y, job = a("bucket"), a("x"), a("y"), a("job")
    deps = {bucket: [], x: [bucket], y: [bucket], job: [x, y]}
    log, blocked, peak = run_walk(deps, pause=0.01)
    assert not blocked and peak == 2
    assert log.index(("end", bucket)) < log.index(("start", x)) and log.index(("end", bucket)) < log.index(("start", y))
    assert log.index(("start", job)) > max(log.index(("end", x)), log.index(("end", y)))


def test_backwards_deletes_dependants_first_and_in_parallel() -> None:
    bucket, x, y, job = a("bucket"), a("x"), a("y"), a("job")
    deps = {bucket: [], x: [bucket], y: [bucket], job: [x, y]}
    log, blocked, peak = run_walk(deps, reverse=True, pause=0.01)
    starts = [node for event, node in log if event == "start"]
    assert starts[0] == job and starts[-1] == bucket and not blocked
    assert peak == 2  # x and y together


def test_a_failure_blocks_only_what_waits_on_it() -> None:
    bucket, x, y, job, other = a("bucket"), a("x"), a("y"), a("job"), a("other")
    deps = {bucket: [], x: [bucket], y: [bucket], job: [x, y], other: []}
    log, blocked, _ = run_walk(deps, reverse=True, fail={x})
    visited = {node for event, node in log if event == "start"}
    assert visited == {job, x, y, other}  # the bucket x still needs is kept
    assert blocked == {bucket: x}


def test_a_cycle_is_refused_before_anything_runs() -> None:
    deps = {a("p"): [a("q")], a("q"): [a("p")]}
    with pytest.raises(MigratorError, match="cycle"):
        run_walk(deps)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_order_respects_every_edge(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=9))
    nodes = [a(f"n{i}") for i in range(n)]
    # edges only from later to earlier nodes: a DAG by construction
    deps = {node: data.draw(st.lists(st.sampled_from(nodes[:i]), unique=True)) if i else []
            for i, node in enumerate(nodes)}
    fail = set(data.draw(st.lists(st.sampled_from(nodes), unique=True, max_size=2)))
    reverse = data.draw(st.booleans())
    log, blocked, _ = run_walk(deps, fail, reverse)
    waits = dependants(deps) if reverse else deps
    position = {(event, node): i for i, (event, node) in enumerate(log)}
    visited = {node for event, node in log if event == "start"}
    assert visited | set(blocked) == set(nodes) and not visited & set(blocked)
    for node in visited:
        for dep in waits[node]:
            assert dep in visited and dep not in fail
            assert position[("end", dep)] < position[("start", node)]
    for node, cause in blocked.items():
        assert cause in waits[node] and (cause in fail or cause in blocked)


class _IndexProvider(Provider):
    """A fake of the index provider's one-at-a-time rule: it records how many deletes of one
    table overlap (DynamoDB refuses a second index change on a table while one runs)."""

    kind = "dynamodb_gsi"

    def __init__(self) -> None:
        super().__init__("L")
        self.running: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    def exclusive_group(self, address: Address) -> str | None:
        return DynamoGsiProvider().exclusive_group(address)

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        table = address.name.split("/")[0]
        self.running[table] = self.running.get(table, 0) + 1
        self.peak[table] = max(self.peak.get(table, 0), self.running[table])
        await asyncio.sleep(0.02)
        self.running[table] -= 1


def test_index_changes_of_one_table_never_overlap_but_other_tables_go_in_parallel(tmp_path: Path) -> None:
    gone = [Address("dynamodb_gsi", n) for n in ("T/a", "T/c", "T/d", "U/a", "U/b")]
    priors = {a: ResourceState(a, {}) for a in gone}
    plan = Plan(tuple(Change(a, Action.DELETE, Reason.DELETE_BECAUSE_REMOVED_FROM_CONTRACT, prior=priors[a])
                      for a in gone), "L", 0)
    provider = _IndexProvider()
    store = StateStore(tmp_path)
    state = store.write(State("L", 0, priors))
    ctx = RunContext(facades=None, settings=Settings(), lineage="L")  # type: ignore[arg-type]
    result = asyncio.run(apply_plan(plan, {"dynamodb_gsi": provider}, ctx, store, state))
    assert result.ok and sorted(result.done) == sorted(gone) and not store.read().resources
    assert provider.peak == {"T": 1, "U": 1}
    assert DynamoGsiProvider().exclusive_group(gone[0]) == "dynamodb_table.T"
