"""`migrator sandbox up|down|status|env|load`: the local stack (MariaDB, moto, the local Glue runtime)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Annotated

import typer

from migrator.cli.common import JsonFlag, emit_json, fail, guarded

SandboxDir = Annotated[Path, typer.Option("--dir", help="Sandbox folder.", envvar="MIGRATOR_SANDBOX_DIR")]


DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", help="The sandbox database the mcp.json reads (created and granted if need be).",
    show_default=False)]


def sandbox_up(root: SandboxDir = Path(".migrator/sandbox"), database: DatabaseOpt = None,
               as_json: JsonFlag = False) -> None:
    """Start the sandbox (idempotent) and write its mcp.json."""
    from migrator.sandbox import lifecycle

    record = guarded(lambda: lifecycle.up(root, database))
    components = guarded(lambda: lifecycle.status(root))
    if as_json:
        emit_json({"mcp_json": str(record.mcp_json), "components": [c.__dict__ for c in components]})
        return
    for c in components:
        typer.echo(f"{c.name:8} {'running' if c.running else 'stopped':8} {c.where}"
                   + (f"  (pid {c.pid})" if c.pid else "") + (f"  {c.detail}" if c.detail else ""))
    typer.echo(f"mcp.json {record.mcp_json}")


def sandbox_down(root: SandboxDir = Path(".migrator/sandbox")) -> None:
    """Stop the processes the sandbox started; keep its data."""
    from migrator.sandbox import lifecycle

    stopped = guarded(lambda: lifecycle.down(root))
    typer.echo("stopped " + ", ".join(stopped) if stopped else "nothing was running")


def sandbox_status(root: SandboxDir = Path(".migrator/sandbox"), as_json: JsonFlag = False) -> None:
    """Report what runs where and whether it answers; exit 1 when something is down."""
    from migrator.sandbox import lifecycle

    components = guarded(lambda: lifecycle.status(root))
    if as_json:
        emit_json({"components": [c.__dict__ for c in components]})
    elif not components:
        typer.echo(f"no sandbox in {root}; run `migrator sandbox up`")
    for c in components if not as_json else []:
        state = "healthy" if c.healthy else ("running" if c.running else "stopped")
        colour = typer.colors.GREEN if c.healthy else typer.colors.RED
        typer.echo(f"{c.name:8} " + typer.style(f"{state:8}", fg=colour) + f" {c.where}"
                   + (f"  (pid {c.pid})" if c.pid else "") + (f"  {c.detail}" if c.detail else ""))
    if not components or not all(c.healthy for c in components):
        raise typer.Exit(1)


def sandbox_env(root: SandboxDir = Path(".migrator/sandbox"), as_json: JsonFlag = False) -> None:
    """Print the sandbox's connection settings as shell exports: `eval "$(migrator sandbox env)"`, then an
    mcp.json that says `${env:MYSQL_PASSWORD}` or `${env:AWS_ENDPOINT_URL}` reaches the sandbox."""
    from migrator.sandbox import lifecycle

    record = guarded(lambda: lifecycle.load_record(root))
    if record is None:
        fail(f"no sandbox in {root}; run `migrator sandbox up` first")
    env = record.shell_env()
    if as_json:
        emit_json(env)
        return
    for name in sorted(env):
        typer.echo(f"export {name}={shlex.quote(env[name])}")



def sandbox_load(sql_file: Annotated[Path, typer.Argument(help="A SQL file: a mysqldump, a schema.sql.",
                                                          show_default=False)],
                 database: DatabaseOpt = None, root: SandboxDir = Path(".migrator/sandbox")) -> None:
    """Load your own SQL file into a sandbox database (starting the sandbox if need be); that
    database becomes the one migrator reads. Then `migrator plan CONTRACT`."""
    from migrator.sandbox import lifecycle

    if not sql_file.is_file():   # before anything starts or switches database
        fail(f"{sql_file} is not a file; name a SQL file, such as a mysqldump or a schema.sql")
    before = lifecycle.load_record(root)
    record = guarded(lambda: lifecycle.up(root, database))
    loaded = guarded(lambda: _load_or_switch_back(record, sql_file, root,
                                                  before.mysql_database if before else None))
    typer.echo(f"loaded {sql_file} into database {loaded.database}: {loaded.tables} tables, {loaded.rows:,} rows")
    for other in loaded.other_databases:
        typer.secho(f"warning: {sql_file} switches to database {other} (USE {other}); what it created there is not "
                    f"in {loaded.database}: remove its USE lines, or load it with --database {other}",
                    fg=typer.colors.YELLOW, err=True)
    typer.echo(f"mcp.json {record.mcp_json} reads database {loaded.database}; next: migrator plan CONTRACT")


def _load_or_switch_back(record: Any, sql_file: Path, root: Path, previous: str | None) -> Any:
    """Load the file; when it fails, the mcp.json reads the database it read before (a database
    half loaded is not the one to plan against), and the error says so."""
    from migrator.errors import MigratorError
    from migrator.sandbox import lifecycle
    from migrator.sandbox.load import load_sql

    try:
        return load_sql(record, sql_file, record.mysql_database)
    except MigratorError as exc:
        if previous is None or previous == record.mysql_database:
            raise
        back = lifecycle.up(root, previous)
        raise MigratorError(f"{exc.message}; {back.mcp_json} still reads database {previous}", hint=exc.hint) from None
