"""The service layer: a Session is one run of migrator against one state and one set of MCP servers.

The CLI only parses options and renders; everything a command does happens here: opening
the MCP servers, taking the state lock, the lineage, the checks of a saved plan, asking for
confirmation and reporting progress. Tests (and any other front end) drive the same Session,
so what they prove is what the commands do.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from migrator.compile.contract import Compiled, SourceCredentials, compile_contract
from migrator.compile.verify_jobs import verify_jobs
from migrator.contract.load import ValidationReport, read_contract, validate_file
from migrator.contract.model import Contract
from migrator.engine.apply import ApplyResult, apply_plan, destroy_state
from migrator.errors import ConfigError, MigratorError
from migrator.findings import Finding, Severity
from migrator.graph import Address
from migrator.mcp.client import McpHub
from migrator.mcp.config import McpConfig, find_config, load_config
from migrator.mcp.health import DoctorReport, run_doctor
from migrator.mcp.roles import Facades
from migrator.plan.model import Plan
from migrator.plan.planfile import PlanFile, check_inputs, check_same, read_planfile, settings_from, write_planfile
from migrator.kinds import KINDS
from migrator.planning.make import Planned, make_plan, refresh_state
from migrator.planning.needs import Needs, operations_needed
from migrator.planning.options import PlanOptions
from migrator.providers import IMPORTABLE, parse_address
from migrator.providers import providers as make_providers
from migrator.providers.base import Provider, RunContext
from migrator.settings import Settings
from migrator.state.model import ResourceState, State
from migrator.state.store import StateStore
from migrator.report.build import build_report
from migrator.report.model import Report
from migrator.runtime.verify import Source
from migrator.validate.deep import rejects_lookup, sample_table
from migrator.validate.full import run_full
from migrator.validate.rowcount import count_entities
from migrator.validate.sample import SampleOutcome, valid_seed

T = TypeVar("T")

class ContractInvalid(MigratorError):
    """The contract has errors; `findings` holds every finding for the front end to list."""

    def __init__(self, path: Path, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        super().__init__(f"the contract {path} has {errors} error(s)",
                         hint=f"fix them and run again (`migrator validate {path}` lists them)")


class PlanHasErrors(MigratorError):
    """The plan was made but has errors (a data-loss refusal, a live schema problem): nothing changed."""

    def __init__(self, planned: Planned) -> None:
        self.planned = planned
        super().__init__(f"the plan has {len(planned.errors)} error(s); nothing was changed")


def _ignore(*_: Any) -> None:
    return None


@dataclass
class Hooks:
    """What a front end is shown, and asked, while a Session works.

    `confirm` asks a yes/no question and raises a MigratorError to cancel; it runs in a
    thread (it may block on a terminal). None means nobody can be asked: only runs with
    `auto_approve` may change anything.
    """

    on_plan: Callable[[Plan], None] = _ignore
    on_destroy: Callable[[Sequence[Address]], None] = _ignore
    on_event: Callable[[Address, str], None] = _ignore
    #: live figures of a running load (see `providers.load.progress_figures`), every few seconds
    on_progress: Callable[[Address, Mapping[str, Any]], None] = _ignore
    #: execution begins (after approval).
    on_start: Callable[[], None] = _ignore
    confirm: Callable[[str], None] | None = None


@dataclass(frozen=True)
class SavedPlan:
    """A plan saved by `plan --out` and the file it came from."""

    path: Path
    file: PlanFile


@dataclass(frozen=True)
class ApplyRequest:
    """What `apply` runs: a contract with options, or a saved plan (which fixes both)."""

    contract: Path
    options: PlanOptions = field(default_factory=PlanOptions)
    auto_approve: bool = False
    saved: SavedPlan | None = None


@dataclass
class Applied:
    planned: Planned
    #: None when the plan was empty and nothing ran.
    result: ApplyResult | None


# ---------------------------------------------------------------------------- without servers

def load_contract(path: Path) -> Contract:
    """The typed contract, or ContractInvalid with every finding when it has errors."""
    contract, findings = read_contract(path)
    if contract is None or any(f.severity is Severity.ERROR for f in findings):
        raise ContractInvalid(path, findings)
    return contract


def validate(path: Path) -> ValidationReport:
    """`migrator validate`: schema and lint, no I/O beyond reading the file."""
    return validate_file(path)


def resolve_apply(path: Path, settings: Settings, options: PlanOptions,
                  auto_approve: bool) -> tuple[ApplyRequest, Settings]:
    """`apply PATH`: a saved plan brings its own contract, options and settings, and needs no
    confirmation (it was reviewed); anything else is a contract applied with `options`."""
    saved = read_planfile(path)
    if saved is None:
        return ApplyRequest(path, options, auto_approve), settings
    options = PlanOptions(targets=frozenset(parse_address(t) for t in saved.targets),
                          replace=frozenset(parse_address(r) for r in saved.replace),
                          allow_data_loss=saved.allow_data_loss)
    settings = replace(settings_from(saved, settings), parallelism=settings.parallelism)
    return ApplyRequest(Path(saved.contract), options, True, SavedPlan(path, saved)), settings


def save_plan(path: Path, plan: Plan, contract: Path, settings: Settings, options: PlanOptions) -> None:
    """`plan --out`: the saved plan holds no secret and no desired configuration."""
    write_planfile(path, plan, contract, settings, tuple(str(a) for a in sorted(options.targets)),
                   tuple(str(a) for a in sorted(options.replace)), options.allow_data_loss)


def read_state(state_dir: Path) -> State:
    """The state as recorded (`migrator state list|show`); no lock needed to read."""
    return StateStore(state_dir).read()


def report(state_dir: Path) -> Report:
    """The report of the last apply from the state file alone (no server; drift not checked)."""
    return build_report(read_state(state_dir))


def forget(state_dir: Path, addresses: Sequence[Address]) -> None:
    """`migrator state rm`: migrator stops managing these resources; they are not destroyed."""
    store = StateStore(state_dir)
    with store.lock("state rm"):
        state = store.read()
        missing = [str(a) for a in addresses if state.get(a) is None]
        if missing:
            raise MigratorError(f"{', '.join(missing)} not in the state", hint="`migrator state list` shows what is")
        for address in addresses:
            state = state.without(address)
        store.write(state)


def force_unlock(state_dir: Path, lock_id: str) -> dict[str, object]:
    """Break the lock of a run that died; returns who held it."""
    return StateStore(state_dir).force_unlock(lock_id)


def address(text: str) -> Address:
    """A resource address typed by a user (`-target`, `state rm`, `import`): KIND.NAME of a known kind."""
    return parse_address(text)


def check_importable(address: Address, resource_id: str) -> None:
    """`migrator import ADDRESS ID`: only kinds that exist outside migrator, and the ID must be the name."""
    if address.kind not in IMPORTABLE:
        raise MigratorError(f"{address.kind} resources cannot be imported",
                            hint="import one of: " + ", ".join(IMPORTABLE))
    if address.name != resource_id:
        raise MigratorError(f"{address} names '{address.name}' but the ID is '{resource_id}'",
                            hint=f"the address of {resource_id} is {address.kind}.{resource_id}")


def source_credentials(config: McpConfig, settings: Settings | None = None) -> SourceCredentials:
    """The MySQL account the load job uses: the MySQL role's server environment (then ours).

    `settings.source_host/port` replace the address when Glue reaches MySQL another way.
    """
    spec = config.server_for("mysql")
    env = {**{k: v for k, v in os.environ.items() if k.startswith("MYSQL_")}, **spec.env}
    missing = [k for k in ("MYSQL_USER", "MYSQL_DATABASE") if not env.get(k)]
    if missing:
        raise ConfigError(f"the load jobs need MySQL credentials, but mcpServers.{spec.name}.env has no "
                          + " or ".join(missing), hint="set MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD and "
                          "MYSQL_DATABASE there")
    try:
        port = int(env.get("MYSQL_PORT") or 3306)
    except ValueError:
        raise ConfigError(f"mcpServers.{spec.name}.env.MYSQL_PORT is not a number") from None
    host = env.get("MYSQL_HOST") or "127.0.0.1"
    if settings is not None:
        host, port = settings.source_host or host, settings.source_port or port
    return SourceCredentials(host=host, port=port, user=env["MYSQL_USER"],
                             password=env.get("MYSQL_PASSWORD", ""), database=env["MYSQL_DATABASE"])


async def compile_live(facades: Facades, contract: Contract, settings: Settings,
                       source: SourceCredentials) -> Compiled:
    """The contract compiled against the live MySQL schema: the one compile of a command."""
    server = await facades.mysql.server_info()
    schema = await facades.mysql.describe_schema()
    return compile_contract(contract, schema, server, settings, source)


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
        config = _config(mcp_config, settings)
        async with McpHub(config) as hub:
            yield cls(config, Facades.open(hub), settings, hooks=hooks)

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
            self.hooks.on_destroy(sorted(state.resources))
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
        from migrator.contract.load import finding_line

        state = self.store.read()
        planned = await self._plan(contract, state, PlanOptions())
        warnings = [finding_line(f) for f in planned.plan.findings if f.severity is not Severity.ERROR]
        drift = [f"{c.address}: {c.reason.words(c.dependency)} ({c.reason.repair})"
                 for c in planned.plan.changes if c.reason.drift]
        live = {c.address.name: seen for c in planned.plan.changes
                if (seen := planned.providers[c.address.kind].report_observed(c)) is not None}
        return build_report(state, warnings, drift, live)

    async def verify(self, contract: Contract, size: int, seed: str) -> list[SampleOutcome]:
        """Compare a seeded sample of every table's rows with the items stored under their keys.

        Reads only: no lock, no state. The rows are mapped by the job's own code, so a mapping
        the load got wrong and an item changed since both show. A table that does not exist yet
        is one sentence (apply first)."""
        if size < 1:
            raise MigratorError(f"--sample must be at least 1, got {size}")
        if not valid_seed(seed):
            raise MigratorError(f"--seed must be letters, digits, '-' or '_', got {seed!r}")
        compiled = await self.compile_for(contract)
        checks = [node for node in compiled.graph if node.address.kind == "check"]
        state = self.store.read()   # read only: the loads' records say where their rejected rows are
        outcomes = []
        for node in checks:
            sample = node.config["sample"]
            table = node.config["table"]
            description = await self.facades.dynamodb.describe_table(table)
            if description is None:
                raise MigratorError(f"dynamodb_table.{table} does not exist, so there is nothing to verify",
                                    hint="run `migrator apply` first")
            loads = [state.resources[a].attributes for a in map(Address.parse, node.config["loads"])
                     if a in state.resources]
            outcome = await sample_table(self.facades.mysql, self.facades.dynamodb, table, sample["keys"],
                                         [Source.from_doc(s) for s in sample["sources"]], size, seed, description,
                                         rejects_lookup(self.facades.s3, loads))
            outcomes.append(replace(outcome, row_problems=await self._row_problems(node.config["sources"])))
        return outcomes

    async def _row_problems(self, sources: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
        """Each view against its source table: one row per source row (counted in MySQL, independent
        of the mapping the sample compare reuses)."""
        return tuple(p for e in await count_entities(self.facades.mysql, sources) for p in e.problems())

    async def verify_full(self, contract: Contract) -> list[dict[str, Any]]:
        """The full comparison of every table, each in a transient Glue job (rows never reach migrator)."""
        compiled = await self.compile_for(contract)
        lineage = self.store.read().lineage
        results = []
        for full in verify_jobs(compiled.graph, contract.source, self.settings):
            if await self.facades.dynamodb.describe_table(full.table) is None:
                raise MigratorError(f"dynamodb_table.{full.table} does not exist, so there is nothing to verify",
                                    hint="run `migrator apply` first")
            result = dict(await run_full(self.facades, full, lineage, self.settings.poll_seconds))
            check = compiled.graph.nodes[Address("check", full.table)]
            rows = await self._row_problems(check.config["sources"])
            results.append({**result, "row_problems": list(rows), "ok": bool(result.get("ok")) and not rows})
        return results

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


def doctor(mcp_config: Path | None = None, contract: Contract | None = None,
           settings: Settings | None = None) -> DoctorReport:
    """Every role's server: starts, has the tools migrator needs, answers a probe. No Session: a
    role that cannot be bound to a server is a row of the report, not an error before it. With a
    contract, what is required is what its plan calls (compiled from the live schema)."""
    async def go() -> DoctorReport:
        config = _config(mcp_config, settings or Settings())
        async with McpHub(config) as hub:
            needs, scope, warnings = operations_needed(KINDS), "every command", []
            if contract is not None:
                try:
                    needs = await _plan_needs(hub, config, contract, settings or Settings())
                    scope = f"the plan of {contract.source or 'the contract'}"
                except MigratorError as exc:
                    warnings.append(f"the plan's operations could not be worked out ({exc}); every command's "
                                    "operations were checked instead")
            report = await run_doctor(hub, needs)
            report.scope, report.warnings = scope, warnings
            return report

    return asyncio.run(go())


def _config(mcp_config: Path | None, settings: Settings) -> McpConfig:
    """The mcp.json in use, its mysql server reading the database `--database` names (if any)."""
    return load_config(find_config(mcp_config)).with_database(settings.database)


async def _plan_needs(hub: McpHub, config: McpConfig, contract: Contract, settings: Settings) -> Needs:
    """The operations the contract's plan calls: its resources' kinds, compiled against the live schema."""
    compiled = await compile_live(Facades.open(hub), contract, settings, source_credentials(config, settings))
    if not compiled.ok:   # a table that does not compile has no resources: what it would need is not counted
        raise MigratorError("the contract does not compile against this database (`migrator plan` says why)")
    return operations_needed({address.kind for address in compiled.graph.nodes})


def run(body: Callable[[Session], Awaitable[T]], settings: Settings, mcp_config: Path | None = None, *,
        hooks: Hooks | None = None) -> T:
    """Open a Session, run `body` in it, close the servers: the synchronous entry for a CLI command."""
    async def go() -> T:
        async with Session.open(settings, mcp_config, hooks=hooks) as session:
            return await body(session)

    return asyncio.run(go())
