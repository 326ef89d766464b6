"""The plan model at the bottom: typed reasons with one table of words, providers that describe
themselves, the published schema generated from both, and imports that point one way."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.graph import Address, Graph, Node
from migrator.plan import schema as plan_schema_module
from migrator.plan.model import Action, Change, Plan, Reason, is_drift
from migrator.plan.render_json import plan_json
from migrator.plan.render_markdown import render_markdown
from migrator.plan.render_text import render_plan
from migrator.kinds import KINDS
from migrator.planning.decide import decide
from migrator.providers import IMPORTABLE, PROVIDERS, parse_address, providers
from migrator.state.model import ResourceState, State

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- reasons

def test_every_reason_has_words_for_every_renderer() -> None:
    assert len({r.value for r in Reason}) == len(Reason)
    for reason in Reason:
        assert reason.cell, f"{reason.value} needs words for a markdown cell"
        assert ":" not in reason.value  # the separator of the dependency a reason names
        assert reason.drift is (reason.repair is not None)
    assert {r.value for r in Reason if r.drift} == {
        "update_because_changed_outside_migrator", "create_because_missing", "replace_because_changed_outside_migrator"}
    assert [r for r in Reason if r.names_dependency] == [Reason.REPLACE_BECAUSE_DEPENDENCY_CHANGED]


def test_a_reason_that_names_a_dependency_carries_it_and_only_that_one() -> None:
    load, table = Address("load", "orders"), Address("dynamodb_table", "orders")
    change = Change(load, Action.REPLACE, Reason.REPLACE_BECAUSE_DEPENDENCY_CHANGED, dependency=table)
    assert change.reason_code == "replace_because_dependency_changed:dynamodb_table.orders"
    assert Change(load, Action.NOOP, Reason.NO_CHANGES).reason_code == "no_changes"
    with pytest.raises(ValueError, match="needs the dependency"):
        Change(load, Action.REPLACE, Reason.REPLACE_BECAUSE_DEPENDENCY_CHANGED)
    with pytest.raises(ValueError, match="names no dependency"):
        Change(load, Action.REPLACE, Reason.REPLACE_BECAUSE_TAINTED, dependency=table)
    with pytest.raises(TypeError, match="must be a Reason"):
        Change(load, Action.NOOP, "no_changes")  # type: ignore[arg-type]


def test_one_table_feeds_text_markdown_and_json() -> None:
    """The words of a drift reason, its repair and its code appear where each renderer puts them."""
    view = Address("mysql_view", "v")
    for reason in (r for r in Reason if r.drift):
        action = Action.CREATE if reason.value.startswith("create") else Action.UPDATE
        plan = Plan((Change(view, action, reason),), "L", 1)
        assert plan_json(plan)["resource_changes"][0]["reason"] == reason.value
        assert plan_json(plan)["drift"] == ["mysql_view.v"] and is_drift(plan.changes[0])
        assert f"({reason.text})" in render_plan(plan)
        assert f"- `mysql_view.v`: {reason.text}; {reason.repair}" in render_markdown(plan)


# ---------------------------------------------------------------------------- providers describe themselves

def test_the_kinds_derive_from_the_providers() -> None:
    assert KINDS == ("mysql_view", "dynamodb_table", "dynamodb_gsi", "s3_bucket", "s3_object", "glue_connection",
                     "glue_job", "load", "check")
    assert len(set(KINDS)) == len(KINDS)
    assert tuple(p.kind for p in PROVIDERS) == KINDS  # one provider per kind, in the bottom list's order
    assert IMPORTABLE == ("dynamodb_table", "mysql_view")
    assert set(providers("L")) == set(KINDS)


def test_addresses_parse_against_the_kinds_they_are_given() -> None:
    assert parse_address("load.orders.v2") == Address("load", "orders.v2")
    assert Address.parse("future_kind.x") == Address("future_kind", "x")  # well formed; no kinds asked for
    for text in ("nonsense.x", "future_kind.x"):
        with pytest.raises(MigratorError, match="is not a resource address") as info:
            parse_address(text)
        assert "mysql_view, dynamodb_table" in str(info.value)
    for text in ("orders", "load.", ".x", "Load.x", "1load.x"):
        with pytest.raises(MigratorError, match="is not a resource address"):
            Address.parse(text)


def test_a_kind_no_provider_has_is_a_sentence_not_a_key_error() -> None:
    with pytest.raises(MigratorError, match="'future_kind' is not a kind of resource this migrator knows"):
        providers("L")["future_kind"]


def test_replace_paths_decide_between_update_and_replace() -> None:
    table = PROVIDERS[KINDS.index("dynamodb_table")]
    assert table.replace_paths == ("KeySchema", "TableName")
    config = {"TableName": "t", "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
              "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST",
              "GlobalSecondaryIndexes": []}
    node, address = Node(Address("dynamodb_table", "t"), config), Address("dynamodb_table", "t")
    prior = ResourceState(address, config, config_fingerprint="old")
    provider = providers("L")["dynamodb_table"]
    billing = provider.plan(address, node, prior, {**config, "BillingMode": "PROVISIONED"})
    assert (billing.action, billing.reason) == (Action.UPDATE, Reason.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR)
    keys = {**config, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
    rekeyed = provider.plan(address, node, ResourceState(address, keys), keys)
    assert (rekeyed.action, rekeyed.reason) == (Action.REPLACE, Reason.REPLACE_BECAUSE_KEY_SCHEMA_CHANGED)


# ---------------------------------------------------------------------------- decide takes a protocol

class _Fake:
    """Not a Provider: only what `decide` needs (a plan and whether it reruns)."""

    computed: tuple[str, ...] = ()

    def __init__(self, reruns: bool, reruns_dependants: bool = True) -> None:
        self.reruns_with_dependencies = reruns
        self.reruns_dependants = reruns_dependants

    def reruns_dependants_for(self, change: Change) -> bool:
        return self.reruns_dependants

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change:
        if node is None:
            return Change(address, Action.DELETE, Reason.DELETE_BECAUSE_REMOVED_FROM_CONTRACT, prior=prior)
        if observed is None:
            return Change(address, Action.CREATE, Reason.CREATE_BECAUSE_NEW, after=dict(node.config), node=node)
        return Change(address, Action.NOOP, Reason.NO_CHANGES, node=node, prior=prior)


def test_decide_needs_only_the_protocol() -> None:
    table, load, gone = Address("dynamodb_table", "t"), Address("load", "t"), Address("dynamodb_table", "old")
    graph = Graph.build([Node(table, {"n": 1}), Node(load, {"n": 2}, depends_on=(table,))])
    state = State("L", 1, {a: ResourceState(a, {}, config_fingerprint=graph.nodes[a].fingerprint if a in graph.nodes
                                            else "") for a in (load, gone)})
    fakes = {"dynamodb_table": _Fake(False), "load": _Fake(True)}
    plan = decide(graph, state, fakes, {load: {}, gone: {}})
    assert [(str(c.address), c.action, c.reason_code) for c in plan.changes] == [
        ("dynamodb_table.old", Action.DELETE, "delete_because_removed_from_contract"),
        ("dynamodb_table.t", Action.CREATE, "create_because_new"),
        ("load.t", Action.REPLACE, "replace_because_dependency_changed:dynamodb_table.t")]
    targeted = decide(graph, state, fakes, {load: {}, gone: {}}, targets=frozenset({table}))
    assert [c.reason for c in targeted.changes] == [Reason.CREATE_BECAUSE_NEW, Reason.NOT_TARGETED]


def test_a_dependency_that_leaves_the_data_alone_does_not_rerun_a_load() -> None:
    """An index (reruns_dependants False) is waited for, not reloaded for; a view change reloads."""
    view, gsi, load = Address("mysql_view", "v"), Address("dynamodb_gsi", "t/i"), Address("load", "t")
    graph = Graph.build([Node(view, {"n": 1}), Node(gsi, {"n": 2}), Node(load, {"n": 3}, depends_on=(view, gsi))])
    recorded = {load: ResourceState(load, {}, config_fingerprint=graph.nodes[load].fingerprint),
                view: ResourceState(view, {})}
    fakes = {"mysql_view": _Fake(False), "dynamodb_gsi": _Fake(False, reruns_dependants=False), "load": _Fake(True)}
    plan = decide(graph, State("L", 1, recorded), fakes, {load: {}, view: {}})
    assert [(str(c.address), c.action) for c in plan.changes] == [
        ("dynamodb_gsi.t/i", Action.CREATE), ("mysql_view.v", Action.NOOP), ("load.t", Action.NOOP)]
    plan = decide(graph, State("L", 1, {load: recorded[load]}), fakes, {load: {}})
    assert plan.changes[-1].reason_code == "replace_because_dependency_changed:mysql_view.v"


# ---------------------------------------------------------------------------- the schema follows the code

def test_the_committed_plan_schemas_are_generated_from_the_code() -> None:
    """When this fails, run `python -m migrator.plan.schema` and commit both copies."""
    expected = plan_schema_module.expected_text()
    for path in (REPO / "schemas" / "plan.schema.json", REPO / "migrator" / "plan" / "plan.schema.json"):
        assert path.read_text(encoding="utf-8") == expected, \
            f"{path} is out of date: run python -m migrator.plan.schema"
    doc = json.loads(expected)
    assert doc["$defs"]["kind"]["enum"] == list(KINDS)
    assert doc["$defs"]["resource_change"]["properties"]["reason"]["examples"][:2] == ["create_because_new",
                                                                                       "create_because_missing"]
    for reason in Reason:
        assert any(e.partition(":")[0] == reason.value
                   for e in doc["$defs"]["resource_change"]["properties"]["reason"]["examples"])
        assert (f"`{reason.value}`" in doc["properties"]["drift"]["description"]) is reason.drift


def test_a_new_kind_makes_the_committed_schema_out_of_date(monkeypatch: pytest.MonkeyPatch) -> None:
    committed = (REPO / "schemas" / "plan.schema.json").read_text()
    base = json.loads(committed)
    monkeypatch.setattr(plan_schema_module, "KINDS", (*KINDS, "dynamodb_gsi"))
    doc = plan_schema_module.generated(base)
    assert doc["$defs"]["kind"]["enum"][-1] == "dynamodb_gsi"
    assert re.search(doc["$defs"]["address"]["pattern"], "dynamodb_gsi.orders.by_status")
    assert plan_schema_module.schema_text(base) != committed
    assert json.loads(plan_schema_module.layout(base)) == base  # the layout never changes the content


# ---------------------------------------------------------------------------- imports point one way

BOTTOM = {
    "migrator.graph": ("migrator.providers", "migrator.plan", "migrator.state", "migrator.mcp", "migrator.compile",
                       "migrator.engine"),
    "migrator.plan.model": ("migrator.providers", "migrator.mcp", "migrator.compile", "migrator.engine"),
    "migrator.planning.decide": ("migrator.providers", "migrator.mcp", "migrator.compile", "migrator.engine"),
    "migrator.plan.render_json": ("migrator.providers", "migrator.planning", "migrator.mcp", "migrator.compile"),
    "migrator.plan.schema": ("migrator.providers", "migrator.planning", "migrator.mcp", "migrator.compile"),
}


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_the_plan_model_and_decide_import_no_provider(module: str) -> None:
    script = (f"import sys, {module}; print('\\n'.join(m for m in sys.modules if m.startswith({BOTTOM[module]!r})))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.split() == [], f"{module} imports {out.split()}"
