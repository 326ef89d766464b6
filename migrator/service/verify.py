"""`migrator verify`: a seeded sample of every table compared here, or (`--full`) every row and item
compared in a transient Glue job per table. Reads only; each is handed the command's one compile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from migrator.node_configs import CheckSpec, EntitySource
from migrator.compile.contract import Compiled
from migrator.compile.verify_jobs import verify_jobs
from migrator.errors import MigratorError
from migrator.graph import Address
from migrator.mcp.facades import MySQL
from migrator.mcp.facades import Facades
from migrator.settings import Settings
from migrator.state.model import State
from migrator.compare.deep import rejects_lookup, sample_table
from migrator.compare.full import run_full
from migrator.compare.rowcount import count_entities
from migrator.compare.sample import SampleOutcome, valid_seed


def check_sample_options(size: int, seed: str) -> None:
    """The sample's size and seed, refused before any server is asked."""
    if size < 1:
        raise MigratorError(f"--sample must be at least 1, got {size}")
    if not valid_seed(seed):
        raise MigratorError(f"--seed must be letters, digits, '-' or '_', got {seed!r}")


async def verify_sample(facades: Facades, compiled: Compiled, state: State, size: int,
                        seed: str) -> list[SampleOutcome]:
    """Compare a seeded sample of every table's rows with the items stored under their keys.

    The rows are mapped by the job's own code, so a mapping the load got wrong and an item
    changed since both show. A table that does not exist yet is one sentence (apply first).
    `state` is read only: the loads' records say where their rejected rows are."""
    checks = [CheckSpec.from_config(node.config) for node in compiled.graph if node.address.kind == "check"]
    outcomes = []
    for check in checks:
        table = check.table
        description = await facades.dynamodb.describe_table(table)
        if description is None:
            raise MigratorError(f"dynamodb_table.{table} does not exist, so there is nothing to verify",
                                hint="run `migrator apply` first")
        loads = [state.resources[a].attributes for a in check.loads if a in state.resources]
        outcome = await sample_table(facades.mysql, facades.dynamodb, check, size, seed,
                                     description, rejects_lookup(facades.s3, loads))
        outcomes.append(replace(outcome, row_problems=await row_problems(facades.mysql, check.entities)))
    return outcomes


async def verify_full(facades: Facades, compiled: Compiled, contract_source: str, settings: Settings,
                      lineage: str) -> list[dict[str, Any]]:
    """The full comparison of every table, each in a transient Glue job (rows never reach migrator)."""
    results = []
    for full in verify_jobs(compiled.graph, contract_source, settings):
        if await facades.dynamodb.describe_table(full.table) is None:
            raise MigratorError(f"dynamodb_table.{full.table} does not exist, so there is nothing to verify",
                                hint="run `migrator apply` first")
        result = dict(await run_full(facades, full, lineage, settings.poll_seconds))
        check = CheckSpec.from_config(compiled.graph.nodes[Address("check", full.table)].config)
        rows = await row_problems(facades.mysql, check.entities)
        results.append({**result, "row_problems": list(rows), "ok": bool(result.get("ok")) and not rows})
    return results


async def row_problems(mysql: MySQL, sources: Sequence[EntitySource]) -> tuple[str, ...]:
    """Each view against its source table: one row per source row (counted in MySQL, independent
    of the mapping the sample compare reuses)."""
    return tuple(p for e in await count_entities(mysql, sources) for p in e.problems())
