"""The sampled deep compare run against the servers: rows from MySQL's MCP server, items by key
from DynamoDB's, compared with validate.sample (pure)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from migrator.errors import MigratorError
from migrator.mcp.facades import DynamoDB, MySQL
from migrator.runtime.items import index_key_roles, item_key
from migrator.runtime.verify import Source
from migrator.validate.sample import Item, SampleOutcome, expected_items, judge, sample_sql

MAX_BATCH_GET = 100
MAX_ROUNDS = 8


def index_keys_of(description: Mapping[str, Any] | None) -> dict[str, str]:
    """Index key attribute -> HASH or RANGE (an index sort key: 1,024 bytes at most)."""
    return index_key_roles(description or {})


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
                       sources: Sequence[Source], size: int, seed: str, description: Mapping[str, Any]) -> SampleOutcome:
    """Up to `size` rows of each source view, their items as the job makes them, against the table
    (`description`: the table as the caller just read it, for its index keys)."""
    outcome = SampleOutcome(table)
    cap = dynamodb.sample_cap
    if cap is not None and cap < size:
        size, outcome.capped_at = cap, cap
    live = index_keys_of(description)
    for source in sources:
        specs = source.with_index_keys(live).specs
        rows = (await mysql.query(sample_sql(source.view, [s.name for s in specs], key_names, size, seed))).dicts()
        outcome.sampled += len(rows)
        items, rejected = expected_items(rows, specs, source.version_column)
        outcome.rejected += rejected
        stored = await fetch_items(dynamodb, table, items, key_names)
        judge(outcome, items, stored, key_names, [s.name for s in specs],
              presence_only=source.write_mode != "overwrite")
    return outcome
