"""Making a plan: read the source schema, compile the contract, refresh every resource, decide.

The engine only executes plans; everything that decides what a run would do lives here,
so `plan`, `apply` and `plan --refresh-only` share one path.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from migrator.compile.contract import Compiled, SourceCredentials, compile_contract
from migrator.contract.model import Contract
from migrator.findings import Finding, Severity
from migrator.mcp.roles import Facades
from migrator.plan.build import decide, refresh
from migrator.plan.live_checks import data_findings, key_size_findings, row_count_findings
from migrator.graph import Address
from migrator.plan.model import Action, Plan
from migrator.providers import providers as make_providers
from migrator.providers.base import Provider, ProviderContext
from migrator.settings import Settings
from migrator.state.model import State


def merge_findings(offline: tuple[Finding, ...], live: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Offline lint plus what the live schema showed; where both speak of a table name in a
    fragment, the live finding (which knows the schema) replaces the offline guess."""
    live_paths = {f.path for f in live if f.code.startswith("sql.")}
    kept = tuple(f for f in offline if not (f.code == "sql.table" and f.path in live_paths))
    return tuple(dict.fromkeys(kept + live))   # lint and compile may say the same thing: once


@dataclass(frozen=True)
class PlanOptions:
    targets: frozenset[Address] = frozenset()
    replace: frozenset[Address] = frozenset()
    allow_data_loss: bool = False


async def data_loss_findings(plan: Plan, contract: Contract, facades: Facades, allow: bool) -> list[Finding]:
    """A plan that deletes or replaces a table holding items is an error unless allowed, by
    flag or by the table's `allow_data_loss` in the contract (also for tables the contract dropped)."""
    out = []
    for change in plan.changes:
        if change.address.kind != "dynamodb_table" or change.action not in (Action.DELETE, Action.REPLACE):
            continue
        table = contract.table(change.address.name)
        if allow or (table is not None and table.allow_data_loss):
            continue
        if await facades.dynamodb.describe_table(change.address.name) is None:
            continue
        page = await facades.dynamodb.scan_page(change.address.name, limit=1, select="COUNT")
        if int(page.get("count") or 0) == 0 and not page.get("last_evaluated_key"):
            continue
        verb = "destroy" if change.action is Action.DELETE else "replace"
        out.append(Finding(Severity.ERROR, table.path if table else "$.tables",
                           f"{change.address} holds items and the plan would {verb} it ({change.reason.words(change.dependency)}); "
                           "its data would be lost", "pass --allow-data-loss, or set \"allow_data_loss\": true on the "
                           "table in the contract, if that is intended", "safety.data_loss"))
    return out


def option_findings(compiled: Compiled, state: State, options: PlanOptions) -> list[Finding]:
    out = []
    for address in sorted(options.targets | options.replace):
        if address not in compiled.graph.nodes and state.get(address) is None:
            out.append(Finding(Severity.ERROR, "$", f"{address} is neither in the contract nor in the state",
                               "check the address with `migrator state list` or `migrator plan`", "option.address"))
    if options.targets:
        out.append(Finding(Severity.WARNING, "$", "resource targeting is in effect: the plan covers "
                           + ", ".join(str(a) for a in sorted(options.targets)) + " and what they depend on, so it "
                           "may not show everything that differs from the contract",
                           "run a plan without -target before you rely on the result", "option.target"))
    return out


@dataclass
class Planned:
    compiled: Compiled
    plan: Plan
    providers: dict[str, Provider]
    ctx: ProviderContext

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.severity is Severity.ERROR]


async def make_plan(contract: Contract, facades: Facades, settings: Settings, state: State,
                    source: SourceCredentials, options: PlanOptions = PlanOptions()) -> Planned:
    server = await facades.mysql.server_info()
    schema = await facades.mysql.describe_schema()
    compiled = compile_contract(contract, schema, server, settings, source)
    provs = make_providers(state.lineage)
    ctx = ProviderContext(facades=facades, settings=settings, lineage=state.lineage, artifacts=compiled.artifacts)
    findings = merge_findings(contract.findings, compiled.findings) + tuple(option_findings(compiled, state, options))
    if not compiled.ok or any(f.severity is Severity.ERROR for f in findings):
        return Planned(compiled, Plan((), state.lineage, state.serial, findings), provs, ctx)
    observed, counts, sizes, data = await asyncio.gather(
        refresh(compiled.graph, state, provs, ctx, settings.parallelism), row_count_findings(compiled, facades),
        key_size_findings(compiled, facades), data_findings(compiled, contract, facades))
    plan = decide(compiled.graph, state, provs, observed, replace=options.replace, targets=options.targets)
    loss = await data_loss_findings(plan, contract, facades, options.allow_data_loss)
    plan = replace(plan, findings=findings + tuple(counts) + tuple(sizes) + tuple(data) + tuple(loss))
    return Planned(compiled, plan, provs, ctx)


async def refresh_state(state: State, facades: Facades, settings: Settings) -> tuple[State, list[str]]:
    """`plan --refresh-only`: what the state records becomes what is. A resource that vanished
    leaves the state; one that changed keeps its new attributes and loses its config
    fingerprint, so the next plan compares it with the contract afresh."""
    provs = make_providers(state.lineage)
    ctx = ProviderContext(facades=facades, settings=settings, lineage=state.lineage)
    addresses = sorted(state.resources)
    observed = await asyncio.gather(*(provs[a.kind].read(a, None, state.resources[a], ctx) for a in addresses))
    notes: list[str] = []
    for address, seen in zip(addresses, observed):
        recorded = state.resources[address]
        provider = provs[address.kind]
        if seen is None:
            state = state.without(address)
            notes.append(f"- {address}: no longer exists; removed from the state")
        elif provider.comparable(seen) != provider.comparable(recorded.attributes):
            state = state.with_resource(replace(recorded, attributes={**recorded.attributes, **seen},
                                                config_fingerprint=""))
            notes.append(f"~ {address}: changed outside migrator; the state now records it as it is")
    return state, notes
