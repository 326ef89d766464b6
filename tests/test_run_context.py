"""One run context per command, never changed; what the engine owns while applying is its own
object; kind-specific decisions (data loss, refusing a destroy, the report's live view) are asked
of the providers, not written in the service or planning."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from migrator.contract.model import Contract
from migrator.engine.apply import apply_plan
from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.plan.model import Action, Change, Plan, Reason
from migrator.planning.data_loss import data_loss_findings
from migrator.providers import providers
from migrator.providers.base import ApplyContext, Provider, RunContext
from migrator.settings import Settings
from migrator.state.model import ResourceState, State
from migrator.state.store import StateStore


def run_context(lineage: str = "L") -> RunContext:
    return RunContext(facades=None, settings=Settings(), lineage=lineage)  # type: ignore[arg-type]


def test_the_run_context_cannot_be_changed() -> None:
    run = run_context()
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.lineage = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.report = print  # type: ignore[method-assign, misc]


def test_the_engine_context_is_the_run_plus_what_the_engine_owns() -> None:
    events: list[tuple[Address, str]] = []
    run = RunContext(facades=None, settings=Settings(), lineage="L", artifacts={"a.py": b"x"},  # type: ignore[arg-type]
                     report=lambda a, m: events.append((a, m)))
    state = State("L", 1, {Address("load", "t"): ResourceState(Address("load", "t"), {"rows_read": 3})})
    ctx = ApplyContext.within(run, lineage="L", current_state=lambda: state, deleting=frozenset())
    assert (ctx.facades, ctx.settings, ctx.artifacts, ctx.report) == (run.facades, run.settings, run.artifacts,
                                                                        run.report)
    assert ctx.recorded(Address("load", "t")) == state.resources[Address("load", "t")]
    assert ctx.recorded(Address("load", "u")) is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.deleting = frozenset({Address("load", "t")})  # type: ignore[misc]


class _Recorder(Provider):
    """Records the context every create sees."""

    kind = "s3_object"

    def __init__(self) -> None:
        super().__init__("L")
        self.seen: list[ApplyContext] = []

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        self.seen.append(ctx)
        return {"ok": True}

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        self.seen.append(ctx)


def test_apply_leaves_the_run_context_as_it_was_and_records_the_lineage_it_writes(tmp_path: Path) -> None:
    new, gone = Address("s3_object", "new"), Address("s3_object", "gone")
    prior = ResourceState(gone, {})
    plan = Plan((Change(gone, Action.DELETE, Reason.DELETE_BECAUSE_REMOVED_FROM_CONTRACT, prior=prior),
                 Change(new, Action.CREATE, Reason.CREATE_BECAUSE_NEW, node=Node(new, {}))), "", 0)
    store, provider, run = StateStore(tmp_path), _Recorder(), run_context("")
    before = dataclasses.asdict(run)
    result = asyncio.run(apply_plan(plan, {"s3_object": provider}, run, store, State("", 0, {gone: prior})))
    assert result.ok and dataclasses.asdict(run) == before
    assert len(provider.seen) == 2 and provider.seen[0] is provider.seen[1]
    ctx = provider.seen[0]
    assert ctx.lineage == store.read().lineage != ""   # the lineage the engine wrote first
    assert ctx.deleting == frozenset({gone})
    assert ctx.recorded(new) is not None               # the state as written so far


class _Holds(Provider):
    kind = "mysql_view"

    async def holds_data(self, address: Address, ctx: RunContext) -> bool:
        return address.name == "full"


def test_data_loss_is_asked_of_the_provider() -> None:
    full, empty = Address("mysql_view", "full"), Address("mysql_view", "empty")
    plan = Plan((Change(full, Action.DELETE, Reason.DELETE_BECAUSE_REMOVED_FROM_CONTRACT),
                 Change(empty, Action.DELETE, Reason.DELETE_BECAUSE_REMOVED_FROM_CONTRACT)), "L", 1)
    contract = Contract(tables=(), source="c.json")
    found = asyncio.run(data_loss_findings(plan, contract, {"mysql_view": _Holds()}, run_context(), allow=False))
    assert [(f.code, f.message.split(" ")[0]) for f in found] == [("safety.data_loss", "mysql_view.full")]
    assert asyncio.run(data_loss_findings(plan, contract, {"mysql_view": _Holds()}, run_context(), allow=True)) == []


class _Refuses(Provider):
    def __init__(self, kind: str, asked: list[str]) -> None:
        super().__init__("L")
        self.kind = kind  # type: ignore[misc]
        self.asked = asked

    async def refuse_destroy(self, records: Sequence[ResourceState], ctx: RunContext) -> MigratorError | None:
        self.asked.append(self.kind)
        return MigratorError(f"{self.kind} refuses {len(records)}")


def test_a_destroy_refusal_is_asked_of_each_kind_in_destroy_order() -> None:
    from migrator.service.session import refuse_destroy

    asked: list[str] = []
    kinds = ("mysql_view", "dynamodb_table")
    fakes: Mapping[str, Provider] = {k: _Refuses(k, asked) for k in kinds}
    state = State("L", 1, {a: ResourceState(a, {}) for a in (Address("mysql_view", "v"),
                                                              Address("dynamodb_table", "t"),
                                                              Address("dynamodb_table", "u"))})
    with pytest.raises(MigratorError, match="dynamodb_table refuses 2"):
        asyncio.run(refuse_destroy(state, fakes, run_context()))
    assert asked == ["dynamodb_table"]   # tables before views: the order destroy removes them


def test_the_report_reads_a_tables_live_settings_from_its_provider() -> None:
    table, view = Address("dynamodb_table", "t"), Address("mysql_view", "v")
    node = Node(table, {"TimeToLiveAttribute": "expires"})
    seen = {"DeletionProtectionEnabled": True}
    live = providers("L")
    assert live["dynamodb_table"].report_observed(Change(table, Action.NOOP, Reason.NO_CHANGES, node=node,
                                                         observed=seen)) == {**seen, "TimeToLiveAttribute": "expires"}
    assert live["dynamodb_table"].report_observed(Change(table, Action.CREATE, Reason.CREATE_BECAUSE_NEW)) is None
    assert live["mysql_view"].report_observed(Change(view, Action.NOOP, Reason.NO_CHANGES, observed={})) is None
