"""The `migrator` command line: thin; parses options and calls the packages.

Exit codes: 0 success, 1 a failure the user can act on (one sentence on stderr),
2 usage error (typer's own), 3 an internal error (a bug; the traceback goes to a log file,
not to the terminal).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from migrator.errors import MigratorError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Plan, apply and destroy MySQL -> DynamoDB migrations through MCP servers.")
sandbox_app = typer.Typer(no_args_is_help=True, help="A private MariaDB, a moto AWS emulator and the local Glue runtime.")
mcp_app = typer.Typer(no_args_is_help=True, help="The built-in MCP servers.")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(mcp_app, name="mcp")

T = TypeVar("T")

SandboxDir = Annotated[Path, typer.Option("--dir", help="Sandbox folder.", envvar="MIGRATOR_SANDBOX_DIR")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body: a MigratorError is one sentence, anything else a logged bug."""
    try:
        return fn()
    except MigratorError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; nothing already done was lost", 130)
    except typer.Exit:
        raise
    except Exception:  # noqa: BLE001 - the last line of defence against tracebacks on the terminal
        log = Path(".migrator") / "crash.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc())
        _fail(f"internal error in migrator (a bug): {sys.exc_info()[1]!r}; the traceback is in {log}", 3)
    raise AssertionError("unreachable")


def _emit_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, sort_keys=True))


# ---------------------------------------------------------------------------- sandbox

@sandbox_app.command("up")
def sandbox_up(root: SandboxDir = Path(".migrator/sandbox"), as_json: JsonFlag = False) -> None:
    """Start the sandbox (idempotent) and write its mcp.json."""
    from migrator.sandbox import lifecycle

    record = guarded(lambda: lifecycle.up(root))
    components = guarded(lambda: lifecycle.status(root))
    if as_json:
        _emit_json({"mcp_json": str(record.mcp_json), "components": [c.__dict__ for c in components]})
        return
    for c in components:
        typer.echo(f"{c.name:8} {'running' if c.running else 'stopped':8} {c.where}"
                   + (f"  (pid {c.pid})" if c.pid else "") + (f"  {c.detail}" if c.detail else ""))
    typer.echo(f"mcp.json {record.mcp_json}")


@sandbox_app.command("down")
def sandbox_down(root: SandboxDir = Path(".migrator/sandbox")) -> None:
    """Stop the processes the sandbox started; keep its data."""
    from migrator.sandbox import lifecycle

    stopped = guarded(lambda: lifecycle.down(root))
    typer.echo("stopped " + ", ".join(stopped) if stopped else "nothing was running")


@sandbox_app.command("status")
def sandbox_status(root: SandboxDir = Path(".migrator/sandbox"), as_json: JsonFlag = False) -> None:
    """Report what runs where and whether it answers; exit 1 when something is down."""
    from migrator.sandbox import lifecycle

    components = guarded(lambda: lifecycle.status(root))
    if as_json:
        _emit_json({"components": [c.__dict__ for c in components]})
    elif not components:
        typer.echo(f"no sandbox in {root}; run `migrator sandbox up`")
    for c in components if not as_json else []:
        state = "healthy" if c.healthy else ("running" if c.running else "stopped")
        colour = typer.colors.GREEN if c.healthy else typer.colors.RED
        typer.echo(f"{c.name:8} " + typer.style(f"{state:8}", fg=colour) + f" {c.where}"
                   + (f"  (pid {c.pid})" if c.pid else "") + (f"  {c.detail}" if c.detail else ""))
    if not components or not all(c.healthy for c in components):
        raise typer.Exit(1)


# ---------------------------------------------------------------------------- mcp

@mcp_app.command("serve")
def mcp_serve(kind: Annotated[str, typer.Argument(help="mysql | dynamodb | glue | s3")]) -> None:
    """Run a built-in MCP server on stdio (configured by environment)."""
    from migrator.servers import serve

    guarded(lambda: serve(kind))


# ---------------------------------------------------------------------------- doctor

McpConfigOpt = Annotated[Path | None, typer.Option("--mcp-config", help="mcp.json to use (default: ./mcp.json, "
                                                    "then .migrator/sandbox/mcp.json).", envvar="MIGRATOR_MCP_CONFIG")]


@app.command("doctor")
def doctor(mcp_config: McpConfigOpt = None, as_json: JsonFlag = False) -> None:
    """Check that every MCP server starts, has the tools migrator needs, and answers a probe."""
    import asyncio

    from migrator.mcp.client import McpHub
    from migrator.mcp.config import find_config, load_config
    from migrator.mcp.health import run_doctor

    async def go() -> Any:
        config = load_config(find_config(mcp_config))
        async with McpHub(config) as hub:
            return await run_doctor(hub)

    report = guarded(lambda: asyncio.run(go()))
    if as_json:
        _emit_json(report.to_json())
    else:
        _print_doctor(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_doctor(report: Any) -> None:
    rows = [("ROLE", "SERVER", "ADAPTER", "START", "OPS", "STATUS", "PROBE")]
    for r in report.roles:
        ops_ok = sum(1 for o in r.operations if o.ok)
        probe = "; ".join(f"{p.detail} ({p.seconds * 1000:.0f} ms)" if p.ok else f"{p.name} failed" for p in r.probes)
        rows.append((r.role, r.server, r.adapter, f"{r.start_seconds:.2f}s" if r.start_seconds is not None else "-",
                     f"{ops_ok}/{len(r.operations)}", "ok" if r.ok else "FAIL", probe))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for n, row in enumerate(rows):
        cells = [cell.ljust(w) for cell, w in zip(row, widths)] + [row[-1]]
        line = "  ".join(cells)
        if n and row[5] != "ok":
            line = typer.style(line, fg=typer.colors.RED)
        typer.echo(line, color=None)
    for r in report.roles:
        for w in r.warnings:
            typer.secho(f"warning: {r.role}: {w}", fg=typer.colors.YELLOW)
        for p in r.problems:
            typer.secho(f"problem: {p}", fg=typer.colors.RED, err=False)
    typer.echo(f"doctor: {'all roles ready' if report.ok else 'some operations cannot be done'} "
               f"({report.seconds:.2f} s)")


# ---------------------------------------------------------------------------- validate

@app.command("validate")
def validate(contract: Annotated[Path, typer.Argument(help="The migration contract (JSON).", show_default=False)],
             as_json: JsonFlag = False) -> None:
    """Check a contract against the schema and lint it (no I/O); exit 1 when it has errors."""
    from migrator.contract.load import finding_line, validate_file

    report = guarded(lambda: validate_file(contract))
    if as_json:
        _emit_json(report.to_json())
    else:
        for finding in report.findings:
            colour = typer.colors.RED if finding.severity == "error" else typer.colors.YELLOW
            typer.secho(finding_line(finding), fg=colour)
        typer.secho(report.summary(), fg=typer.colors.GREEN if report.valid else typer.colors.RED)
    if not report.valid:
        raise typer.Exit(1)


def main() -> None:
    import migrator.cli_migrate  # noqa: F401 - registers plan, apply and destroy on `app`
    import migrator.cli_state  # noqa: F401 - registers state, import and force-unlock

    app()


if __name__ == "__main__":
    main()
