"""The sampled deep compare: N rows of a view, mapped with the job's own code, against the items.

Why a sample and not every row: this runs in the client, so the rows it reads pass through
MySQL's MCP server; a thousand rows cost a second and catch a systematic mapping error (a
wrong type, a lost attribute, a truncated value) with near certainty. Every row is compared
by the full check, which runs where the data is.

The sample is reproducible: rows are ordered by a CRC32 of the seed and their key, so the same
seed picks the same keys whatever order MySQL returns them in. Keys that several rows share
are left out (which row's item is stored is the load's business, and the plan warned), as are
rows the load rejects (they are counted by the load, not stored): those the mapping rejects, and
those whose item is absent while the load's rejects log lists their key (DynamoDB refused the
item, or the load saw what the mapping here cannot). A log that lists fewer rows than its load
rejected cannot clear a missing item: it stays missing, and the outcome says for how many rows
the comparison cannot tell (`unlisted_rejects`).

Values are never part of a finding: rows may hold personal data. A finding names the table,
the item's key and the attribute, and says what kind of difference it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.runtime.decode import item_key, python_value
from migrator.runtime.items import RowRejected, load_item
from migrator.runtime.spec import ItemSpec

DEFAULT_SAMPLE = 1000
DEFAULT_SEED = "migrator"
MAX_FINDINGS = 100

Item = Mapping[str, Mapping[str, Any]]


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def valid_seed(seed: str) -> bool:
    return bool(seed) and seed.isascii() and seed.replace("-", "").replace("_", "").isalnum()


def sample_sql(view: str, columns: Sequence[str], key_names: Sequence[str], size: int, seed: str) -> str:
    """One SELECT of up to `size` rows of `view` whose key no other row has, in seeded CRC32 order.

    The seed is a literal here (the MCP query tool takes parameters too, but the statement is
    logged and planned as text; the seed is checked to be harmless first)."""
    if not valid_seed(seed):
        raise ValueError(f"the sample seed must be letters, digits, '-' or '_', got {seed!r}")
    if size < 1:
        raise ValueError(f"the sample size must be at least 1, got {size}")
    keys = ", ".join(quote(k) for k in key_names)
    order = f"CRC32(CONCAT_WS('|', '{seed}', {keys}))"
    cols = ", ".join(f"v.{quote(c)}" for c in columns)
    on = " AND ".join(f"v.{quote(k)} <=> s.{quote(k)}" for k in key_names)
    return (f"SELECT {cols} FROM {quote(view)} AS v JOIN (SELECT {keys} FROM {quote(view)} "
            f"GROUP BY {keys} HAVING COUNT(*) = 1 ORDER BY {order}, {keys} LIMIT {int(size)}) AS s ON {on} "
            f"ORDER BY {', '.join(f'v.{quote(k)}' for k in key_names)}")


@dataclass(frozen=True)
class Difference:
    """One way an item is not what its row says; `kind` is a stable code for machines."""

    table: str
    key: tuple[tuple[str, str], ...]   # (attribute, printable key value), partition key first
    kind: str                          # missing_item | missing_attribute | unexpected_attribute | type | value
    attribute: str | None = None
    detail: str = ""

    def sentence(self) -> str:
        where = f"{self.table} item " + ", ".join(f"{k}={v}" for k, v in self.key)
        if self.kind == "missing_item":
            return f"{where} is missing"
        text = {"missing_attribute": "lacks attribute", "unexpected_attribute": "has an attribute no row gives,",
                "type": "has the wrong type in", "value": "differs in"}[self.kind]
        return f"{where} {text} {self.attribute}" + (f" ({self.detail})" if self.detail else "")

    def to_doc(self) -> dict[str, Any]:
        return {"table": self.table, "key": dict(self.key), "kind": self.kind, "attribute": self.attribute,
                "detail": self.detail, "sentence": self.sentence()}


def printable_key(item: Item, key_names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for name, value in zip(key_names, item_key(item, key_names)):
        text = value.hex() if isinstance(value, bytes) else str(value)
        out.append((name, text if len(text) <= 80 else text[:80] + "…"))
    return tuple(out)


def _type(av: Mapping[str, Any]) -> str:
    return next(iter(av))


def compare_item(table: str, expected: Item, actual: Item | None, key_names: Sequence[str],
                 attributes: Iterable[str]) -> list[Difference]:
    """How `actual` (the stored item, or None) differs from `expected` (the row's item).

    Only `attributes` (those the load writes) are compared: an attribute another entity of a
    multi-entity table writes is not this row's business."""
    key = printable_key(expected, key_names)
    if actual is None:
        return [Difference(table, key, "missing_item")]
    out = []
    for name in attributes:
        want, got = expected.get(name), actual.get(name)
        if want is None and got is None:
            continue
        if got is None:
            out.append(Difference(table, key, "missing_attribute", name))
        elif want is None:
            out.append(Difference(table, key, "unexpected_attribute", name))
        elif _type(want) != _type(got):
            out.append(Difference(table, key, "type", name, f"expected {_type(want)}, found {_type(got)}"))
        elif python_value(want) != python_value(got):
            out.append(Difference(table, key, "value", name, f"{_type(want)} values differ"))
    return out


@dataclass
class SampleOutcome:
    """What one sampled compare saw; `differences` are capped at MAX_FINDINGS, the counts are not."""

    table: str
    sampled: int = 0
    compared: int = 0
    rejected: int = 0
    presence_only: int = 0
    matching: int = 0
    differing: int = 0
    missing: int = 0
    differences: tuple[Difference, ...] = ()
    capped_at: int | None = None   # fewer rows per view than asked: the server reads one key per call
    #: views that do not have one row per source row (validate/rowcount.py), one sentence each
    row_problems: tuple[str, ...] = ()
    #: rows the mapping accepts whose item is absent and whose key the load's rejects log lists
    #: (not compared: sampled = compared + rejected + rejected_by_load)
    rejected_by_load: int = 0
    #: rows the loads rejected that their logs do not list: a missing item may be one of them
    unlisted_rejects: int = 0

    @property
    def ok(self) -> bool:
        return self.differing == 0 and self.missing == 0 and not self.row_problems

    @property
    def notes(self) -> tuple[str, ...]:
        """What the comparison could not decide, as sentences (the missing items still count)."""
        if not self.unlisted_rejects:
            return ()
        return (f"the rejects log lists fewer rows than the load rejected, so the comparison cannot tell a missing "
                f"item from an unlisted reject for {self.unlisted_rejects:,} rows",)

    def to_doc(self) -> dict[str, Any]:
        return {"table": self.table, "sampled": self.sampled, "compared": self.compared, "rejected": self.rejected,
                "rejected_by_load": self.rejected_by_load, "presence_only": self.presence_only,
                "matching": self.matching, "differing": self.differing,
                "missing": self.missing, "ok": self.ok, "capped_at": self.capped_at,
                "row_problems": list(self.row_problems), "unlisted_rejects": self.unlisted_rejects,
                "notes": list(self.notes), "differences": [d.to_doc() for d in self.differences]}


def expected_items(rows: Iterable[Mapping[str, Any]], spec: ItemSpec) -> tuple[list[Item], int]:
    """The items the rows give (the load's own mapping) and how many rows it rejects."""
    items: list[Item] = []
    rejected = 0
    for row in rows:
        try:
            items.append(load_item(row, spec.attributes, spec.version_column))
        except RowRejected:
            rejected += 1
    return items, rejected


def judge(outcome: SampleOutcome, expected: Sequence[Item], stored: Mapping[tuple[Any, ...], Item],
          key_names: Sequence[str], attributes: Sequence[str], presence_only: bool,
          rejected: Collection[tuple[Any, ...]] = ()) -> SampleOutcome:
    """Add the comparison of `expected` with the `stored` items (by item_key) to `outcome`.

    `presence_only`: the load did not overwrite (insert_only, version_guarded), so a stored item
    may rightly hold other values; only that it exists is checked. `rejected`: keys the load's
    rejects log lists; such an item, when absent, is a rejected row, not a missing item (when
    present it is compared: it is what the table holds for that row)."""
    found = list(outcome.differences)
    for item in expected:
        key = item_key(item, key_names)
        actual = stored.get(key)
        if actual is None and key in rejected:
            outcome.rejected_by_load += 1
            continue
        outcome.compared += 1
        if presence_only and actual is not None:
            outcome.presence_only += 1
            outcome.matching += 1
            continue
        diffs = compare_item(outcome.table, item, actual, key_names, attributes)
        if not diffs:
            outcome.matching += 1
        elif actual is None:
            outcome.missing += 1
        else:
            outcome.differing += 1
        found += diffs
    outcome.differences = tuple(found[:MAX_FINDINGS])
    return outcome
