"""`migrator report`: the last apply's figures, checks and guidance, from the state file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.common import (Bucket, Database, GlueRole, JsonFlag, McpConfigOpt, StateDir, emit_json, guarded, read_contract,
                                 settings)
from migrator.errors import MigratorError
from migrator.fileio import atomic_write

ContractOpt = Annotated[Path | None, typer.Argument(help="The contract: adds the plan's warnings and drift (reads "
                                                         "reality through the MCP servers).",
                                                    show_default=False)]


def report(contract: ContractOpt = None, state_dir: StateDir = Path("state"), mcp_config: McpConfigOpt = None,
           database: Database = None,
           bucket: Bucket = "migrator-artifacts", glue_role: GlueRole = "migrator-glue", as_json: JsonFlag = False,
           markdown: Annotated[bool, typer.Option("--markdown", help="For a pull-request comment.")] = False,
           html: Annotated[Path | None, typer.Option("--html", help="Write the report as one self-contained HTML file "
                                                     "(charts as inline SVG, no network) instead of printing it; "
                                                     "--json or --markdown still print.")] = None) -> None:
    """Rows read, written and rejected, success rates, speed, retries, throttles, capacity, checks and guidance.

    From the state file alone; given the contract, it also reads reality (the plan's warnings, drift)."""
    from migrator.service import files
    from migrator.service import session as service
    from migrator.report.render_markdown import render_markdown
    from migrator.report.render_text import render_report

    if contract is None:
        built = guarded(lambda: files.report_from_state(state_dir))
    else:
        parsed = guarded(lambda: read_contract(contract))
        built = guarded(lambda: service.run(lambda session: session.report(parsed), settings(state_dir, bucket, glue_role, database=database),
                                        mcp_config))
    if html is not None:
        from migrator.report.render_html import render_html

        guarded(lambda: _write(html, render_html(built)))
    if as_json:
        emit_json(built.to_json())
    elif markdown:
        typer.echo(render_markdown(built))
    elif html is None:
        typer.echo(render_report(built))
    if html is not None and not as_json:
        typer.echo(f"Wrote the HTML report to {html}")


def _write(path: Path, text: str) -> None:
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise MigratorError(f"cannot write the HTML report to {path}: {exc.strerror or exc}",
                            hint="pick a writable path for --html") from None
