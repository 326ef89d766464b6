"""Index coverage: every item that carries an index's key attributes is in that index, none
that lacks them is, and as many items carry them as the rows say.

Three counts per index, none of which moves an item to the client:
- `index_items`: the index's own item count (a COUNT scan of the index);
- `carrying`: the table's items that carry all of the index's key attributes (counted by the
  DynamoDB server in the pass that counts the table);
- `expected_min`..`expected_max`: from the views, the distinct loadable keys whose rows give
  every key attribute of the index a value (SQL). A key several rows share may be carried by
  some of them only, and a row the load rejected for another reason is not stored, hence a range.

`index_items != carrying` means the index lost or kept items (or has not caught up: indexes are
eventually consistent, so the check counts again before it says so); `carrying` outside the
range means items lost or gained index key attributes after the load (or the load dropped them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.compare.sample import quote


@dataclass(frozen=True)
class CoverageSource:
    """One entity view of the table and the attributes (columns) it gives."""

    view: str
    attributes: frozenset[str]


@dataclass(frozen=True)
class IndexCoverage:
    index: str
    keys: tuple[str, ...]
    index_items: int
    carrying: int
    expected_min: int | None = None   # None: not derivable (a load that does not overwrite keeps older items)
    expected_max: int | None = None

    @property
    def ok(self) -> bool:
        return self.index_items == self.carrying and (
            self.expected_min is None or self.expected_max is None
            or self.expected_min <= self.carrying <= self.expected_max)

    def problems(self, table: str) -> list[str]:
        keys = ", ".join(self.keys)
        out = []
        if self.index_items < self.carrying:
            out.append(f"index {table}.{self.index} holds {self.index_items:,} items but {self.carrying:,} items of "
                       f"{table} carry its key attributes ({keys}): {self.carrying - self.index_items:,} are missing "
                       "from the index")
        elif self.index_items > self.carrying:
            out.append(f"index {table}.{self.index} holds {self.index_items:,} items but only {self.carrying:,} items "
                       f"of {table} carry its key attributes ({keys}): it holds "
                       f"{self.index_items - self.carrying:,} that lack them")
        if self.expected_min is not None and self.carrying < self.expected_min:
            out.append(f"{self.expected_min - self.carrying:,} fewer items of {table} carry the key attributes of "
                       f"index {self.index} ({keys}) than their rows give ({self.carrying:,} carry them, the views "
                       f"give at least {self.expected_min:,})")
        elif self.expected_max is not None and self.carrying > self.expected_max:
            out.append(f"{self.carrying - self.expected_max} more items of {table} carry the key attributes of "
                       f"index {self.index} ({keys}) than any row gives ({self.carrying} carry them, the views "
                       f"give at most {self.expected_max})")
        return out

    def to_doc(self) -> dict[str, Any]:
        return {"index": self.index, "keys": list(self.keys), "index_items": self.index_items,
                "carrying": self.carrying, "expected_min": self.expected_min, "expected_max": self.expected_max,
                "ok": self.ok}


def carried_sql(sources: Sequence[CoverageSource], keys: Sequence[tuple[str, str]],
                indexes: Mapping[str, Sequence[str]]) -> str:
    """One grouped count over the entity views: per index, the loadable keys all of whose rows
    carry its key attributes (`i<n>_all`) and those any row carries (`i<n>_any`), n in sorted
    index order. Keys group by their bytes (S, B) or value (N), as DynamoDB compares them."""
    names = sorted(indexes)
    parts = []
    for source in sources:
        cols = [f"{quote(k)} AS k{i}" for i, (k, _) in enumerate(keys)]
        for n, index in enumerate(names):
            attrs = indexes[index]
            if all(a in source.attributes for a in attrs):
                cond = " AND ".join(f"{quote(a)} IS NOT NULL" for a in attrs)
                cols.append(f"CASE WHEN {cond} THEN 1 ELSE 0 END AS c{n}")
            else:
                cols.append(f"0 AS c{n}")
        parts.append(f"SELECT {', '.join(cols)} FROM {quote(source.view)}")
    loadable = " AND ".join(f"k{i} IS NOT NULL" + ("" if kind == "N" else f" AND LENGTH(k{i}) <> 0")
                            for i, (_, kind) in enumerate(keys))
    group = ", ".join(f"k{i}" if kind == "N" else f"CAST(k{i} AS BINARY)" for i, (_, kind) in enumerate(keys))
    per_key = ", ".join(f"MIN(c{n}) AS a{n}, MAX(c{n}) AS y{n}" for n in range(len(names)))
    totals = ", ".join(f"COALESCE(SUM(a{n}), 0) AS i{n}_all, COALESCE(SUM(y{n}), 0) AS i{n}_any"
                       for n in range(len(names)))
    union = " UNION ALL ".join(parts)
    return (f"SELECT {totals} FROM (SELECT {per_key} FROM ({union}) AS v WHERE {loadable} GROUP BY {group}) AS g")


def carried_bounds(row: Sequence[Any], indexes: Mapping[str, Sequence[str]]) -> dict[str, tuple[int, int]]:
    """`carried_sql`'s one row as {index: (all rows carry, any row carries)}."""
    names = sorted(indexes)
    return {name: (int(row[2 * n] or 0), int(row[2 * n + 1] or 0)) for n, name in enumerate(names)}
