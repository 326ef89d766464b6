"""What every command shares: the error boundary, JSON output and the common options.

Exit codes: 0 success, 1 a failure the user can act on (one sentence on stderr),
2 usage error (typer's own), 3 an internal error (a bug; the traceback goes to a log file,
not to the terminal).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from migrator.errors import MigratorError
from migrator.settings import Settings

if TYPE_CHECKING:
    from migrator.contract.model import Contract
    from migrator.findings import Finding

T = TypeVar("T")

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
McpConfigOpt = Annotated[Path | None, typer.Option("--mcp-config", help="mcp.json to use (default: ./mcp.json, "
                                                    "then .migrator/sandbox/mcp.json).", envvar="MIGRATOR_MCP_CONFIG")]
StateDir = Annotated[Path, typer.Option("--state-dir", help="Folder of the state file.", envvar="MIGRATOR_STATE_DIR")]
Bucket = Annotated[str, typer.Option("--bucket", help="S3 bucket for job scripts, the runtime and results.",
                                     envvar="MIGRATOR_BUCKET")]
GlueRole = Annotated[str, typer.Option("--glue-role", help="IAM role the Glue jobs run as (real AWS).",
                                       envvar="MIGRATOR_GLUE_ROLE")]
SourceHost = Annotated[str | None, typer.Option("--source-host", help="MySQL host as the Glue jobs reach it "
                                               "(default: the MySQL server's MYSQL_HOST).", envvar="MIGRATOR_SOURCE_HOST")]
SourcePort = Annotated[int | None, typer.Option("--source-port", help="MySQL port as the Glue jobs reach it.",
                                               envvar="MIGRATOR_SOURCE_PORT")]
SparkThreshold = Annotated[int, typer.Option("--spark-threshold-rows", min=1,
                                             help="A load whose contract leaves the engine to auto runs on Spark "
                                                  "(glueetl) from this many estimated source rows.",
                                             envvar="MIGRATOR_SPARK_THRESHOLD_ROWS")]
Database = Annotated[str | None, typer.Option("--database", help="The MySQL database to read (instead of the "
                                             "MYSQL_DATABASE of the mysql server in mcp.json).",
                                             envvar="MIGRATOR_DATABASE", show_default=False)]
AutoApprove = Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")]
ContractArg = Annotated[Path, typer.Argument(help="The migration contract (JSON).")]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body: a MigratorError is one sentence, anything else a logged bug."""
    try:
        return fn()
    except MigratorError as exc:
        fail(str(exc))
    except BaseExceptionGroup as group:  # concurrent work (a TaskGroup) that failed in the user's terms
        errors = _leaves(group)
        if not all(isinstance(e, MigratorError) for e in errors):
            _crash()
        for extra in errors[1:]:
            typer.secho(f"Error: {extra}", err=True, fg=typer.colors.RED)
        fail(str(errors[0]))
    except KeyboardInterrupt:
        fail("interrupted; nothing already done was lost", 130)
    except typer.Exit:
        raise
    except Exception:  # the last line of defence against tracebacks on the terminal
        _crash()
    raise AssertionError("unreachable")


def _crash() -> NoReturn:
    """A bug: the traceback goes to a log file, the terminal gets one line and exit code 3."""
    log = Path(".migrator") / "crash.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(traceback.format_exc())
    fail(f"internal error in migrator (a bug): {sys.exc_info()[1]!r}; the traceback is in {log}", 3)


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out += _leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc]
    return out


def emit_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, sort_keys=True))


def settings(state_dir: Path, bucket: str = "migrator-artifacts", glue_role: str = "migrator-glue",
             source_host: str | None = None, source_port: int | None = None, parallelism: int = 10,
             spark_threshold_rows: int = Settings.spark_threshold_rows, database: str | None = None) -> Settings:
    return Settings(bucket=bucket, glue_role=glue_role, state_dir=state_dir, source_host=source_host,
                    source_port=source_port, parallelism=parallelism, spark_threshold_rows=spark_threshold_rows,
                    database=database or None)   # --database "" (an empty MIGRATOR_DATABASE): as if not given


def emit_findings(findings: Sequence[Finding]) -> None:
    """Warnings and errors go to stderr, apart from the plan or document on stdout (colour on a terminal)."""
    from migrator.plan.render_text import render_findings

    for line in render_findings(tuple(findings)):
        typer.secho(line, err=True, fg=typer.colors.RED if line.startswith("error") else typer.colors.YELLOW)
    if findings:
        typer.echo("", err=True)


def read_contract(path: Path) -> Contract:
    """The contract; when it has errors, every finding is listed before the one-sentence error."""
    from migrator.service import files
    from migrator.service.errors import ContractInvalid

    try:
        return files.load_contract(path)
    except ContractInvalid as exc:
        emit_findings(exc.findings)
        raise
