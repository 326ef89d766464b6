"""`migrator plan | apply | destroy`: the Terraform-shaped commands. They parse and render;
the Session (migrator/service/session.py) does the work."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from migrator.cli.common import (AutoApprove, Bucket, ContractArg, Database, GlueRole, JsonFlag, McpConfigOpt, SourceHost,
                                 SourcePort, SparkThreshold, StateDir, emit_findings, emit_json, fail, guarded, read_contract,
                                 settings)
from migrator.cli.progress import ApplyView, load_line
from migrator.plan.render_text import WIDTH
from migrator.errors import MigratorError

if TYPE_CHECKING:
    from migrator.service.session import Applied, DestroyItem, Hooks
    from migrator.engine.apply import ApplyResult
    from migrator.plan.model import Plan
    from migrator.planning.options import PlanOptions

Targets = Annotated[list[str] | None, typer.Option("--target", "-target", help="Limit the plan to this address "
                                                   "and what it depends on (repeatable).")]
Replaces = Annotated[list[str] | None, typer.Option("--replace", "-replace", help="Replace this resource even if it "
                                                    "did not change (repeatable).")]
AllowDataLoss = Annotated[bool, typer.Option("--allow-data-loss", help="Let the plan delete or replace tables that "
                                             "hold items.")]
Parallelism = Annotated[int, typer.Option("--parallelism", min=1, max=100, help="Resources applied at once.")]


def _options(targets: Sequence[str] | None, replace: Sequence[str] | None, allow_data_loss: bool) -> PlanOptions:
    from migrator.service import files
    from migrator.planning.options import PlanOptions

    return PlanOptions(targets=frozenset(files.resource_address(t) for t in targets or ()),
                       replace=frozenset(files.resource_address(r) for r in replace or ()), allow_data_loss=allow_data_loss)


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise MigratorError("no terminal to confirm on", hint="run again with --auto-approve")
    answer = typer.prompt(f"{question} Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise MigratorError("cancelled; nothing was changed")


def _hooks(view: ApplyView) -> Hooks:
    from migrator.service.session import Hooks
    from migrator.plan.render_json import plan_json
    from migrator.plan.render_text import render_plan

    if view.mode == "json":
        return Hooks(on_plan=lambda plan: view.emit({"type": "plan", **plan_json(plan)}),
                     on_destroy=lambda items: view.emit({"type": "destroy_plan",
                                                         "addresses": [str(i.address) for i in items],
                                                         "items": {str(i.address): i.items for i in items
                                                                   if i.items is not None}}),
                     on_event=view.event, on_progress=view.progress,
                     on_start=lambda: view.emit({"type": "apply_start"}), confirm=None)

    def on_destroy(items: Sequence[DestroyItem]) -> None:
        typer.echo("migrator will destroy:")
        for item in items:
            held = f" (held {item.items:,} items at its last check)" if item.items is not None else ""
            typer.echo(f"  - {item.address}{held}")

    def on_plan(plan: Plan) -> None:
        emit_findings(plan.findings)
        typer.echo(render_plan(plan, findings=False))

    return Hooks(on_plan=on_plan, on_destroy=on_destroy, on_event=view.event,
                 on_progress=view.progress, on_start=lambda: typer.echo(""), confirm=_confirm)


def plan(contract: ContractArg, mcp_config: McpConfigOpt = None, database: Database = None,
         state_dir: StateDir = Path("state"), bucket: Bucket = "migrator-artifacts",
         glue_role: GlueRole = "migrator-glue", source_host: SourceHost = None,
         source_port: SourcePort = None, spark_threshold_rows: SparkThreshold = 1_000_000, as_json: JsonFlag = False,
         markdown: Annotated[bool, typer.Option("--markdown", help="A plan for a pull request comment.")] = False,
         out: Annotated[Path | None, typer.Option("--out", "-out", help="Save the plan; `apply FILE` applies "
                                                  "exactly it.")] = None,
         target: Targets = None, replace: Replaces = None, allow_data_loss: AllowDataLoss = False,
         refresh_only: Annotated[bool, typer.Option("--refresh-only", help="Record reality in the state "
                                                    "without proposing changes.")] = False,
         detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode",
                                                         help="Exit 2 when there are changes.")] = False,
         no_truncate: Annotated[bool, typer.Option("--no-truncate", help="Show every value whole (the text plan "
                                                   f"cuts values longer than {WIDTH} characters).")] = False) -> None:
    """Show what apply would do: compile the contract, read reality through MCP, diff."""
    from migrator.service import files
    from migrator.service import session as service
    from migrator.plan.render_json import plan_json
    from migrator.plan.render_text import render_plan

    if refresh_only:
        _refresh_only(mcp_config, state_dir, database)
        return
    run_settings = settings(state_dir, bucket, glue_role, source_host, source_port,
                            spark_threshold_rows=spark_threshold_rows, database=database)
    options = guarded(lambda: _options(target, replace, allow_data_loss))
    parsed = guarded(lambda: read_contract(contract))
    guarded(lambda: files.read_state(state_dir))  # a broken state file is reported before any server starts
    planned = guarded(lambda: service.run(lambda session: session.plan(parsed, options), run_settings, mcp_config))
    if as_json:
        emit_json(plan_json(planned.plan))
    elif markdown:
        from migrator.plan.render_markdown import render_markdown

        typer.echo(render_markdown(planned.plan))
    else:
        emit_findings(planned.plan.findings)
        typer.echo(render_plan(planned.plan, width=None if no_truncate else WIDTH, findings=False))
    if planned.errors:
        raise typer.Exit(1)
    if out is not None:
        guarded(lambda: files.save_plan(out, planned.plan, contract, run_settings, options))
        if not as_json and not markdown:
            typer.echo(f"\nSaved the plan to {out}: `migrator apply {out}` applies exactly it.")
    if detailed_exitcode and not planned.plan.empty:
        raise typer.Exit(2)


def _refresh_only(mcp_config: Path | None, state_dir: Path, database: str | None) -> None:
    from migrator.service import session as service

    notes = guarded(lambda: service.run(lambda session: session.refresh(), settings(state_dir, database=database),
                                    mcp_config))
    for note in notes:
        typer.echo(note)
    typer.echo("The state records reality; nothing else was changed." if notes
               else "No changes. The state matches reality.")


def apply(contract: Annotated[Path, typer.Argument(help="The migration contract, or a plan saved by `plan --out`.")],
          mcp_config: McpConfigOpt = None, database: Database = None,
          state_dir: StateDir = Path("state"), bucket: Bucket = "migrator-artifacts",
          glue_role: GlueRole = "migrator-glue", source_host: SourceHost = None,
          source_port: SourcePort = None, spark_threshold_rows: SparkThreshold = 1_000_000,
          auto_approve: AutoApprove = False,
          target: Targets = None, replace: Replaces = None, allow_data_loss: AllowDataLoss = False,
          parallelism: Parallelism = 10, as_json: Annotated[bool, typer.Option(
              "--json", help="One JSON object per line: the plan, every event and load progress, the summary "
                             "(needs --auto-approve or a saved plan).")] = False) -> None:
    """Plan, then create, update and load in dependency order, writing state after every step."""
    from migrator.service import files
    from migrator.service import session as service
    from migrator.service.errors import PlanHasErrors
    from migrator.state.store import STATE_FILE

    run_settings = settings(state_dir, bucket, glue_role, source_host, source_port, parallelism,
                            spark_threshold_rows, database)
    options = guarded(lambda: _options(target, replace, allow_data_loss))
    request, run_settings = guarded(lambda: files.resolve_apply(contract, run_settings, options, auto_approve))
    if as_json and not request.auto_approve:
        fail("apply --json cannot ask for confirmation: add --auto-approve, or apply a plan saved by `plan --out`", 2)
    parsed = guarded(lambda: read_contract(request.contract))
    view = ApplyView.for_output(as_json)

    def go() -> Applied | None:
        try:
            return service.run(lambda session: session.apply(parsed, request), run_settings, mcp_config,
                           hooks=_hooks(view))
        except PlanHasErrors:   # the plan said so, each error once, and that it failed
            return None
        except KeyboardInterrupt:
            view.close()
            fail(view.interrupted(str(run_settings.state_dir / STATE_FILE)), 130)

    try:
        applied = guarded(go)
    finally:
        view.close()
    if applied is None:
        raise typer.Exit(1)
    if as_json:
        view.emit(_summary_doc(applied.planned.plan, applied.result))
    elif applied.result is not None:
        _print_apply_summary(applied.planned.plan, applied.result)
    if applied.result is not None and not as_json:
        _print_report_summary(state_dir, applied.result)
    if applied.result is not None and not applied.result.ok:
        raise typer.Exit(1)


def _print_report_summary(state_dir: Path, result: ApplyResult) -> None:
    """The report in two lines; a state the report cannot read must not hide the apply's outcome,
    and an apply that failed is never summed up as passed."""
    from migrator.service import files
    from migrator.report.render_text import summary_lines

    try:
        built = files.report_from_state(state_dir)
    except MigratorError:
        return
    failed = sorted(set(result.failed) | set(result.skipped))
    for line in summary_lines(built, f"`migrator report --state-dir {state_dir}` (--json, --markdown)",
                              [str(a) for a in failed]):
        typer.echo(line)


def _summary_doc(plan: Plan, result: ApplyResult | None) -> dict[str, Any]:
    """The last line of `apply --json`: what was done, and each load's final figures."""
    if result is None:
        return {"type": "summary", "ok": True, "changes": 0, "message": "No changes. Reality matches the contract."}
    return {"type": "summary", "ok": result.ok, "done": [str(a) for a in result.done],
            "failed": {str(a): m for a, m in sorted(result.failed.items())},
            "skipped": [str(a) for a in sorted(result.skipped)],
            "loads": {str(a): dict(result.state.resources[a].attributes) for a in sorted(result.done)
                      if a.kind == "load" and a in result.state.resources}}


def _print_apply_summary(plan: Plan, result: ApplyResult) -> None:
    from migrator.plan.model import Action

    done = set(result.done)

    def count(action: Action) -> int:
        return sum(1 for c in plan.changes if c.action is action and c.address in done)

    typer.echo("")
    for address in sorted(done | {a for a in result.failed if a.kind == "load"}):
        record = result.state.resources.get(address)
        if address.kind == "load" and record is not None and "rows_read" in record.attributes:
            typer.echo(f"{address}: {load_line(record.attributes)}" + ("" if address in done else " (FAILED)"))
    for address in sorted(done):
        if address.kind == "check":
            attrs = result.state.resources[address].attributes
            overwritten = attrs.get("overwritten") or 0
            typer.echo(f"{address}: source rows {attrs.get('source_rows')}, view rows {attrs.get('view_rows')}, "
                       f"items written {attrs.get('items_written')}, "
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
    if result.kept:
        typer.echo("Kept because something that needs them could not be destroyed: "
                   + ", ".join(str(a) for a in sorted(result.kept)))


def destroy(contract: Annotated[Path | None, typer.Argument(
                help="The contract, as for plan and apply (optional: destroy is driven by the state file).",
                show_default=False)] = None,
            mcp_config: McpConfigOpt = None, database: Database = None, state_dir: StateDir = Path("state"),
            auto_approve: AutoApprove = False) -> None:
    """Remove everything migrator created, as recorded in the state file."""
    from migrator.service import session as service

    if contract is not None and not contract.is_file():   # a mistyped name says so rather than going on
        fail(f"{contract} is not a file; destroy needs no contract (it removes what the state records), "
             "so leave it out or name the contract you applied")

    view = ApplyView.for_output(False)
    try:
        result = guarded(lambda: service.run(lambda session: session.destroy(auto_approve),
                                         settings(state_dir, database=database),
                                         mcp_config, hooks=_hooks(view)))
    finally:
        view.close()
    if result is None:
        typer.echo("Nothing to destroy: the state records no resources.")
        return
    typer.secho(f"Destroy {'complete' if result.ok else 'incomplete'}! Resources: {len(result.done)} destroyed"
                + (f", {len(result.failed)} failed, {len(result.kept)} kept." if not result.ok else "."),
                fg=typer.colors.GREEN if result.ok else typer.colors.RED)
    if not result.ok:
        raise typer.Exit(1)
