"""The report as a pull-request comment: GitHub markdown, at most MAX_CHARS characters."""

from __future__ import annotations

from migrator.report.model import Report
from migrator.report.render_text import index_rows, percent, settings_rows, table_rows, verdict

MAX_CHARS = 65_000


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[tuple[str, ...]], numbers: int) -> list[str]:
    """A GitHub table; the `numbers` columns before the last are right-aligned."""
    width = len(rows[0])
    align = [":--"] * (width - 1 - numbers) + ["--:"] * numbers + [":--"]
    return ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows[1:])]


def render_markdown(report: Report) -> str:
    headline = ("✅ " if report.ok else "❌ ") + _cell(verdict(report))
    t = report.totals
    parts = [f"### migrator report: {headline}",
             f"{t['tables']} table(s), {t['rows_read']:,} rows read, {t['items_written']:,} items written, "
             f"{t['items_rejected']:,} rejected, {t['items_skipped']:,} skipped "
             f"(success {percent(t.get('success_rate'))}); state serial {report.serial}.", ""]
    if report.problems:
        parts += ["#### Not done", "", *(f"- {_cell(p)}" for p in report.problems), ""]
    if report.tables:
        rows = table_rows(report)
        parts.append("| " + " | ".join(rows[0]) + " |")
        parts.append("|" + "|".join([":--"] + ["--:"] * (len(rows[0]) - 2) + [":--"]) + "|")
        parts += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows[1:]]
        parts += ["", "#### Tables", "", *_table(settings_rows(report), numbers=0)]
        indexes = index_rows(report)
        if len(indexes) > 1:
            parts += ["", "#### Index coverage", "", *_table(indexes, numbers=3)]
    rejected = [load for tab in report.tables for load in tab.loads if load.items_rejected]
    if rejected:
        parts += ["", "#### Rejected rows", ""]
        for load in rejected:
            reasons = ", ".join(f"`{r}` {n:,}" for r, n in load.rejected_by_reason.items())
            parts.append(f"- `{load.address}`: {load.items_rejected:,} ({reasons})"
                         + (f", listed in `{load.rejects_location}`" if load.rejects_location else "")
                         + f", {'within' if load.within_budget else '**over**'} budget {load.reject_budget}")
    failed = [tab.check for tab in report.tables if tab.check is not None and not tab.check.ok]
    if failed:
        parts += ["", "#### Failed checks", ""]
        parts += [f"- `{c.address}`: {_cell(p)}" for c in failed for p in c.problems]
    if report.drift:
        parts += ["", "#### Changed outside migrator", ""] + [f"- {_cell(d)}" for d in report.drift]
    if report.warnings:
        parts += ["", "#### Warnings of the plan", ""] + [f"- {_cell(w)}" for w in report.warnings]
    if report.advice:
        parts += ["", "#### Guidance", ""]
        for advice in report.advice:
            parts.append(f"- {_cell(advice.sentence)}")
            if advice.commands:
                parts += ["  ```sh", *(f"  {c}" for c in advice.commands), "  ```"]
    return _fit("\n".join(parts))


def _fit(text: str) -> str:
    """Cut at a line boundary and say so: GitHub refuses longer comments."""
    if len(text) <= MAX_CHARS:
        return text
    note = "\n\n_… cut to fit a pull-request comment; `migrator report` shows everything._"
    cut = text[:MAX_CHARS - len(note) - 8]  # room for a closing fence
    cut = cut[:cut.rfind("\n")] if "\n" in cut else cut
    if cut.count("```") % 2:
        cut += "\n  ```"
    return cut + note
