"""The migration report as plain data; report.build makes it from a state, the renderers show it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from migrator.budget import RejectBudget
from migrator.state.model import ResourceState

#: the shape of `report --json` (schemas/report.schema.json): the major number changes when a field is
#: removed or changes meaning, the minor number when one is added (1.1: problems, loads_failed, a
#: load's finished, reject_budget, within_budget and problem, a check's source_rows)
FORMAT_VERSION = "1.1"


def as_int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def as_float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class LoadReport:
    address: str
    table: str
    view: str
    status: str                     # ok | tainted (the last run did not finish)
    run_state: str                  # the Glue run's final state
    engine: str
    partitions: int | None
    rows_read: int
    items_written: int
    items_rejected: int
    items_skipped: int
    success_rate: float | None      # (written + skipped) / read: the share of rows accounted for in the table
    duration_seconds: float | None
    rows_per_second: float | None
    retries: int
    throttles: int
    consumed_wcu: float
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    rejected_samples: list[dict[str, Any]] = field(default_factory=list)   # key, reason, attribute: no values
    rejects_logged: int = 0
    rejects_location: str | None = None
    timeline: list[list[float]] = field(default_factory=list)   # [elapsed s, rows read, items written]
    finished: bool = True           # every row was read and judged (False: the run stopped part way)
    reject_budget: str = "0 rows"   # the rejected rows it was allowed, as the run judged it
    within_budget: bool = True
    #: what is wrong with this load, in one sentence (None: every row is accounted for within budget)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def accounted(self) -> bool:
        """Every row read became an item, a rejection or a skip."""
        return self.items_written + self.items_rejected + self.items_skipped == self.rows_read

    @property
    def over_budget(self) -> bool:
        """The run read and judged every row, its figures add up, and it rejected more than its budget."""
        return self.finished and self.accounted and not self.within_budget

    @staticmethod
    def from_state(resource: ResourceState) -> LoadReport:
        draft = LoadReport._read(resource)
        return replace(draft, problem=draft.judge(figures_known="rows_read" in resource.attributes))

    def judge(self, *, figures_known: bool = True) -> str | None:
        """Pure: the one sentence the headline says about this load, or None when it is fine.
        `figures_known`: the record holds the run's figures (a run that died before its writers
        reported any has none, which is not "0 rows read")."""
        figures = (f"{self.items_written:,} items written from {self.rows_read:,} rows read" if figures_known
                   else "its figures are unknown (no writer reported any)")
        if not self.finished:
            return (f"{self.address} did not finish (its run ended {self.run_state or 'early'}): "
                    + (f"{figures} before it stopped" if figures_known else figures))
        if not self.accounted:
            return (f"{self.address} does not account for every row: {self.rows_read:,} read but "
                    f"{self.items_written:,} written, {self.items_rejected:,} rejected, {self.items_skipped:,} skipped")
        if not self.within_budget:
            return (f"{self.address} failed: {self.items_rejected:,} of {self.rows_read:,} rows rejected "
                    f"(over budget {self.reject_budget})")
        if self.status != "ok":
            return f"{self.address} did not finish: {figures}"
        return None

    @staticmethod
    def _read(resource: ResourceState) -> LoadReport:
        """The record as it is; records written before budgets were recorded are judged by the default."""
        a = resource.attributes
        raw = a.get("writer")
        writer: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        read, written, skipped = as_int(a.get("rows_read")), as_int(a.get("items_written")), as_int(a.get("items_skipped"))
        bucket, prefix = a.get("result_bucket"), a.get("rejects_prefix")
        logged = as_int(a.get("rejects_logged"))
        samples = [{"key": s.get("key"), "reason": s.get("reason"), "attribute": s.get("attribute")}
                   for s in a.get("samples") or () if isinstance(s, Mapping)]
        partitions = a.get("partitions")
        budget = RejectBudget.from_doc(a.get("reject_budget"))
        rejected = as_int(a.get("items_rejected"))
        finished = a.get("finished")
        within = a.get("within_budget")
        return LoadReport(
            finished=finished if isinstance(finished, bool) else resource.status == "ok" or "rows_read" in a,
            reject_budget=budget.describe(),
            within_budget=within if isinstance(within, bool) else budget.allows(rejected, read),
            # a record without its table (a failure recorded before loads kept it) names it in its address
            address=str(resource.address), table=str(a.get("table") or resource.address.name.split("/")[0]),
            view=str(a.get("view", "")),
            status=resource.status, run_state=str(a.get("state", "")), engine=str(a.get("engine") or "pythonshell"),
            partitions=partitions if isinstance(partitions, int) else None, rows_read=read, items_written=written,
            items_rejected=rejected, items_skipped=skipped,
            success_rate=round((written + skipped) / read, 6) if read else None,
            duration_seconds=as_float(a.get("duration_seconds")), rows_per_second=as_float(a.get("rows_per_second")),
            retries=as_int(writer.get("retries")), throttles=as_int(writer.get("throttles")),
            consumed_wcu=round(as_float(writer.get("consumed_wcu")) or 0.0, 1),
            rejected_by_reason={str(k): as_int(v) for k, v in sorted((a.get("rejected_by_reason") or {}).items())},
            rejected_samples=samples, rejects_logged=logged,
            rejects_location=f"s3://{bucket}/{prefix}" if bucket and prefix and logged else None,
            timeline=[[float(p[0]), float(p[1]), float(p[2])] for p in a.get("timeline") or ()
                      if isinstance(p, (list, tuple)) and len(p) == 3])


@dataclass(frozen=True)
class IndexReport:
    """An index's coverage as the check counted it (compare.coverage)."""

    index: str
    keys: list[str]
    index_items: int
    carrying: int                    # the table's items that carry all its key attributes
    expected_min: int | None         # the range the rows give (None: not derivable)
    expected_max: int | None
    ok: bool

    @staticmethod
    def from_doc(doc: Mapping[str, Any]) -> IndexReport:
        low, high = doc.get("expected_min"), doc.get("expected_max")
        return IndexReport(index=str(doc.get("index", "")), keys=[str(k) for k in doc.get("keys") or ()],
                           index_items=as_int(doc.get("index_items")), carrying=as_int(doc.get("carrying")),
                           expected_min=as_int(low) if low is not None else None,
                           expected_max=as_int(high) if high is not None else None, ok=bool(doc.get("ok")))


@dataclass(frozen=True)
class Protection:
    """What protects and expires a table's items, as last read (None: never read, a state written
    before migrator read them)."""

    point_in_time_recovery: bool | None = None
    deletion_protection: bool | None = None
    ttl_declared: str | None = None        # the contract's ttl_attribute
    ttl_status: str | None = None          # ENABLED | ENABLING | DISABLED | DISABLING
    ttl_attribute: str | None = None       # the attribute TTL is enabled on

    @staticmethod
    def from_attributes(a: Mapping[str, Any]) -> Protection:
        pitr, ttl = a.get("PointInTimeRecoveryStatus"), a.get("TimeToLive")
        live_ttl: Mapping[str, Any] = ttl if isinstance(ttl, Mapping) else {}
        protection = a.get("DeletionProtectionEnabled")
        return Protection(point_in_time_recovery=None if pitr is None else pitr in ("ENABLED", "ENABLING"),
                          deletion_protection=protection if isinstance(protection, bool) else None,
                          ttl_declared=str(a["TimeToLiveAttribute"]) if a.get("TimeToLiveAttribute") else None,
                          ttl_status=str(live_ttl["TimeToLiveStatus"]) if live_ttl.get("TimeToLiveStatus") else None,
                          ttl_attribute=str(live_ttl["AttributeName"]) if live_ttl.get("AttributeName") else None)

    @property
    def ttl_enabled(self) -> bool:
        return self.ttl_status in ("ENABLED", "ENABLING")


@dataclass(frozen=True)
class CheckReport:
    address: str
    status: str
    ok: bool
    view_rows: int
    table_items: int
    distinct_keys: int
    overwritten: int
    problems: list[str]
    sample: dict[str, Any] | None   # the sampled deep compare: sampled, compared, matching, missing, differing
    indexes: list[IndexReport] = field(default_factory=list)   # each index's coverage
    source_rows: int | None = None  # rows of the entities' source tables (None: checked before it was counted)

    @staticmethod
    def from_state(resource: ResourceState) -> CheckReport:
        a = resource.attributes
        sample = a.get("sample") if isinstance(a.get("sample"), Mapping) else None
        indexes = [IndexReport.from_doc(i) for i in a.get("indexes") or () if isinstance(i, Mapping)]
        return CheckReport(address=str(resource.address), status=resource.status, indexes=indexes,
                           ok=bool(a.get("ok")) and resource.status == "ok", view_rows=as_int(a.get("view_rows")),
                           table_items=as_int(a.get("table_items")), distinct_keys=as_int(a.get("distinct_keys")),
                           overwritten=as_int(a.get("overwritten")), problems=[str(p) for p in a.get("problems") or ()],
                           source_rows=None if a.get("source_rows") is None else as_int(a.get("source_rows")),
                           sample=None if sample is None else {
                               **{k: as_int(sample.get(k)) for k in ("sampled", "compared", "rejected",
                                                                     "rejected_by_load", "presence_only", "matching",
                                                                     "missing", "differing")},
                               "ok": bool(sample.get("ok")),
                               "notes": [str(n) for n in sample.get("notes") or ()],
                               "differences": [str(d.get("sentence")) for d in sample.get("differences") or ()
                                               if isinstance(d, Mapping)]})


@dataclass(frozen=True)
class TableReport:
    name: str
    billing_mode: str
    read_units: int | None
    write_units: int | None
    indexes: list[str]
    loads: list[LoadReport]
    check: CheckReport | None
    protection: Protection = field(default_factory=Protection)

    @property
    def rows_read(self) -> int:
        return sum(load.rows_read for load in self.loads)

    @property
    def items_written(self) -> int:
        return sum(load.items_written for load in self.loads)


@dataclass(frozen=True)
class Advice:
    """One piece of operational guidance: what to do, why (from what the report saw), and how."""

    topic: str          # stable code: rejected_rows | throttling | billing | backups | collisions | ...
    table: str | None
    sentence: str
    commands: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    lineage: str
    serial: int
    migrator_version: str
    last_change: str                 # the latest updated_at in the state: the report's time
    tables: list[TableReport]
    totals: dict[str, Any]
    advice: list[Advice]
    warnings: list[str]
    drift: list[str] | None = None   # None: not checked (the report was made without the contract)
    format_version: str = FORMAT_VERSION
    #: what keeps the migration from being done, one sentence each (report.build.problems); none: every
    #: source row is accounted for within budget, every load finished, every check ran and passed
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["ok"] = self.ok
        return doc
