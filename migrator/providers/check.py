"""`check.<table>`: after a load, the view's row count, the items written and the table's
item count (a counted scan) must agree, every index must hold exactly the items that carry its
keys, as many as the rows give (compare.coverage), and a seeded sample of rows, mapped with the
job's own code, must equal the items stored under their keys (compare.sample), an absent item
whose key a load's rejects log lists being a rejected row, not a missing one; the result is
recorded either way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from migrator.node_configs import CheckSpec
from migrator.compile.keystats import KeyStats, key_stats, key_stats_sql
from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.providers.base import ApplyContext, RunProvider, uses
from migrator.providers.dynamodb_table import table_keys
from migrator.mcp.facades import DynamoDB
from migrator.state.model import ResourceState
from migrator.runtime.verify import Source, index_layout
from migrator.compare.coverage import CoverageSource, IndexCoverage, carried_bounds, carried_sql
from migrator.compare.deep import rejects_lookup, sample_table
from migrator.compare.rowcount import EntityRows, count_entities, load_problems
from migrator.compare.sample import SampleOutcome

SHOWN_DIFFERENCES = 5
COUNT_SEGMENTS = 4
#: indexes are eventually consistent: seconds to wait before counting again when one disagrees
INDEX_SETTLE_SECONDS = (1.0, 3.0, 10.0)


def check_problems(entities: Sequence[EntityRows], loads: Mapping[str, Mapping[str, Any]], totals: Mapping[str, Any],
                   table_items: int, stats: KeyStats, table: str = "<table>") -> list[str]:
    """Disagreements that mean items were lost or invented: per entity, a view that does not have
    one row per source row and a load that did not account for every row of its view; per table,
    items that the distinct loadable keys do not explain. Rows sharing a key are not one (the plan
    warned about them, and `stats` says how many items they overwrite)."""
    problems = []
    for entity in entities:
        problems += entity.problems()
        load = loads.get(entity.load or "")
        if load is not None:
            problems += load_problems(entity, load)
    other_rejections = other_rejected(totals, stats)
    if table_items > stats.keys:
        problems.append(f"the table holds {table_items:,} items but the views have {stats.keys:,} distinct loadable "
                        f"keys: {table_items - stats.keys:,} items have no row any more (rows deleted, or given another "
                        "key, since an earlier load); `migrator verify --full` lists them, and `migrator apply "
                        f"-replace dynamodb_table.{table} --allow-data-loss` reloads the table from the views alone")
    elif table_items < stats.keys - other_rejections:
        problems.append(f"the table holds {table_items:,} items but the views have {stats.keys:,} distinct loadable "
                        "keys")
    return problems


def other_rejected(load: Mapping[str, Any], stats: KeyStats) -> int:
    """Rows the load rejected for a reason other than an unloadable key (the views count those)."""
    return max(0, int(load.get("items_rejected") or 0) - stats.unloadable)


async def count_table(dynamodb: DynamoDB, table: str, layout: Mapping[str, Sequence[str]],
                      sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
                      ) -> tuple[int, dict[str, tuple[int, int]]]:
    """The table's item count and, per index, (its item count, the items carrying its keys).

    Counted again after a pause while an index disagrees, as an index may lag its table."""
    for delay in (*INDEX_SETTLE_SECONDS, None):
        if not layout:
            return await dynamodb.count_items(table, segments=COUNT_SEGMENTS), {}
        items, carrying = await dynamodb.count_carrying(table, layout, segments=COUNT_SEGMENTS)
        names = sorted(layout)
        counts = await asyncio.gather(*(dynamodb.count_items(table, segments=COUNT_SEGMENTS, index=n) for n in names))
        indexed = dict(zip(names, counts))
        if delay is None or all(indexed[n] == carrying[n] for n in layout):
            return items, {n: (indexed[n], carrying[n]) for n in layout}
        await sleep(delay)
    raise AssertionError("unreachable")


class CheckProvider(RunProvider):
    kind = "check"
    operations = uses(mysql=("query",), dynamodb=("describe_table", "count_items", "batch_get"),
                      s3=("list_objects", "get_object"))   # the loads' rejects logs
    computed = ("source_rows", "view_rows", "table_items", "distinct_keys", "overwritten", "indexes", "sample", "ok", "problems")

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        c = CheckSpec.from_config(node.config)
        totals = {"rows_read": 0, "items_written": 0, "items_rejected": 0, "items_skipped": 0}
        loads: dict[str, Mapping[str, Any]] = {}
        for address in c.loads:
            load = ctx.recorded(address)
            if load is None:
                raise MigratorError(f"{node.address}: there is no recorded {address} to check")
            loads[str(address)] = load.attributes
            for key in totals:
                totals[key] += int(load.attributes.get(key) or 0)
        entities = await count_entities(ctx.facades.mysql, c.entities)
        view_rows = sum(e.view_rows for e in entities)
        description = await ctx.facades.dynamodb.describe_table(c.table) or {}
        layout = index_layout(description)
        table_items, indexed = await count_table(ctx.facades.dynamodb, c.table, layout)
        table = ctx.recorded(Address("dynamodb_table", c.table))
        keys = table_keys(dict(table.attributes)) if table else []
        stats = key_stats((await ctx.facades.mysql.query(key_stats_sql(c.views, keys))).rows[0])
        problems = check_problems(entities, loads, totals, table_items, stats, c.table)
        coverage = await index_coverage(ctx, layout, indexed, c.sources, keys, other_rejected(totals, stats))
        for cov in coverage:
            problems += cov.problems(c.table)
        result: dict[str, Any] = {"source_rows": sum(e.source_rows for e in entities), "view_rows": view_rows,
                                  **totals, "table_items": table_items,
                                  "distinct_keys": stats.keys, "overwritten": stats.overwritten,
                                  "indexes": [cov.to_doc() for cov in coverage]}
        if c.sample_size and c.sources:
            outcome = await sample_table(ctx.facades.mysql, ctx.facades.dynamodb, c,
                                         c.sample_size, c.sample_seed, description,
                                         rejects_lookup(ctx.facades.s3, list(loads.values())))
            result["sample"] = outcome.to_doc()
            problems += sample_problems(outcome)
        result.update(ok=not problems, problems=problems)
        if problems:
            raise CheckFailed(f"{node.address}: " + "; ".join(problems), result)
        return result

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        """A check has nothing outside the state file."""


async def index_coverage(ctx: ApplyContext, layout: Mapping[str, Sequence[str]],
                         indexed: Mapping[str, tuple[int, int]], sources: Sequence[Source],
                         keys: Sequence[tuple[str, str]], other_rejections: int) -> list[IndexCoverage]:
    """Each index's counts, with the range the views give when every entity overwrites (a load that
    keeps older items leaves their index keys as they were, so no range can be said)."""
    bounds: dict[str, tuple[int, int]] = {}
    if layout and sources and keys and all(s.spec.write_mode == "overwrite" for s in sources):
        views = [CoverageSource(s.view, frozenset(a.name for a in s.spec.attributes)) for s in sources]
        bounds = carried_bounds((await ctx.facades.mysql.query(carried_sql(views, keys, layout))).rows[0], layout)
    out = []
    for name in sorted(layout):
        index_items, carrying = indexed[name]
        low, high = bounds.get(name, (None, None))
        out.append(IndexCoverage(name, tuple(layout[name]), index_items, carrying,
                                 None if low is None else max(0, low - other_rejections), high))
    return out


def sample_problems(outcome: SampleOutcome) -> list[str]:
    """The sample's verdict as problem sentences: the tally, then the first differences."""
    if outcome.ok:
        return []
    shown = [d.sentence() for d in outcome.differences[:SHOWN_DIFFERENCES]]
    more = outcome.missing + outcome.differing - len(shown)
    return [f"{outcome.missing + outcome.differing:,} of {outcome.compared:,} sampled items are missing or differ "
            f"from their rows ({outcome.missing:,} missing, {outcome.differing:,} differing)", *shown,
            *([f"and {more} more (`migrator verify` lists up to 100)"] if more > 0 else []),
            *(outcome.notes if outcome.missing else ())]


class CheckFailed(MigratorError):
    """The counts disagree; `result` is still recorded (tainted) so the next apply re-checks."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message, hint="each line above says what disagrees and how to see it; fix the contract or the "
                         "data and apply again (the load is kept: only the check runs again, unless `-replace "
                         "load.<table>` reloads it)")
        self.result = result
