"""Write capacity raised while a provisioned table loads, and put back after its last load.

The loads of one table (the entities of a multi-entity table) run at the same time, so the
raise is a lease shared by them: the first raises the table and each of its indexes to the
contract's `load.write_units`, the last puts back what the table had before. Every holder
records that base in its state record before the raise (a checkpoint), so a run killed
mid-load leaves in the state what to restore: the next plan sees the table's capacity as
changed and puts it back, and the interrupted load's record says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address
from migrator.mcp.facades import DynamoDB


def throughput(value: Mapping[str, Any] | None) -> dict[str, int] | None:
    """The two capacity units of a ProvisionedThroughput (DescribeTable adds counters and dates)."""
    if not value:
        return None
    return {"ReadCapacityUnits": int(value.get("ReadCapacityUnits") or 0),
            "WriteCapacityUnits": int(value.get("WriteCapacityUnits") or 0)}


def base_capacity(desc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The table's and its indexes' capacity as DescribeTable shows it; None unless provisioned."""
    if ((desc.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED") != "PROVISIONED":
        return None
    return {"table": desc["TableName"], "throughput": throughput(desc.get("ProvisionedThroughput")),
            "indexes": {g["IndexName"]: throughput(g.get("ProvisionedThroughput"))
                        for g in desc.get("GlobalSecondaryIndexes") or []}}


def changes(now: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """update_table's arguments taking the table and its indexes from `now` to `wanted`: only what
    differs (AWS refuses an update that changes nothing) and only indexes the table still has."""
    out: dict[str, Any] = {}
    if now["throughput"] != wanted["throughput"]:
        out["provisioned_throughput"] = dict(wanted["throughput"])
    indexes = {name: dict(tp) for name, tp in sorted(wanted["indexes"].items())
               if name in now["indexes"] and now["indexes"][name] != tp}
    if indexes:
        out["gsi_throughput"] = indexes
    return out


def raised(base: Mapping[str, Any], write_units: int) -> dict[str, Any]:
    """`base` with every write capacity at least `write_units`."""
    def up(tp: Mapping[str, int]) -> dict[str, int]:
        return {**tp, "WriteCapacityUnits": max(int(tp["WriteCapacityUnits"]), write_units)}

    return {**base, "throughput": up(base["throughput"]),
            "indexes": {name: up(tp) for name, tp in base["indexes"].items()}}


async def _warm(dynamodb: DynamoDB, desc: Mapping[str, Any], table: str, units: int,
                report: Callable[[str], None]) -> None:
    """An on-demand table: pre-warm it to `units` writes per second (never lowered afterwards)."""
    warm = int((desc.get("WarmThroughput") or {}).get("WriteUnitsPerSecond") or 0)
    if warm < units:
        report(f"warming {table} to {units} writes per second for the load")
        await dynamodb.update_table(table, warm_throughput={"WriteUnitsPerSecond": units})
        await dynamodb.wait_for_table(table, "ACTIVE")


@dataclass
class _Lease:
    base: dict[str, Any]
    units: int
    holders: set[Address] = field(default_factory=set)


@dataclass
class CapacityLeases:
    """One apply's leases, by table (lives on the ApplyContext: no global state)."""

    _leases: dict[str, _Lease] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def acquire(self, dynamodb: DynamoDB, table: str, write_units: int, holder: Address,
                      checkpoint: Callable[[dict[str, Any]], Awaitable[None]],
                      report: Callable[[str], None]) -> dict[str, Any] | None:
        """Raise (or join the raise of) `table`; the base capacity, or None for an on-demand table."""
        async with self._lock:
            lease = self._leases.get(table)
            if lease is None:
                desc = await dynamodb.describe_table(table) or {}
                base = base_capacity(desc)
                if base is None:
                    await _warm(dynamodb, desc, table, write_units, report)
                    return None
                lease = _Lease(base, 0)
                self._leases[table] = lease
            await checkpoint({"capacity_restore": lease.base})
            lease.holders.add(holder)
            if write_units > lease.units and write_units > lease.base["throughput"]["WriteCapacityUnits"]:
                report(f"raising the write capacity of {table} "
                       f"{lease.base['throughput']['WriteCapacityUnits']} → {write_units} for the load")
                update = changes(lease.base, raised(lease.base, write_units))
                if update:
                    await dynamodb.update_table(table, **update)
                    await dynamodb.wait_for_table(table, "ACTIVE")
                lease.units = write_units
            return lease.base

    def held(self, table: str) -> bool:
        return table in self._leases

    async def release(self, dynamodb: DynamoDB, table: str, holder: Address,
                      report: Callable[[str], None]) -> None:
        """Leave the lease; the last holder puts the base back (a failure is reported, not raised:
        the items are loaded, and the next plan shows the capacity to put back)."""
        async with self._lock:
            lease = self._leases.get(table)
            if lease is None or holder not in lease.holders:
                return
            lease.holders.discard(holder)
            if lease.holders:
                return
            del self._leases[table]
            if lease.units:
                try:
                    await restore(dynamodb, lease.base)
                    report(f"write capacity of {table} back to {lease.base['throughput']['WriteCapacityUnits']}")
                except MigratorError as exc:
                    report(f"could not put back the write capacity of {table} ({exc}); the next plan shows it")


async def restore(dynamodb: DynamoDB, base: Mapping[str, Any]) -> bool:
    """Put a recorded base back while the table still has more write capacity (a later plan may
    already have set the contract's, which is not undone); False when there was nothing to do."""
    now = base_capacity(await dynamodb.describe_table(base["table"]) or {})
    still_raised = now is not None and now["throughput"]["WriteCapacityUnits"] > base["throughput"]["WriteCapacityUnits"]
    update = changes(now, base) if now is not None and still_raised else None
    if not update:
        return False
    await dynamodb.update_table(base["table"], **update)
    await dynamodb.wait_for_table(base["table"], "ACTIVE")
    return True
