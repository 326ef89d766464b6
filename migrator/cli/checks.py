"""`migrator validate` (the contract, offline) and `migrator doctor` (the MCP servers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from migrator.cli.common import Database, JsonFlag, McpConfigOpt, emit_json, guarded, settings


def validate(contract: Annotated[Path, typer.Argument(help="The migration contract (JSON).", show_default=False)],
             as_json: JsonFlag = False) -> None:
    """Check a contract against the schema and lint it (no I/O); exit 1 when it has errors."""
    from migrator.service import files
    from migrator.contract.document import finding_line

    report = guarded(lambda: files.validate(contract))
    if as_json:
        emit_json(report.to_json())
    else:
        for finding in report.findings:
            colour = typer.colors.RED if finding.severity == "error" else typer.colors.YELLOW
            typer.secho(finding_line(finding), fg=colour)
        typer.secho(report.summary(), fg=typer.colors.GREEN if report.valid else typer.colors.RED)
    if not report.valid:
        raise typer.Exit(1)


def doctor(contract: Annotated[Path | None, typer.Argument(
               help="A migration contract: check only what its plan needs (compiled against the live schema).",
               show_default=False)] = None,
           mcp_config: McpConfigOpt = None, database: Database = None, as_json: JsonFlag = False) -> None:
    """Check that every MCP server starts, has the tools migrator needs, and answers a probe."""
    from migrator.service.doctor import check_servers
    from migrator.cli.common import read_contract

    parsed = guarded(lambda: read_contract(contract)) if contract is not None else None
    report = guarded(lambda: check_servers(mcp_config, parsed, settings(Path("state"), database=database)))
    if as_json:
        emit_json(report.to_json())
    else:
        _print_doctor(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_doctor(report: Any) -> None:
    rows = [("ROLE", "SERVER", "VERSION", "ADAPTER", "START", "OPS", "STATUS", "PROBE")]
    for r in report.roles:
        ops_ok = sum(1 for o in r.operations if o.ok)
        probe = "; ".join(f"{p.detail} ({p.seconds * 1000:.0f} ms)" if p.ok else f"{p.name} failed" for p in r.probes)
        version = " ".join(str(r.server_info.get(k) or "") for k in ("name", "version")).strip() or "-"
        rows.append((r.role, r.server, version, r.adapter,
                     f"{r.start_seconds:.2f}s" if r.start_seconds is not None else "-",
                     f"{ops_ok}/{len(r.operations)}", "ok" if r.ok else "FAIL", probe))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for n, row in enumerate(rows):
        cells = [cell.ljust(w) for cell, w in zip(row, widths)] + [row[-1]]
        line = "  ".join(cells)
        if n and row[6] != "ok":
            line = typer.style(line, fg=typer.colors.RED)
        typer.echo(line, color=None)
    typer.echo(f"operations {report.scope} calls, per role:")
    for r in report.roles:
        needed = [o for o in r.operations if o.needed_by]
        cannot = [o.operation for o in needed if not o.ok]
        typer.echo(f"  {r.role:9} {len(needed):3}  " + (
            "all possible" if not cannot else f"{len(needed) - len(cannot)} possible, not: {', '.join(cannot)}"))
    for r in report.roles:
        for o in r.operations:
            if not o.ok and not o.required:
                why = ("which no migrator step calls" if not o.needed_by else
                       f"which {', '.join(o.needed_by)} can do without")
                typer.echo(f"note: {r.role}: cannot {o.operation}, {why}: {o.reason}")
        for w in r.warnings:
            typer.secho(f"warning: {r.role}: {w}", fg=typer.colors.YELLOW)
        for p in r.problems:
            typer.secho(f"problem: {p}", fg=typer.colors.RED, err=False)
    for w in report.warnings:
        typer.secho(f"warning: {w}", fg=typer.colors.YELLOW)
    typer.echo(f"doctor: {'all roles ready' if report.ok else 'some operations cannot be done'} "
               f"({report.seconds:.2f} s)")
