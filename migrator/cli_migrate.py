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
    from migrator.contract.model import Severity
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


@app.command("plan")
def plan_command(contract: ContractArg, mcp_config: McpConfigOpt = None,
                 state_dir: StateDir = Path("state"), bucket: Bucket = "migrator-artifacts",
                 glue_role: GlueRole = "migrator-glue", source_host: SourceHost = None,
                 source_port: SourcePort = None, as_json: JsonFlag = False,
                 detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode",
                                                                 help="Exit 2 when there are changes.")] = False) -> None:
    """Show what apply would do: compile the contract, read reality through MCP, diff."""
    from migrator.engine.workflow import make_plan, source_credentials
    from migrator.plan.render_json import plan_json
    from migrator.plan.render_text import render_plan
    from migrator.state.store import StateStore

    settings = _settings(state_dir, bucket, glue_role, source_host, source_port)
    parsed = guarded(lambda: _read_contract(contract))
    state = guarded(lambda: StateStore(state_dir).read())

    async def body(config: Any, facades: Any) -> Any:
        return await make_plan(parsed, facades, settings, state, source_credentials(config, settings))

    planned = _run(body, mcp_config)
    if as_json:
        _emit_json(plan_json(planned.plan))
    else:
        typer.echo(render_plan(planned.plan))
    if planned.errors:
        raise typer.Exit(1)
    if detailed_exitcode and not planned.plan.empty:
        raise typer.Exit(2)


@app.command("apply")
def apply_command(contract: ContractArg, mcp_config: McpConfigOpt = None,
                  state_dir: StateDir = Path("state"), bucket: Bucket = "migrator-artifacts",
                  glue_role: GlueRole = "migrator-glue", source_host: SourceHost = None,
                  source_port: SourcePort = None, auto_approve: AutoApprove = False) -> None:
    """Plan, then create, update and load in dependency order, writing state after every step."""
    from migrator.engine.apply import apply_plan
    from migrator.engine.workflow import make_plan, source_credentials
    from migrator.plan.render_text import render_plan
    from migrator.state.store import StateStore

    settings = _settings(state_dir, bucket, glue_role, source_host, source_port)
    parsed = guarded(lambda: _read_contract(contract))
    store = StateStore(state_dir)

    async def body(config: Any, facades: Any) -> Any:
        with store.lock("apply"):
            state = store.read()
            planned = await make_plan(parsed, facades, settings, state, source_credentials(config, settings))
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
        typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
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
