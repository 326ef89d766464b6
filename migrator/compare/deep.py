"""The sampled deep compare run against the servers: rows from MySQL's MCP server, items by key
from DynamoDB's, compared with compare.sample (pure); the keys of absent items looked up in the
loads' rejects logs in S3, so a row the load rejected is not called missing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import MigratorError
from migrator.mcp.facades import S3, DynamoDB, MySQL
from migrator.runtime.backoff import backoff_delay
from migrator.runtime.decode import item_key
from migrator.runtime.spec import index_key_roles
from migrator.runtime.rejects import KEYS_SUFFIX, LogScan, key_digest, scan_log
from migrator.node_configs import CheckSpec
from migrator.compare.sample import Item, SampleOutcome, expected_items, judge, sample_sql

MAX_BATCH_GET = 100
MAX_ROUNDS = 8

Key = tuple[Any, ...]


@dataclass(frozen=True)
class LoadLog:
    """Where one load logged its rejected rows (runtime/rejects.py) and how many it rejected."""

    bucket: str
    prefix: str | None
    rejected: int

    @staticmethod
    def of(record: Mapping[str, Any]) -> LoadLog:
        """From a load's recorded attributes (providers/load.py)."""
        prefix = record.get("rejects_prefix")
        return LoadLog(str(record.get("result_bucket") or ""), str(prefix) if prefix else None,
                       int(record.get("items_rejected") or 0))


@dataclass(frozen=True)
class Listed:
    """Which of some keys the rejects logs list, and how many rejected rows they do not list."""

    keys: frozenset[Key] = field(default_factory=frozenset)
    unlisted: int = 0


#: given the keys of absent items, which of them the loads rejected (see `listed_rejects`)
RejectsLookup = Callable[[Collection[Key]], Awaitable[Listed]]


async def listed_rejects(s3: S3, logs: Sequence[LoadLog], keys: Collection[Key]) -> Listed:
    """Which of `keys` the loads' rejects logs list (by digest), reading one log object at a time
    and keeping only the digests of `keys`. A load's rows it does not list (a writer's log cut at
    its limit, a log that could not be written) are `unlisted`: any absent key may be one."""
    wanted = {key_digest(k): k for k in keys}
    digests = set(wanted)
    found: set[str] = set()
    unlisted = 0
    for log in logs:
        if log.rejected <= 0:
            continue
        scan = LogScan()
        if log.prefix and log.bucket:
            for info in await s3.list_objects(log.bucket, log.prefix):
                if info.key.endswith(KEYS_SUFFIX):   # digests only: no row's value reaches migrator
                    raw = await s3.get_object(log.bucket, info.key)
                    if raw is not None:
                        scan_log(raw, digests, scan)
        found |= scan.found
        unlisted += max(scan.unlisted, log.rejected - scan.listed, 0)
    return Listed(frozenset(wanted[d] for d in found), unlisted)


def rejects_lookup(s3: S3, loads: Sequence[Mapping[str, Any]]) -> RejectsLookup | None:
    """The lookup over the logs of these loads (recorded attributes); None when none rejected a row."""
    logs = [LoadLog.of(record) for record in loads]
    if not any(log.rejected for log in logs):
        return None
    return lambda keys: listed_rejects(s3, logs, keys)


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
    rng = random.Random()   # only the waits are random: jitter spreads the re-asks of throttled keys
    for start in range(0, len(wanted), MAX_BATCH_GET):
        pending = wanted[start:start + MAX_BATCH_GET]
        for attempt in range(MAX_ROUNDS):
            got, pending = await dynamodb.batch_get(table, pending)
            for stored in got:
                found[item_key(stored, key_names)] = stored
            if not pending:
                break
            await asyncio.sleep(backoff_delay(attempt + 1, 0.05, 2.0, rng))
        if pending:
            raise MigratorError(f"dynamodb_table.{table}: {len(pending)} key(s) stayed unprocessed by BatchGetItem "
                                f"after {MAX_ROUNDS} rounds", hint="the table is throttled; verify again later")
    return found


async def sample_table(mysql: MySQL, dynamodb: DynamoDB, check: CheckSpec, size: int, seed: str,
                       description: Mapping[str, Any], rejects: RejectsLookup | None = None) -> SampleOutcome:
    """Up to `size` rows of each of the check's source views, their items as the job makes them,
    against the table (`description`: the table as the caller just read it, for its index keys).
    `rejects`: the table's loads' rejects logs (`rejects_lookup`); without it every absent item is
    missing."""
    table, key_names = check.table, check.keys
    outcome = SampleOutcome(table)
    cap = dynamodb.sample_cap
    if cap is not None and cap < size:
        size, outcome.capped_at = cap, cap
    live = index_keys_of(description)
    fetched = []
    for source in check.sources:
        spec = source.spec.with_index_keys(live)
        rows = (await mysql.query(sample_sql(spec.view, spec.names, key_names, size, seed))).dicts()
        outcome.sampled += len(rows)
        items, rejected = expected_items(rows, spec)
        outcome.rejected += rejected
        fetched.append((spec, items, await fetch_items(dynamodb, table, items, key_names)))
    absent = {key for _, items, stored in fetched for key in (item_key(i, key_names) for i in items)
              if key not in stored}
    listed: Collection[Key] = ()
    if absent and rejects is not None:
        found = await rejects(absent)
        listed = found.keys
        outcome.unlisted_rejects = found.unlisted if absent - found.keys else 0
    for spec, items, stored in fetched:
        judge(outcome, items, stored, key_names, spec.names, presence_only=spec.write_mode != "overwrite",
              rejected=listed)
    return outcome
