"""The `migrator` command line: one Typer app, every command registered here, by name.

The command modules only parse options and render; they call the service layer
(`migrator.app`). Nothing registers itself by being imported.
"""

from __future__ import annotations

import typer

from migrator.cli import checks, migrate, report, sandbox, serve, state, verify


def build() -> typer.Typer:
    app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Plan, apply and destroy MySQL -> DynamoDB migrations through MCP servers.")
    app.command("validate")(checks.validate)
    app.command("plan")(migrate.plan)
    app.command("apply")(migrate.apply)
    app.command("destroy")(migrate.destroy)
    app.command("import")(state.import_)
    app.command("force-unlock")(state.force_unlock)
    app.command("verify")(verify.verify)
    app.command("report")(report.report)
    app.command("doctor")(checks.doctor)

    state_app = typer.Typer(no_args_is_help=True, help="Inspect and edit the state file (never the resources).")
    state_app.command("list")(state.state_list)
    state_app.command("show")(state.state_show)
    state_app.command("rm")(state.state_rm)
    app.add_typer(state_app, name="state")

    sandbox_app = typer.Typer(no_args_is_help=True,
                              help="A private MariaDB, a moto AWS emulator and the local Glue runtime.")
    sandbox_app.command("up")(sandbox.sandbox_up)
    sandbox_app.command("down")(sandbox.sandbox_down)
    sandbox_app.command("status")(sandbox.sandbox_status)
    sandbox_app.command("env")(sandbox.sandbox_env)
    app.add_typer(sandbox_app, name="sandbox")

    mcp_app = typer.Typer(no_args_is_help=True, help="The built-in MCP servers.")
    mcp_app.command("serve")(serve.mcp_serve)
    app.add_typer(mcp_app, name="mcp")
    return app


def main() -> None:
    build()()
