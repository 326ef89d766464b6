"""A Session is one run of migrator against one state and one set of MCP servers.

The CLI only parses options and renders; everything a command does happens here: opening
the MCP servers, taking the state lock, the lineage, the checks of a saved plan, asking for
confirmation and reporting progress. Tests (and any other front end) drive the same Session,
so what they prove is what the commands do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from migrator.compile.contract import Compiled, SourceCredentials
from migrator.contract.model import Contract
from migrator.engine.apply import ApplyResult, apply_plan, destroy_state
from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.graph import Address
from migrator.kinds import KINDS
from migrator.mcp.client import McpHub
from migrator.mcp.config import McpConfig
from migrator.mcp.errors import ToolError
from migrator.mcp.facades import Facades
from migrator.plan.model import Plan
from migrator.plan.planfile import check_inputs, check_same
from migrator.planning.make import Planned, make_plan, refresh_state
from migrator.planning.options import PlanOptions
from migrator.providers import providers as make_providers
from migrator.providers.base import Provider, RunContext
from migrator.report.build import build_report
from migrator.report.model import Report
from migrator.service.errors import PlanHasErrors
from migrator.service.files import ApplyRequest, check_importable
from migrator.service.servers import compile_live, config_in_use, explained, source_credentials
from migrator.service.verify import check_sample_options, verify_full, verify_sample
from migrator.settings import Settings
from migrator.state.model import ResourceState, State
from migrator.state.store import StateStore
from migrator.compare.sample import SampleOutcome

T = TypeVar("T")


def _ignore(*_: Any) -> None:
    return None


@dataclass(frozen=True)
class DestroyItem:
    """One resource destroy would remove; `items` the items a table held at its last check."""

    address: Address
    items: int | None = None


def destroy_items(state: State) -> list[DestroyItem]:
    """What destroy removes, tables with the item count their last check recorded (read from the
    state: a destroy must not wait on a scan to say what it is about to delete)."""
    out = []
    for address in sorted(state.resources):
        check = state.resources.get(Address("check", address.name)) if address.kind == "dynamodb_table" else None
        counted = check.attributes.get("table_items") if check is not None else None
        out.append(DestroyItem(address, int(counted) if isinstance(counted, int) else None))
    return out


@dataclass
class Hooks:
    """What a front end is shown, and asked, while a Session works.

    `confirm` asks a yes/no question and raises a MigratorError to cancel; it runs in a
    thread (it may block on a terminal). None means nobody can be asked: only runs with
    `auto_approve` may change anything.
    """

    on_plan: Callable[[Plan], None] = _ignore
    #: what destroy would remove, each with what it holds when that is known (a table's items)
    on_destroy: Callable[[Sequence[DestroyItem]], None] = _ignore
    on_event: Callable[[Address, str], None] = _ignore
    #: live figures of a running load (see `providers.load.progress_figures`), every few seconds
    on_progress: Callable[[Address, Mapping[str, Any]], None] = _ignore
    #: execution begins (after approval).
    on_start: Callable[[], None] = _ignore
    confirm: Callable[[str], None] | None = None


@dataclass
class Applied:
    planned: Planned
    #: None when the plan was empty and nothing ran.
    result: ApplyResult | None


# ---------------------------------------------------------------------------- the session

class Session:
    """One run: the MCP servers (through their facades), the settings, the state store, the hooks.

    Built by `Session.open` (which starts and stops the servers) or, by tests that keep
    servers running across many runs, directly from facades they opened themselves.
    """

    def __init__(self, config: McpConfig, facades: Facades, settings: Settings, *, store: StateStore | None = None,
                 hooks: Hooks | None = None) -> None:
        self.config = config
        self.facades = facades
        self.settings = settings
        self.store = store if store is not None else StateStore(settings.state_dir)
        self.hooks = hooks or Hooks()

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: Settings, mcp_config: Path | None = None, *,
                   hooks: Hooks | None = None) -> AsyncIterator[Session]:
        """Start the configured MCP servers for the length of the block; always stop them."""
        config = config_in_use(mcp_config, settings)
        try:
            async with McpHub(config) as hub:
                yield cls(config, Facades.open(hub), settings, hooks=hooks)
        except ToolError as exc:
            raise explained(exc, config) from None
        except BaseExceptionGroup as group:       # concurrent calls: each failure explained alike
            raise group.derive([explained(e, config) if isinstance(e, ToolError) else e
                                for e in group.exceptions]) from None

    # -- helpers ---------------------------------------------------------------------

    def _source(self) -> SourceCredentials:
        return source_credentials(self.config, self.settings)

    def _run(self, lineage: str, artifacts: Mapping[str, bytes] | None = None) -> RunContext:
        """The command's one context (with the compiled artifacts, when it compiled): built once, never changed."""
        return RunContext(facades=self.facades, settings=self.settings, lineage=lineage, artifacts=artifacts or {},
                          report=self.hooks.on_event, progress=self.hooks.on_progress)

    async def compile_for(self, contract: Contract) -> Compiled:
        """The command's one compile: the contract against the live MySQL schema."""
        return await compile_live(self.facades, contract, self.settings, self._source())

    async def _plan(self, contract: Contract, state: State, options: PlanOptions) -> Planned:
        compiled = await self.compile_for(contract)
        return await make_plan(compiled, contract, self._run(state.lineage, compiled.artifacts), state, options)

    async def _confirm(self, question: str, auto_approve: bool) -> None:
        if auto_approve:
            return
        if self.hooks.confirm is None:
            raise MigratorError("nobody can confirm the changes here", hint="run again with --auto-approve")
        await asyncio.to_thread(self.hooks.confirm, question)

    # -- commands --------------------------------------------------------------------

    async def plan(self, contract: Contract, options: PlanOptions | None = None) -> Planned:
        """What apply would do; reads reality, changes nothing (not even the state)."""
        state = self.store.read()
        return await self._plan(contract, state, options or PlanOptions())

    async def apply(self, contract: Contract, request: ApplyRequest | None = None) -> Applied:
        """Plan under the state lock, show it, ask, then execute it, writing state after every step."""
        request = request or ApplyRequest(Path(contract.source), auto_approve=False)
        saved = request.saved
        with self.store.lock("apply"):
            state = self.store.read()
            if saved is not None:
                check_inputs(saved.file, saved.path, state)
            state = state.with_lineage()  # tables are tagged with it when created
            planned = await self._plan(contract, state, request.options)
            if saved is not None and not planned.errors:
                check_same(saved.file, saved.path, planned.plan)
            self.hooks.on_plan(planned.plan)
            if planned.errors:
                raise PlanHasErrors(planned)
            if planned.plan.empty:
                return Applied(planned, None)
            await self._confirm("Do you want to perform these actions?", request.auto_approve)
            self.hooks.on_start()
            result = await apply_plan(planned.plan, planned.providers, planned.run, self.store, state,
                                      on_event=self.hooks.on_event, parallelism=self.settings.parallelism)
            return Applied(planned, result)

    async def destroy(self, auto_approve: bool = False) -> ApplyResult | None:
        """Remove everything the state records, dependants first; None when it records nothing."""
        with self.store.lock("destroy"):
            state = self.store.read()
            if not state.resources:
                return None
            providers, run = make_providers(state.lineage), self._run(state.lineage)
            await refuse_destroy(state, providers, run)
            self.hooks.on_destroy(destroy_items(state))
            await self._confirm(f"Destroy {len(state.resources)} resources?", auto_approve)
            return await destroy_state(state, providers, run, self.store, on_event=self.hooks.on_event,
                                       parallelism=self.settings.parallelism)

    async def refresh(self) -> list[str]:
        """`plan --refresh-only`: record reality in the state; one note per resource that moved."""
        with self.store.lock("refresh"):
            state = self.store.read()
            new_state, notes = await refresh_state(state, self._run(state.lineage))
            if notes:
                self.store.write(new_state)
            return notes

    async def report(self, contract: Contract) -> Report:
        """The report with what only reality tells: the plan's warnings and what drifted."""
        from migrator.contract.document import finding_line

        state = self.store.read()
        planned = await self._plan(contract, state, PlanOptions())
        warnings = [finding_line(f) for f in planned.plan.findings if f.severity is not Severity.ERROR]
        drift = [f"{c.address}: {c.reason.words(c.dependency)} ({c.reason.repair})"
                 for c in planned.plan.changes if c.reason.drift]
        live = {c.address.name: seen for c in planned.plan.changes
                if (seen := planned.providers[c.address.kind].report_observed(c)) is not None}
        return build_report(state, warnings, drift, live)

    async def verify(self, contract: Contract, size: int, seed: str) -> list[SampleOutcome]:
        """`verify`: a seeded sample of every table (`service.verify`). Reads only: no lock."""
        check_sample_options(size, seed)
        compiled = await self.compile_for(contract)
        return await verify_sample(self.facades, compiled, self.store.read(), size, seed)

    async def verify_full(self, contract: Contract) -> list[dict[str, Any]]:
        """`verify --full`: every table compared in a transient Glue job (`service.verify`)."""
        compiled = await self.compile_for(contract)
        return await verify_full(self.facades, compiled, contract.source, self.settings, self.store.read().lineage)

    async def import_(self, address: Address, resource_id: str) -> dict[str, Any]:
        """Adopt an existing table or view into the state; the next plan reconciles it."""
        check_importable(address, resource_id)
        with self.store.lock("import"):
            state = self.store.read().with_lineage()
            if state.get(address) is not None:
                raise MigratorError(f"{address} is already in the state",
                                    hint="`migrator state rm` it first to re-import")
            observed = await make_providers(state.lineage)[address.kind].read(address, None, None,
                                                                              self._run(state.lineage))
            if observed is None:
                raise MigratorError(f"there is no {address.kind.replace('_', ' ')} named '{resource_id}' to import")
            self.store.write(state.with_resource(ResourceState(address, observed)))
            return observed


async def refuse_destroy(state: State, providers: Mapping[str, Provider], run: RunContext) -> None:
    """Every kind is asked, before anything is touched, whether destroying its recorded resources
    would stop halfway (a protected table, views in another database); in the order destroy
    removes them (the catalogue reversed), the first refusal is the error."""
    for kind in reversed(KINDS):
        records = [state.resources[a] for a in sorted(state.resources) if a.kind == kind]
        refusal = await providers[kind].refuse_destroy(records, run) if records else None
        if refusal is not None:
            raise refusal


def run(body: Callable[[Session], Awaitable[T]], settings: Settings, mcp_config: Path | None = None, *,
        hooks: Hooks | None = None) -> T:
    """Open a Session, run `body` in it, close the servers: the synchronous entry for a CLI command."""
    async def go() -> T:
        async with Session.open(settings, mcp_config, hooks=hooks) as session:
            return await body(session)

    return asyncio.run(go())
