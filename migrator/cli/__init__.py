"""The `migrator` command line: one Typer app, every command registered here, by name.

The command modules only parse options and render; they call the service layer
(`migrator.service`). Nothing registers itself by being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from migrator import __version__
from migrator.cli import checks, examples, migrate, report, sandbox, serve, state, verify


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migrator {__version__}")
        raise typer.Exit()


def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Plan, apply and destroy MySQL -> DynamoDB migrations through MCP servers."""


def _register(group: typer.Typer, path: str, fn: Callable[..., None]) -> None:
    """A command under its name, with its examples at the end of its --help."""
    group.command(path.split()[-1], epilog=examples.epilog(path))(fn)


Commands = tuple[tuple[str, Callable[..., None]], ...]


def build() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, callback=_root)
    top: Commands = (("validate", checks.validate), ("plan", migrate.plan), ("apply", migrate.apply),
                     ("destroy", migrate.destroy), ("import", state.import_), ("force-unlock", state.force_unlock),
                     ("verify", verify.verify), ("report", report.report), ("doctor", checks.doctor))
    for path, fn in top:
        _register(app, path, fn)

    state_app = typer.Typer(no_args_is_help=True, help="Inspect and edit the state file (never the resources).")
    states: Commands = (("state list", state.state_list), ("state show", state.state_show),
                        ("state rm", state.state_rm))
    for path, fn in states:
        _register(state_app, path, fn)
    app.add_typer(state_app, name="state")

    sandbox_app = typer.Typer(no_args_is_help=True,
                              help="A private MariaDB, a moto AWS emulator and the local Glue runtime.")
    sandboxes: Commands = (("sandbox up", sandbox.sandbox_up), ("sandbox down", sandbox.sandbox_down),
                           ("sandbox status", sandbox.sandbox_status), ("sandbox env", sandbox.sandbox_env),
                           ("sandbox load", sandbox.sandbox_load))
    for path, fn in sandboxes:
        _register(sandbox_app, path, fn)
    app.add_typer(sandbox_app, name="sandbox")

    mcp_app = typer.Typer(no_args_is_help=True, help="The built-in MCP servers.")
    _register(mcp_app, "mcp serve", serve.mcp_serve)
    app.add_typer(mcp_app, name="mcp")
    return app


def main() -> None:
    # One name however it is started (`python -m migrator` too): usage lines and completion scripts say `migrator`.
    build()(prog_name="migrator")
