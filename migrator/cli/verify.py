"""`migrator verify`: a seeded sample of every table's rows against the items stored for them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from migrator.cli.common import (Bucket, ContractArg, Database, GlueRole, JsonFlag, McpConfigOpt, StateDir, emit_json, guarded, read_contract,
                                 settings)

if TYPE_CHECKING:
    from migrator.contract.model import Contract
    from migrator.settings import Settings
    from migrator.compare.sample import SampleOutcome

SampleOpt = Annotated[int, typer.Option("--sample", help="Rows per source view to map and compare.", min=1)]
SeedOpt = Annotated[str, typer.Option("--seed", help="Picks the sample; the same seed picks the same rows.")]


def outcome_lines(outcome: SampleOutcome) -> list[str]:
    """`Orders: 1,000 rows sampled, 998 compared (2 rejected by the load), 996 match, ...` then its findings."""
    head = f"{outcome.table}: {outcome.sampled:,} rows sampled, {outcome.compared:,} compared"
    if outcome.capped_at:
        head += f" (at most {outcome.capped_at:,} per view: the DynamoDB server reads one key per call)"
    if outcome.rejected:
        head += f" ({outcome.rejected:,} rejected by the load's mapping)"
    if outcome.rejected_by_load:
        head += f" ({outcome.rejected_by_load:,} rejected by the load, as its rejects log lists)"
    head += f", {outcome.matching:,} match"
    if outcome.presence_only:
        head += f" ({outcome.presence_only:,} by presence only: the load does not overwrite)"
    if outcome.missing or outcome.differing:
        head += f", {outcome.missing:,} missing, {outcome.differing:,} differing"
    lines = [head] + [f"  {p}" for p in (*outcome.row_problems, *outcome.notes)] \
        + [f"  {d.sentence()}" for d in outcome.differences]
    shown = len(outcome.differences)
    if outcome.missing + outcome.differing > shown:
        lines.append(f"  ... ({shown} of the items found are listed)")
    return lines


FullOpt = Annotated[bool, typer.Option("--full", help="Compare every row and item, and each index's coverage, "
                                                  "in a Glue job per table (instead of a sample).")]


def verify(contract: ContractArg, mcp_config: McpConfigOpt = None, database: Database = None, sample: SampleOpt = 1000,
           seed: SeedOpt = "migrator", full: FullOpt = False, state_dir: StateDir = Path("state"),
           bucket: Bucket = "migrator-artifacts", glue_role: GlueRole = "migrator-glue", as_json: JsonFlag = False) -> None:
    """Compare the rows, mapped as the load maps them, with the stored items; exit 1 on a difference.

    By default a seeded sample of each view, compared here; with --full every row, in Glue."""
    from migrator.service import session as service

    parsed = guarded(lambda: read_contract(contract))
    run_settings = settings(state_dir, bucket, glue_role, database=database)
    if full:
        _verify_full(parsed, run_settings, mcp_config, as_json)
        return
    outcomes = guarded(lambda: service.run(lambda session: session.verify(parsed, sample, seed), run_settings,
                                       mcp_config))
    ok = all(o.ok for o in outcomes)
    if as_json:
        emit_json({"ok": ok, "sample": sample, "seed": seed, "tables": [o.to_doc() for o in outcomes]})
    else:
        for outcome in outcomes:
            for n, line in enumerate(outcome_lines(outcome)):
                typer.secho(line, fg=None if outcome.ok or n == 0 else typer.colors.RED)
        bad = sum(o.missing + o.differing for o in outcomes)
        typer.secho(f"verify: {len(outcomes)} table(s), " + ("every sampled item matches its row" if ok
                    else f"{bad} sampled item(s) missing or differing"),
                    fg=typer.colors.GREEN if ok else typer.colors.RED)
    if not ok:
        raise typer.Exit(1)


def _verify_full(contract: Contract, run_settings: Settings, mcp_config: Path | None, as_json: bool) -> None:
    from migrator.service import session as service
    from migrator.compare.full import full_lines

    docs = guarded(lambda: service.run(lambda session: session.verify_full(contract), run_settings, mcp_config))
    ok = all(d.get("ok") for d in docs)
    if as_json:
        emit_json({"ok": ok, "full": True, "tables": docs})
    else:
        for doc in docs:
            for n, line in enumerate(full_lines(doc)):
                typer.secho(line, fg=None if doc.get("ok") or n == 0 else typer.colors.RED)
        typer.secho(f"verify --full: {len(docs)} table(s), " + ("every item matches its row" if ok
                    else "differences found"), fg=typer.colors.GREEN if ok else typer.colors.RED)
    if not ok:
        raise typer.Exit(1)
