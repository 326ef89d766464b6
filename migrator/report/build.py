"""The report of a state: its loads, checks and tables as report.model, then the guidance.

Why from the state alone: every load records the figures its job wrote (rows, items,
rejections, retries, throttles, consumed capacity, duration), every check its counts and
sampled compare, every table its billing and indexes. So the report needs no server, reads the
same on a laptop and in CI, and is byte-identical for the same state (its time is the state's
latest change, never the clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from migrator.report.guidance import advise
from migrator.report.model import CheckReport, LoadReport, Protection, Report, TableReport, as_int
from migrator.state.model import ResourceState, State


def _table_report(name: str, resource: ResourceState | None, loads: Sequence[LoadReport],
                  check: CheckReport | None, indexes: Sequence[str], live: Mapping[str, Any] | None) -> TableReport:
    a = resource.attributes if resource is not None else {}
    billing = a.get("BillingMode")
    raw = a.get("ProvisionedThroughput")
    throughput: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    provisioned = str(billing or "PAY_PER_REQUEST") == "PROVISIONED"
    return TableReport(name=name, billing_mode=str(billing or "PAY_PER_REQUEST"),
                       read_units=as_int(throughput.get("ReadCapacityUnits")) if provisioned else None,
                       write_units=as_int(throughput.get("WriteCapacityUnits")) if provisioned else None,
                       indexes=sorted(indexes), loads=list(loads), check=check,
                       protection=Protection.from_attributes(live if live is not None else a))


def problems(tables: Sequence[TableReport]) -> list[str]:
    """Pure: what keeps the migration from being done, one sentence each, table by table: a load that
    failed, stopped, went over its rejection budget or lost rows, a check that failed or never ran,
    a table nothing was loaded into. None of them: every source row is accounted for within budget
    and every check ran and passed, the only case a report may say so."""
    out: list[str] = []
    for t in tables:
        out += [load.problem for load in t.loads if load.problem is not None]
        if not t.loads:
            out.append(f"nothing was loaded into {t.name}")
        if t.check is None:
            if t.loads:
                stopped = [load.address for load in t.loads if not load.finished]
                out.append(f"check.{t.name} did not run" + (f" ({', '.join(stopped)} did not finish)" if stopped
                                                            else ""))
        elif not t.check.ok:
            out.append(f"{t.check.address} failed: {t.check.problems[0]}" if t.check.problems
                       else f"{t.check.address} did not finish")
    return out


def build_report(state: State, warnings: Sequence[str] = (), drift: Sequence[str] | None = None,
                 live: Mapping[str, Mapping[str, Any]] | None = None) -> Report:
    """Pure: the report of a state; with the plan's warnings and drift when a plan was made, and
    `live`: each table as the plan read it (its backups, deletion protection and TTL as they are
    now, with the contract's TTL declaration), which wins over what the state recorded."""
    by_kind: dict[str, list[ResourceState]] = {}
    for resource in state.resources.values():
        by_kind.setdefault(resource.address.kind, []).append(resource)
    loads = [LoadReport.from_state(r) for r in sorted(by_kind.get("load", []), key=lambda r: str(r.address))]
    checks = {r.address.name: CheckReport.from_state(r) for r in by_kind.get("check", [])}
    tables_state = {r.address.name: r for r in by_kind.get("dynamodb_table", [])}
    indexes: dict[str, list[str]] = {}
    for gsi in by_kind.get("dynamodb_gsi", []):
        table, _, index = gsi.address.name.partition("/")
        indexes.setdefault(table, []).append(index)
    names = sorted(set(tables_state) | {load.table for load in loads if load.table} | set(checks))
    tables = [_table_report(n, tables_state.get(n), [load for load in loads if load.table == n], checks.get(n),
                            indexes.get(n, []), (live or {}).get(n)) for n in names]
    read = sum(t.rows_read for t in tables)
    written = sum(t.items_written for t in tables)
    skipped = sum(load.items_skipped for t in tables for load in t.loads)
    totals = {"tables": len(tables), "loads": len(loads), "rows_read": read, "items_written": written,
              "items_rejected": sum(load.items_rejected for load in loads), "items_skipped": skipped,
              "success_rate": round((written + skipped) / read, 6) if read else None,
              "load_seconds": round(sum(load.duration_seconds or 0 for load in loads), 3),
              "retries": sum(load.retries for load in loads), "throttles": sum(load.throttles for load in loads),
              "consumed_wcu": round(sum(load.consumed_wcu for load in loads), 1),
              "checks_failed": sum(1 for t in tables if t.check is not None and not t.check.ok),
              "loads_failed": sum(1 for load in loads if not load.ok)}
    last = max((r.updated_at for r in state.resources.values() if r.updated_at), default="")
    report = Report(lineage=state.lineage, serial=state.serial, migrator_version=state.migrator_version,
                    last_change=last, tables=tables, totals=totals, advice=[], warnings=list(warnings),
                    drift=None if drift is None else list(drift), problems=problems(tables))
    return replace(report, advice=advise(report, state))
