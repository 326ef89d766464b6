"""The sampled deep compare run against the servers: rows from MySQL's MCP server, items by key
from DynamoDB's, compared with validate.sample (pure)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.errors import MigratorError
from migrator.mcp.facades import DynamoDB, MySQL
from migrator.runtime.items import AttributeSpec, item_key, parse_specs
from migrator.validate.sample import Item, SampleOutcome, expected_items, judge, sample_sql

MAX_BATCH_GET = 100
MAX_ROUNDS = 8


@dataclass(frozen=True)
class SampleSource:
    """One view feeding the table, with the attributes its load writes and how it writes them."""

    view: str
    specs: tuple[AttributeSpec, ...]
    write_mode: str = "overwrite"
    version_column: str | None = None

    @staticmethod
    def from_config(doc: Mapping[str, Any]) -> SampleSource:
        return SampleSource(str(doc["view"]), tuple(parse_specs(list(doc["attributes"]))),
                            str(doc.get("write_mode") or "overwrite"),
                            str(doc["version_column"]) if doc.get("version_column") else None)


def with_index_keys(specs: Sequence[AttributeSpec], index_keys: set[str]) -> tuple[AttributeSpec, ...]:
    """As the load does: an attribute the live table indexes may be absent, never empty."""
    return tuple(AttributeSpec(s.name, s.type, s.key, s.index_key or (s.name in index_keys and not s.key))
                 for s in specs)


def index_keys_of(description: Mapping[str, Any] | None) -> set[str]:
    if not description:
        return set()
    indexes = list(description.get("GlobalSecondaryIndexes") or []) + list(
        description.get("LocalSecondaryIndexes") or [])
    return {k["AttributeName"] for index in indexes for k in index["KeySchema"]}


async def fetch_items(dynamodb: DynamoDB, table: str, items: Sequence[Item],
                      key_names: Sequence[str]) -> dict[tuple[Any, ...], Item]:
    """The stored items of `items`' keys (BatchGetItem, 100 keys a call, unprocessed keys re-asked)."""
    keys: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in items:
        keys[item_key(item, key_names)] = {k: dict(item[k]) for k in key_names}
    wanted = list(keys.values())
    found: dict[tuple[Any, ...], Item] = {}
    for start in range(0, len(wanted), MAX_BATCH_GET):
        pending = wanted[start:start + MAX_BATCH_GET]
        for attempt in range(MAX_ROUNDS):
            got, pending = await dynamodb.batch_get(table, pending)
            for stored in got:
                found[item_key(stored, key_names)] = stored
            if not pending:
                break
            await asyncio.sleep(min(2.0, 0.05 * 2 ** attempt))
        if pending:
            raise MigratorError(f"dynamodb_table.{table}: {len(pending)} key(s) stayed unprocessed by BatchGetItem "
                                f"after {MAX_ROUNDS} rounds", hint="the table is throttled; verify again later")
    return found


async def sample_table(mysql: MySQL, dynamodb: DynamoDB, table: str, key_names: Sequence[str],
                       sources: Sequence[SampleSource], size: int, seed: str) -> SampleOutcome:
    """Up to `size` rows of each source view, their items as the job makes them, against the table."""
    outcome = SampleOutcome(table)
    live = index_keys_of(await dynamodb.describe_table(table))
    for source in sources:
        specs = with_index_keys(source.specs, live)
        rows = (await mysql.query(sample_sql(source.view, [s.name for s in specs], key_names, size, seed))).dicts()
        outcome.sampled += len(rows)
        items, rejected = expected_items(rows, specs, source.version_column)
        outcome.rejected += rejected
        stored = await fetch_items(dynamodb, table, items, key_names)
        judge(outcome, items, stored, key_names, [s.name for s in specs],
              presence_only=source.write_mode != "overwrite")
    return outcome
