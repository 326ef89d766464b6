"""`migrator report`: the last apply's figures, checks and guidance, from the state file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.common import JsonFlag, StateDir, emit_json, guarded
from migrator.errors import MigratorError
from migrator.fileio import atomic_write

ContractOpt = Annotated[Path | None, typer.Argument(help="The contract, to add its warnings (optional).",
                                                    show_default=False)]


def report(contract: ContractOpt = None, state_dir: StateDir = Path("state"), as_json: JsonFlag = False,
           markdown: Annotated[bool, typer.Option("--markdown", help="For a pull-request comment.")] = False,
           html: Annotated[Path | None, typer.Option("--html", help="Also write one self-contained HTML file "
                                                     "(charts as inline SVG, no network).")] = None) -> None:
    """Rows read, written and rejected, success rates, speed, retries, throttles, capacity, checks and guidance."""
    from migrator import app
    from migrator.report.render_markdown import render_markdown
    from migrator.report.render_text import render_report

    built = guarded(lambda: app.report(state_dir, contract))
    if html is not None:
        from migrator.report.render_html import render_html

        guarded(lambda: _write(html, render_html(built)))
    if as_json:
        emit_json(built.to_json())
    elif markdown:
        typer.echo(render_markdown(built))
    else:
        typer.echo(render_report(built))
    if html is not None and not as_json:
        typer.echo(f"Wrote the HTML report to {html}")


def _write(path: Path, text: str) -> None:
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise MigratorError(f"cannot write the HTML report to {path}: {exc.strerror or exc}",
                            hint="pick a writable path for --html") from None
