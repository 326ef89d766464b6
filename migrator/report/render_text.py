"""The report for a terminal, and the few lines `apply` ends with."""

from __future__ import annotations

from collections.abc import Sequence

from migrator.report.model import IndexReport, LoadReport, Protection, Report, TableReport

HEADER = ("TABLE", "ROWS READ", "WRITTEN", "REJECTED", "SKIPPED", "SUCCESS", "SECONDS", "ROWS/S", "RETRIES",
          "THROTTLES", "WCU", "CHECK")
INDEX_HEADER = ("INDEX", "KEYS", "IN INDEX", "CARRY KEYS", "ROWS GIVE", "COVERAGE")
SETTINGS_HEADER = ("TABLE", "BILLING", "INDEXES", "PITR", "DELETION PROTECTION", "TTL")


def count(n: int | float | None) -> str:
    return "-" if n is None else f"{n:,.0f}" if isinstance(n, float) else f"{n:,}"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.2f}%"


def verdict(report: Report) -> str:
    """The headline: "every check passed" only for a report with nothing wrong, else what is wrong
    (the first problems, and how many more)."""
    if report.ok:
        rejected = report.totals.get("items_rejected") or 0
        return ("every check passed" if not rejected else
                f"every check passed, every row accounted for ({rejected:,} rejected within budget)")
    shown = report.problems[:3]
    more = len(report.problems) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def check_cell(table: TableReport) -> str:
    check = table.check
    if check is None:
        return "not run" if table.loads else "-"
    verdict = "ok" if check.ok else "FAILED"
    sample = check.sample
    if sample and sample.get("compared") is not None:
        verdict += f" (sample {count(sample.get('matching') or 0)}/{count(sample.get('compared') or 0)} match)"
    return verdict


def load_cells(name: str, loads: list[LoadReport], table: TableReport | None) -> tuple[str, ...]:
    read = sum(x.rows_read for x in loads)
    written = sum(x.items_written for x in loads)
    skipped = sum(x.items_skipped for x in loads)
    seconds = sum(x.duration_seconds or 0 for x in loads)
    return (name, count(read), count(written), count(sum(x.items_rejected for x in loads)), count(skipped),
            percent((written + skipped) / read if read else None), f"{seconds:,.1f}",
            count(round(read / seconds, 1) if seconds else None), count(sum(x.retries for x in loads)),
            count(sum(x.throttles for x in loads)), count(float(sum(x.consumed_wcu for x in loads))),
            check_cell(table) if table is not None else "")


def expected_cell(index: IndexReport) -> str:
    low, high = index.expected_min, index.expected_max
    if low is None or high is None:
        return "-"
    return count(low) if low == high else f"{count(low)}-{count(high)}"


def index_rows(report: Report) -> list[tuple[str, ...]]:
    """Each index's coverage as the check counted it: the index, the items carrying its keys, the rows' range."""
    rows: list[tuple[str, ...]] = [INDEX_HEADER]
    return rows + [(f"{t.name}.{i.index}", ", ".join(i.keys), count(i.index_items), count(i.carrying),
                    expected_cell(i), "ok" if i.ok else "FAILED")
                   for t in report.tables if t.check is not None for i in t.check.indexes]


def on_off(value: bool | None) -> str:
    return "not read" if value is None else "on" if value else "off"


def ttl_cell(p: Protection) -> str:
    live = (f"{p.ttl_status.lower()}" + (f" on {p.ttl_attribute}" if p.ttl_attribute else "")) if p.ttl_status \
        else "not read"
    return f"{p.ttl_declared} declared, {live}" if p.ttl_declared else live


def settings_rows(report: Report) -> list[tuple[str, ...]]:
    """What each table is: billing, indexes, and what protects and expires its items, as last read."""
    rows: list[tuple[str, ...]] = [SETTINGS_HEADER]
    for t in report.tables:
        billing = (f"provisioned {t.read_units}/{t.write_units}" if t.billing_mode == "PROVISIONED" else "on-demand")
        rows.append((t.name, billing, ", ".join(t.indexes) or "-", on_off(t.protection.point_in_time_recovery),
                     on_off(t.protection.deletion_protection), ttl_cell(t.protection)))
    return rows


def table_rows(report: Report) -> list[tuple[str, ...]]:
    rows = [HEADER] + [load_cells(t.name, t.loads, t) for t in report.tables]
    every = [load for t in report.tables for load in t.loads]
    failed = report.totals.get("checks_failed") or 0
    rows.append(load_cells("TOTAL", every, None)[:-1] + (f"{failed} failed" if failed else "all ok",))
    return rows


def aligned(rows: list[tuple[str, ...]], numbers: range | None = None) -> list[str]:
    """Columns padded to their widest cell; `numbers` (default: all but the first and last) to the right."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = range(1, len(widths) - 1) if numbers is None else numbers
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                      for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]


def render_report(report: Report) -> str:
    lines = [f"Migration report: state serial {report.serial}, last change {report.last_change or 'never'}", ""]
    if not report.tables:
        return "\n".join(lines + ["The state records no tables: nothing was migrated yet."])
    if report.ok:
        lines += [f"Done: {verdict(report)}.", ""]
    else:
        lines += ["Not done:"] + [f"  - {problem}" for problem in report.problems] + [""]
    lines += aligned(table_rows(report))
    lines += ["", "Tables"] + ["  " + line for line in aligned(settings_rows(report), range(0))]
    indexes = index_rows(report)
    if len(indexes) > 1:
        lines += ["", "Index coverage (items in the index, items carrying its keys, what the rows give)"]
        lines += ["  " + line for line in aligned(indexes, range(2, 5))]
    loads = [load for t in report.tables for load in t.loads]
    rejected = [load for load in loads if load.items_rejected]
    if rejected:
        lines += ["", "Rejected rows"]
        for load in rejected:
            reasons = ", ".join(f"{r} {n:,}" for r, n in load.rejected_by_reason.items())
            lines.append(f"  {load.address}: {load.items_rejected:,} ({reasons})"
                         + (f", listed in {load.rejects_location}" if load.rejects_location else "")
                         + f", {'within' if load.within_budget else 'OVER'} budget {load.reject_budget}")
            for sample in load.rejected_samples[:5]:
                key = ", ".join(f"{k}={v}" for k, v in (sample.get("key") or {}).items())
                lines.append(f"    {key}: {sample.get('reason')}"
                             + (f" ({sample['attribute']})" if sample.get("attribute") else ""))
    checks = [t.check for t in report.tables if t.check is not None and not t.check.ok]
    if checks:
        lines += ["", "Failed checks"]
        for check in checks:
            lines += [f"  {check.address}: {problem}" for problem in check.problems] or [f"  {check.address}"]
    if report.drift is None:
        lines += ["", "Drift: not checked (give the contract: `migrator report CONTRACT` reads reality)"]
    elif report.drift:
        lines += ["", "Changed outside migrator"] + [f"  {d}" for d in report.drift]
    else:
        lines += ["", "Drift: none; reality matches the state"]
    if report.warnings:
        lines += ["", "Warnings of the plan"] + [f"  {w}" for w in report.warnings]
    if report.advice:
        lines += ["", "Guidance"]
        for advice in report.advice:
            lines.append(f"  - {advice.sentence}")
            lines += [f"      $ {command}" for command in advice.commands]
    return "\n".join(lines)


def summary_lines(report: Report, where: str, failed: Sequence[str] = ()) -> list[str]:
    """What `apply` ends with: the totals in one line, the verdict, where the full report is. `failed`:
    what this apply could not do, which a report of the state alone may not see (a table not created)."""
    t = report.totals
    said = verdict(report)
    if failed and report.ok:
        said = f"this apply failed at {', '.join(failed)}"
    return [f"Report: {t['tables']} table(s), {t['rows_read']:,} rows read, {t['items_written']:,} items written, "
            f"{t['items_rejected']:,} rejected, success {percent(t.get('success_rate'))}; {said}.",
            f"The full report: {where}"]
