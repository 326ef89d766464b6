"""Checks of the source data the plan makes before anything is applied: keys that are NULL or
empty (the load will reject those rows) and keys that several rows share (their items would
overwrite each other). One grouped count per table, over the compiled SELECTs."""

from __future__ import annotations

import asyncio

from migrator.compile.contract import Compiled
from migrator.compile.keystats import KeyStats, key_stats, key_stats_sql
from migrator.contract.model import Contract
from migrator.errors import MigratorError
from migrator.findings import Finding, Severity
from migrator.graph import Address
from migrator.mcp.roles import Facades
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
        views = [graph.nodes[Address("mysql_view", v)].config["sql"] for v in check.config["views"]]
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
