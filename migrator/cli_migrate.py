"""`migrator plan | apply | destroy`: the Terraform-shaped commands (registered on cli.app)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from migrator.cli import JsonFlag, McpConfigOpt, _emit_json, app, guarded
from migrator.errors import MigratorError
from migrator.graph import Address
from migrator.settings import Settings

T = TypeVar("T")

StateDir = Annotated[Path, typer.Option("--state-dir", help="Folder of the state file.", envvar="MIGRATOR_STATE_DIR")]
Bucket = Annotated[str, typer.Option("--bucket", help="S3 bucket for job scripts, the runtime and results.",
                                     envvar="MIGRATOR_BUCKET")]
GlueRole = Annotated[str, typer.Option("--glue-role", help="IAM role the Glue jobs run as (real AWS).",
                                       envvar="MIGRATOR_GLUE_ROLE")]
SourceHost = Annotated[str | None, typer.Option("--source-host", help="MySQL host as the Glue jobs reach it "
                                               "(default: the MySQL server's MYSQL_HOST).", envvar="MIGRATOR_SOURCE_HOST")]
SourcePort = Annotated[int | None, typer.Option("--source-port", help="MySQL port as the Glue jobs reach it.",
                                               envvar="MIGRATOR_SOURCE_PORT")]
AutoApprove = Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")]
ContractArg = Annotated[Path, typer.Argument(help="The migration contract (JSON).")]


def _settings(state_dir: Path, bucket: str, glue_role: str, source_host: str | None = None,
              source_port: int | None = None) -> Settings:
    return Settings(bucket=bucket, glue_role=glue_role, state_dir=state_dir, source_host=source_host,
                    source_port=source_port)


def _read_contract(path: Path) -> Any:
    from migrator.contract.load import read_contract
    from migrator.findings import Severity
    from migrator.plan.render_text import render_findings

    contract, findings = read_contract(path)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if contract is None or errors:
        for line in render_findings(findings):
            typer.secho(line, err=True, fg=typer.colors.RED if line.startswith("error") else typer.colors.YELLOW)
        raise MigratorError(f"the contract {path} has {len(errors)} error(s)", hint="fix them and run again "
                            f"(`migrator validate {path}` lists them)")
    return contract


def _run(body: Callable[[Any, Any], Awaitable[T]], mcp_config: Path | None) -> T:
    """Open the MCP hub and the four facades for the body; always close the servers."""
    from migrator.mcp.client import McpHub
    from migrator.mcp.config import find_config, load_config
    from migrator.mcp.roles import Facades

    async def go() -> T:
        config = load_config(find_config(mcp_config))
        async with McpHub(config) as hub:
            return await body(config, Facades.open(hub))

    return guarded(lambda: asyncio.run(go()))


def _event(address: Address, message: str) -> None:
    colour = typer.colors.RED if message.startswith("failed") else None
    typer.secho(f"{address}: {message}", fg=colour)


def _confirm(question: str, auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise MigratorError("no terminal to confirm on", hint="run again with --auto-approve")
    answer = typer.prompt(f"{question} Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise MigratorError("cancelled; nothing was changed")


Targets = Annotated[list[str] | None, typer.Option("--target", "-target", help="Limit the plan to this address "
                                                   "and what it depends on (repeatable).")]
Replaces = Annotated[list[str] | None, typer.Option("--replace", "-replace", help="Replace this resource even if it "
                                                    "did not change (repeatable).")]
AllowDataLoss = Annotated[bool, typer.Option("--allow-data-loss", help="Let the plan delete or replace tables that "
                                             "hold items.")]
Parallelism = Annotated[int, typer.Option("--parallelism", min=1, max=100, help="Resources applied at once.")]


def _options(targets: list[str] | None, replace: list[str] | None, allow_data_loss: bool) -> Any:
    from migrator.engine.workflow import PlanOptions
    from migrator.providers import parse_address

    return PlanOptions(targets=frozenset(parse_address(t) for t in targets or ()),
                       replace=frozenset(parse_address(r) for r in replace or ()), allow_data_loss=allow_data_loss)


@app.command("plan")
def plan_command(contract: ContractArg, mcp_config: McpConfigOpt = None,
                 state_dir: StateDir = Path("state"), bucket: Bucket = "migrator-artifacts",
                 glue_role: GlueRole = "migrator-glue", source_host: SourceHost = None,
                 source_port: SourcePort = None, as_json: JsonFlag = False,
                 markdown: Annotated[bool, typer.Option("--markdown", help="A plan for a pull request comment.")] = False,
                 out: Annotated[Path | None, typer.Option("--out", "-out", help="Save the plan; `apply FILE` applies "
                                                          "exactly it.")] = None,
                 target: Targets = None, replace: Replaces = None, allow_data_loss: AllowDataLoss = False,
                 refresh_only: Annotated[bool, typer.Option("--refresh-only", help="Record reality in the state "
                                                            "without proposing changes.")] = False,
                 detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode",
                                                                 help="Exit 2 when there are changes.")] = False) -> None:
    """Show what apply would do: compile the contract, read reality through MCP, diff."""
    from migrator.engine.workflow import make_plan, source_credentials
    from migrator.plan.planfile import write_planfile
    from migrator.plan.render_json import plan_json
    from migrator.plan.render_text import render_plan
    from migrator.state.store import StateStore

    if refresh_only:
        _refresh_only(mcp_config, state_dir)
        return
    settings = _settings(state_dir, bucket, glue_role, source_host, source_port)
    options = guarded(lambda: _options(target, replace, allow_data_loss))
    parsed = guarded(lambda: _read_contract(contract))
    state = guarded(lambda: StateStore(state_dir).read())

    async def body(config: Any, facades: Any) -> Any:
        return await make_plan(parsed, facades, settings, state, source_credentials(config, settings), options)

    planned = _run(body, mcp_config)
    if as_json:
        _emit_json(plan_json(planned.plan))
    elif markdown:
        from migrator.plan.render_markdown import render_markdown

        typer.echo(render_markdown(planned.plan))
    else:
        typer.echo(render_plan(planned.plan))
    if planned.errors:
        raise typer.Exit(1)
    if out is not None:
        guarded(lambda: write_planfile(out, planned.plan, contract, settings, tuple(target or ()),
                                       tuple(replace or ()), allow_data_loss))
        if not as_json and not markdown:
            typer.echo(f"\nSaved the plan to {out}: `migrator apply {out}` applies exactly it.")
    if detailed_exitcode and not planned.plan.empty:
        raise typer.Exit(2)


def _refresh_only(mcp_config: Path | None, state_dir: Path) -> None:
    from migrator.engine.workflow import refresh_state
    from migrator.state.store import StateStore

    store = StateStore(state_dir)

    async def body(config: Any, facades: Any) -> list[str]:
        with store.lock("refresh"):
            state = store.read()
            new_state, notes = await refresh_state(state, facades, Settings(state_dir=state_dir))
            if notes:
                store.write(new_state)
            return notes

    notes = _run(body, mcp_config)
    for note in notes:
        typer.echo(note)
    typer.echo("The state records reality; nothing else was changed." if notes
               else "No changes. The state matches reality.")


@app.command("apply")
def apply_command(contract: Annotated[Path, typer.Argument(help="The migration contract, or a plan saved by "
                                                           "`plan --out`.")],
                  mcp_config: McpConfigOpt = None,
                  state_dir: StateDir = Path("state"), bucket: Bucket = "migrator-artifacts",
                  glue_role: GlueRole = "migrator-glue", source_host: SourceHost = None,
                  source_port: SourcePort = None, auto_approve: AutoApprove = False,
                  target: Targets = None, replace: Replaces = None, allow_data_loss: AllowDataLoss = False,
                  parallelism: Parallelism = 10) -> None:
    """Plan, then create, update and load in dependency order, writing state after every step."""
    from migrator.engine.apply import apply_plan
    from migrator.engine.workflow import make_plan, source_credentials
    from migrator.plan.planfile import check_inputs, check_same, read_planfile, settings_from
    from migrator.plan.render_text import render_plan
    from migrator.state.store import StateStore

    saved = guarded(lambda: read_planfile(contract))
    settings = _settings(state_dir, bucket, glue_role, source_host, source_port)
    if saved is not None:
        settings = settings_from(saved, settings)
        target, replace, allow_data_loss, auto_approve = list(saved.targets), list(saved.replace), \
            saved.allow_data_loss, True
    settings = Settings(**{**settings.__dict__, "parallelism": parallelism})
    options = guarded(lambda: _options(target, replace, allow_data_loss))
    parsed = guarded(lambda: _read_contract(Path(saved.contract) if saved else contract))
    store = StateStore(state_dir)

    async def body(config: Any, facades: Any) -> Any:
        with store.lock("apply"):
            state = store.read()
            if saved is not None:
                check_inputs(saved, contract, state)
            state = state.with_lineage()  # tables are tagged with it when created
            planned = await make_plan(parsed, facades, settings, state, source_credentials(config, settings), options)
            if saved is not None and not planned.errors:
                check_same(saved, contract, planned.plan)
            typer.echo(render_plan(planned.plan))
            if planned.errors:
                raise MigratorError(f"the plan has {len(planned.errors)} error(s); nothing was changed")
            if planned.plan.empty:
                return planned, None
            await asyncio.to_thread(_confirm, "Do you want to perform these actions?", auto_approve)
            typer.echo("")
            planned.ctx.report = _event
            result = await apply_plan(planned.plan, planned.providers, planned.ctx, store, state, on_event=_event,
                                      parallelism=settings.parallelism)
            return planned, result

    planned, result = _run(body, mcp_config)
    if result is None:
        return
    _print_apply_summary(planned.plan, result)
    if not result.ok:
        raise typer.Exit(1)


def _print_apply_summary(plan: Any, result: Any) -> None:
    from migrator.plan.model import Action

    done = set(result.done)
    count = lambda action: sum(1 for c in plan.changes if c.action is action and c.address in done)  # noqa: E731
    typer.echo("")
    for address in sorted(done):
        if address.kind == "check":
            attrs = result.state.get(address).attributes
            overwritten = attrs.get("overwritten") or 0
            typer.echo(f"{address}: view rows {attrs.get('view_rows')}, items written {attrs.get('items_written')}, "
                       f"rejected {attrs.get('items_rejected')}, table items {attrs.get('table_items')}: "
                       + ("agree" if attrs.get("ok") else "DISAGREE")
                       + (f" ({overwritten} item{'s' if overwritten != 1 else ''} overwritten by rows with the same key)"
                          if overwritten else ""))
    status = "Apply complete!" if result.ok else "Apply failed."
    typer.secho(f"{status} Resources: {count(Action.CREATE)} added, {count(Action.UPDATE)} changed, "
                f"{count(Action.REPLACE)} replaced, {count(Action.DELETE)} destroyed.",
                fg=typer.colors.GREEN if result.ok else typer.colors.RED)
    for address, message in sorted(result.failed.items()):
        named = message if message.startswith(f"{address}:") else f"{address}: {message}"
        typer.secho(f"Error: {named}", err=True, fg=typer.colors.RED)
    if result.skipped:
        typer.echo("Not attempted because a dependency failed: " + ", ".join(str(a) for a in sorted(result.skipped)))


@app.command("destroy")
def destroy_command(mcp_config: McpConfigOpt = None, state_dir: StateDir = Path("state"),
                    auto_approve: AutoApprove = False) -> None:
    """Remove everything migrator created, as recorded in the state file."""
    from migrator.engine.apply import destroy_state
    from migrator.providers import providers as make_providers
    from migrator.providers.base import ProviderContext
    from migrator.state.store import StateStore

    store = StateStore(state_dir)

    async def body(config: Any, facades: Any) -> Any:
        with store.lock("destroy"):
            state = store.read()
            if not state.resources:
                typer.echo("Nothing to destroy: the state records no resources.")
                return None
            typer.echo("migrator will destroy:")
            for address in sorted(state.resources):
                typer.echo(f"  - {address}")
            await asyncio.to_thread(_confirm, f"Destroy {len(state.resources)} resources?", auto_approve)
            ctx = ProviderContext(facades=facades, settings=Settings(state_dir=state_dir), lineage=state.lineage,
                                  report=_event)
            return await destroy_state(state, make_providers(state.lineage), ctx, store, on_event=_event)

    result = _run(body, mcp_config)
    if result is None:
        return
    typer.secho(f"Destroy {'complete' if result.ok else 'incomplete'}! Resources: {len(result.done)} destroyed"
                + (f", {len(result.failed)} failed, {len(result.skipped)} kept." if not result.ok else "."),
                fg=typer.colors.GREEN if result.ok else typer.colors.RED)
    if not result.ok:
        raise typer.Exit(1)
