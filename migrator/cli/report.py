"""`migrator report`: the last apply's figures, checks and guidance, from the state file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.common import JsonFlag, StateDir, emit_json, guarded

ContractOpt = Annotated[Path | None, typer.Argument(help="The contract, to add its warnings (optional).",
                                                    show_default=False)]


def report(contract: ContractOpt = None, state_dir: StateDir = Path("state"), as_json: JsonFlag = False,
           markdown: Annotated[bool, typer.Option("--markdown", help="For a pull-request comment.")] = False) -> None:
    """Rows read, written and rejected, success rates, speed, retries, throttles, capacity, checks and guidance."""
    from migrator import app
    from migrator.report.render_markdown import render_markdown
    from migrator.report.render_text import render_report

    built = guarded(lambda: app.report(state_dir, contract))
    if as_json:
        emit_json(built.to_json())
    elif markdown:
        typer.echo(render_markdown(built))
    else:
        typer.echo(render_report(built))
