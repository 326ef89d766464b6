"""The entry of planning: from the compiled contract and the state, refresh every resource and decide.

The engine only executes plans; everything that decides what a run would do lives here,
so `plan`, `apply` and `plan --refresh-only` share one path. Compiling is the caller's one step
(the service compiles once per command), so a plan never compiles again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from migrator.compile.contract import Compiled
from migrator.contract.model import Contract
from migrator.findings import Finding, Severity
from migrator.plan.model import Plan
from migrator.planning.data_loss import data_loss_findings
from migrator.planning.decide import decide, refresh
from migrator.planning.live_checks import data_findings, key_size_findings, row_count_findings
from migrator.planning.options import PlanOptions, option_findings
from migrator.providers import Providers
from migrator.providers import providers as make_providers
from migrator.providers.base import RunContext
from migrator.state.model import State


def merge_findings(offline: tuple[Finding, ...], live: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Offline lint plus what the live schema showed; where both speak of a table name in a
    fragment, the live finding (which knows the schema) replaces the offline guess."""
    live_paths = {f.path for f in live if f.code.startswith("sql.")}
    kept = tuple(f for f in offline if not (f.code == "sql.table" and f.path in live_paths))
    return tuple(dict.fromkeys(kept + live))   # lint and compile may say the same thing: once


@dataclass(frozen=True)
class Planned:
    compiled: Compiled
    plan: Plan
    providers: Providers
    #: the command's context the plan was made with; apply executes the plan with it
    run: RunContext

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.severity is Severity.ERROR]


async def make_plan(compiled: Compiled, contract: Contract, run: RunContext, state: State,
                    options: PlanOptions | None = None) -> Planned:
    """The plan of `compiled` (the contract compiled once by the caller against the live schema)
    given the recorded `state`: the findings, then, if none is an error, every resource read and decided."""
    options = options or PlanOptions()
    provs = make_providers(run.lineage)
    findings = merge_findings(contract.findings, compiled.findings) + tuple(option_findings(compiled, state, options))
    if not compiled.ok or any(f.severity is Severity.ERROR for f in findings):
        return Planned(compiled, Plan((), state.lineage, state.serial, findings), provs, run)
    facades = run.facades
    observed, counts, sizes, data = await asyncio.gather(
        refresh(compiled.graph, state, provs, run, run.settings.parallelism), row_count_findings(compiled, facades),
        key_size_findings(compiled, facades), data_findings(compiled, contract, facades))
    plan = decide(compiled.graph, state, provs, observed, replace=options.replace, targets=options.targets)
    loss = await data_loss_findings(plan, contract, provs, run, options.allow_data_loss)
    plan = replace(plan, findings=findings + tuple(counts) + tuple(sizes) + tuple(data) + tuple(loss))
    return Planned(compiled, plan, provs, run)


async def refresh_state(state: State, run: RunContext) -> tuple[State, list[str]]:
    """`plan --refresh-only`: what the state records becomes what is. A resource that vanished
    leaves the state; one that changed keeps its new attributes and loses its config
    fingerprint, so the next plan compares it with the contract afresh."""
    provs = make_providers(run.lineage)
    addresses = sorted(state.resources)
    observed = await asyncio.gather(*(provs[a.kind].read(a, None, state.resources[a], run) for a in addresses))
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
