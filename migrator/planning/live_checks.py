"""Checks of the source data the plan makes before anything is applied: every entity's SELECT
has exactly one row per source row (else an error naming the join that multiplies), keys that
are NULL or empty (the load will reject those rows) and keys that several rows share (their
items would overwrite each other). One grouped count per table, over the compiled SELECTs."""

from __future__ import annotations

import asyncio

from migrator.compile.contract import Compiled
from migrator.compile.keysize import KeySizeCount
from migrator.node_configs import CheckSpec
from migrator.compile.rowcount import RowCount
from migrator.compile.keystats import KeyStats, key_stats, key_stats_sql
from migrator.contract.model import Contract
from migrator.errors import MigratorError
from migrator.findings import Finding, Severity
from migrator.graph import Address
from migrator.mcp.facades import Facades
from migrator.providers.dynamodb_table import table_keys


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def stats_findings(path: str, table: str, stats: KeyStats) -> list[Finding]:
    out = []
    if stats.unloadable:
        out.append(Finding(Severity.WARNING, path, f"{stats.unloadable} of {stats.rows} source rows of table {table} "
                           "have a NULL or empty key; the load will reject them",
                           "fix the data, or build the key from columns that are always set", "data.key_empty"))
    if stats.colliding_keys:
        out.append(Finding(Severity.WARNING, path, f"{stats.colliding_rows} source rows of table {table} collide on "
                           f"{_n(stats.colliding_keys, 'duplicate key')}; {_n(stats.overwritten, 'item')} would be "
                           "overwritten by another row's item", "make the key unique, e.g. add the row's id to the sort key",
                           "data.key_collision"))
    return out


async def data_findings(compiled: Compiled, contract: Contract, facades: Facades) -> list[Finding]:
    graph = compiled.graph

    async def one(table_address: Address) -> list[Finding]:
        config = dict(graph.nodes[table_address].config)
        check = graph.nodes.get(Address("check", table_address.name))
        if check is None:
            return []
        views = [graph.nodes[Address("mysql_view", v)].config["sql"] for v in CheckSpec.from_config(check.config).views]
        table = contract.table(table_address.name)
        path = table.path if table else "$"
        try:
            result = await facades.mysql.query(key_stats_sql(views, table_keys(config)))
        except MigratorError as exc:
            return [Finding(Severity.WARNING, path, f"the key check of table {table_address.name} could not run: {exc}",
                            None, "data.check_failed")]
        return stats_findings(path, table_address.name, key_stats(result.rows[0]))

    tables = [a for a in graph.nodes if a.kind == "dynamodb_table"]
    results = await asyncio.gather(*(one(a) for a in tables))
    return [f for r in results for f in r]


def _rows(count: int) -> str:
    return _n(count, "row")


async def row_count_findings(compiled: Compiled, facades: Facades) -> list[Finding]:
    """An error for every entity whose SELECT does not have one row per source row, at the join
    that breaks it (the first whose rows differ from the source table's, counted in join order)."""
    async def one(rc: RowCount) -> list[Finding]:
        try:
            source_rows, view_rows = (int(v or 0) for v in (await facades.mysql.query(rc.counts_sql)).rows[0])
            if source_rows == view_rows:
                return []
            culprit = None
            for step in rc.steps:
                rows = int((await facades.mysql.query(step.count_sql)).scalar() or 0)
                if rows != source_rows:
                    culprit, culprit_rows = step, rows
                    break
        except MigratorError as exc:
            return [Finding(Severity.WARNING, rc.path, f"the row count of {rc.owner} could not be checked: {exc}",
                            None, "data.check_failed")]
        if culprit is not None:
            in_path = ".path.steps[" in culprit.path
            gather = ('end the path in an "aggregate" or a "collect" instead of a "value"' if in_path else
                      "gather the related rows with a calculation of type aggregate or a json-construction")
            return [Finding(Severity.ERROR, culprit.path,
                            f"this {'step' if in_path else 'join'} multiplies the rows of {rc.owner}: "
                            f"{rc.source_table} has {_rows(source_rows)}, but joined with {culprit.table} here there "
                            f"are {culprit_rows:,} ({culprit_rows - source_rows:,} more), so some rows of "
                            f"{rc.source_table} meet several rows of {culprit.table} and one item per row cannot be "
                            "made", f"join {culprit.table} on a unique key of it (each row must meet at most one), or "
                            f"{gather}", "view.multiplies")]
        change = "multiplies" if view_rows > source_rows else "collapses"
        return [Finding(Severity.ERROR, rc.path,
                        f"the view of {rc.owner} {change} its rows: {rc.source_table} has {_rows(source_rows)} but "
                        f"the view would have {view_rows}, and an item needs exactly one row",
                        "remove aggregates outside calculations and join only on unique keys", f"view.{change}")]

    results = await asyncio.gather(*(one(rc) for rc in compiled.row_counts))
    return [f for r in results for f in r]


async def key_size_findings(compiled: Compiled, facades: Facades) -> list[Finding]:
    """A warning per key attribute some rows of which are longer than DynamoDB allows, with MySQL's count."""
    async def one(ks: KeySizeCount) -> list[Finding]:
        try:
            counts = [int(v or 0) for v in (await facades.mysql.query(ks.count_sql)).rows[0]]
        except MigratorError as exc:
            return [Finding(Severity.WARNING, ks.limits[0].path, f"the key sizes of {ks.owner} could not be "
                            f"checked: {exc}", None, "data.check_failed")]
        return [Finding(Severity.WARNING, limit.path,
                        f"{_rows(count)} of {ks.owner} give `{limit.attribute}`, the {limit.role}, a value longer "
                        f"than DynamoDB's {limit.limit:,} bytes; the load will reject {'it' if count == 1 else 'them'} "
                        "(key_too_long)", "shorten the key (e.g. build it from an id or a hash of the long value), "
                        "or budget the rejections in the table's load options", "data.key_too_long")
                for limit, count in zip(ks.limits, counts) if count]

    results = await asyncio.gather(*(one(ks) for ks in compiled.key_sizes))
    return [f for r in results for f in r]
