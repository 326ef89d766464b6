"""After a load (and in `verify`): each entity's view still has one row per source row, and each
load accounted for every row of its view. Only counts leave the server.

The view's count and the source table's count are two independent reads of MySQL; the load's
figures come from the job. None of it reuses the mapping the load ran, so a join that
multiplies rows or a load that lost some cannot agree with itself here."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.node_configs import EntitySource
from migrator.compile.rowcount import source_count_sql, view_count_sql
from migrator.mcp.facades import MySQL


@dataclass(frozen=True)
class EntityRows:
    """One entity's view against its source table, and the load that read it."""

    view: str
    source_table: str
    load: str | None
    source_rows: int
    view_rows: int

    def problems(self) -> list[str]:
        if self.view_rows == self.source_rows:
            return []
        change = "multiplies" if self.view_rows > self.source_rows else "loses"
        return [f"view {self.view} has {self.view_rows:,} rows but its source table {self.source_table} has "
                f"{self.source_rows:,}: the view {change} rows (`migrator plan` names the join)"]


async def count_entities(mysql: MySQL, sources: Sequence[EntitySource]) -> list[EntityRows]:
    """Each entity of a check (CheckSpec.entities): its view and its source table, counted."""
    async def one(source: EntitySource) -> EntityRows:
        view_rows, source_rows = await asyncio.gather(mysql.query(view_count_sql(source.view)),
                                                      mysql.query(source_count_sql(source.source_table)))
        return EntityRows(source.view, source.source_table, str(source.load),
                          int(source_rows.scalar() or 0), int(view_rows.scalar() or 0))

    return list(await asyncio.gather(*(one(s) for s in sources)))


def load_problems(entity: EntityRows, load: Mapping[str, Any]) -> list[str]:
    """Every row of the view read, and every row read written, rejected or skipped."""
    out = []
    read = load.get("rows_read")
    written, rejected = load.get("items_written"), int(load.get("items_rejected") or 0)
    skipped = int(load.get("items_skipped") or 0)   # insert_only / version_guarded: left as they were, on purpose
    if read != entity.view_rows:
        out.append(f"{entity.load} read {_n(read)} rows but view {entity.view} has {entity.view_rows:,}")
    if written is not None and read is not None and int(written) + rejected + skipped != int(read):
        out.append(f"{entity.load} read {_n(read)} rows but wrote {_n(written)}, rejected {rejected:,}"
                   + (f" and skipped {skipped:,}" if skipped else "")
                   + f": {int(read) - int(written) - rejected - skipped:,} rows are not accounted for")
    return out


def _n(value: Any) -> str:
    """A count as the check prints it (1,234), or as recorded when it is no number."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
