"""The report as one self-contained HTML file: inline CSS and SVG charts, no script, no network.

Why no JavaScript: the file is opened from a mail, a CI artifact or a laptop with no network,
and must show the same thing everywhere; the charts are drawn here, as SVG. Every figure in a
table cell carries `data-field` (and `data-table`), so a browser test can read back what the
page shows and compare it with the JSON report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from migrator.report.model import LoadReport, Report
from migrator.report.render_text import HEADER, index_rows, percent, settings_rows, table_rows, verdict

FIELDS = ("table", "rows_read", "items_written", "items_rejected", "items_skipped", "success_rate",
          "duration_seconds", "rows_per_second", "retries", "throttles", "consumed_wcu", "check")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd}
th{text-align:right;background:#f4f4f4}th:first-child,td:first-child,th:last-child,td:last-child{text-align:left}
td{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:600}th.text,td.text{text-align:left}
.ok{color:#1a7f37}.bad{color:#cf222e}code,pre{background:#f6f8fa;padding:.1rem .3rem;border-radius:3px}
pre{padding:.5rem;overflow-x:auto}svg text{font-size:11px;fill:#444}
"""


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figures_table(report: Report) -> list[str]:
    rows = table_rows(report)
    out = ["<table id=\"figures\"><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr></thead><tbody>"]
    for row in rows[1:]:
        total = row[0] == "TOTAL"
        name = "TOTAL" if total else row[0]
        cells = []
        for field, value in zip(FIELDS, row):
            css = ""
            if field == "check":
                css = ' class="ok"' if value.startswith(("ok", "all ok")) else ' class="bad"' if value != "-" else ""
            cells.append(f"<td data-table=\"{e(name)}\" data-field=\"{field}\"{css}>{e(value)}</td>")
        row_class = ' class="total"' if total else ""
        out.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


INDEX_FIELDS = ("index", "keys", "index_items", "carrying", "expected", "coverage")
SETTINGS_FIELDS = ("table", "billing", "indexes", "point_in_time_recovery", "deletion_protection", "ttl")


def _cells_table(element_id: str, rows: list[tuple[str, ...]], fields: Sequence[str],
                 numbers: frozenset[int] = frozenset()) -> list[str]:
    """A table whose every cell says which row (its first cell) and field it shows; the columns
    in `numbers` align right, the others left."""
    def align(i: int) -> str:
        return "" if i in numbers else "text"

    out = [f"<table id=\"{element_id}\"><thead><tr>"
           + "".join(f"<th class=\"{align(i)}\">{e(h)}</th>" for i, h in enumerate(rows[0])) + "</tr></thead><tbody>"]
    for row in rows[1:]:
        cells = []
        for i, (field, value) in enumerate(zip(fields, row)):
            state = "bad" if value in ("FAILED", "off") else "ok" if value in ("ok", "on") else ""
            css = " ".join(c for c in (align(i), state) if c)
            cells.append(f"<td data-table=\"{e(row[0])}\" data-field=\"{field}\" class=\"{css}\">{e(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


def bar_chart(values: Sequence[tuple[str, int, int]], width: int = 720) -> str:
    """Rows read and items written per table, as horizontal bars."""
    if not values:
        return ""
    top = max(max(r, w) for _, r, w in values) or 1
    label, bar, row_h = 180, width - 180 - 70, 34
    height = row_h * len(values) + 24
    parts = [f"<svg id=\"rows-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" "
             f"role=\"img\" aria-label=\"rows read and items written per table\">"]
    for n, (name, read, written) in enumerate(values):
        y = n * row_h + 4
        for k, (value, colour) in enumerate(((read, PALETTE[0]), (written, PALETTE[2]))):
            w = round(bar * value / top, 1)
            parts.append(f"<rect x=\"{label}\" y=\"{y + k * 13}\" width=\"{w}\" height=\"11\" fill=\"{colour}\">"
                         f"<title>{e(name)}: {value:,} {'rows read' if k == 0 else 'items written'}</title></rect>")
            parts.append(f"<text x=\"{label + w + 4}\" y=\"{y + k * 13 + 10}\">{value:,}</text>")
        parts.append(f"<text x=\"{label - 6}\" y=\"{y + 17}\" text-anchor=\"end\">{e(name)}</text>")
    legend_y = height - 6
    parts.append(f"<rect x=\"{label}\" y=\"{legend_y - 9}\" width=\"10\" height=\"10\" fill=\"{PALETTE[0]}\"/>"
                 f"<text x=\"{label + 14}\" y=\"{legend_y}\">rows read</text>"
                 f"<rect x=\"{label + 90}\" y=\"{legend_y - 9}\" width=\"10\" height=\"10\" fill=\"{PALETTE[2]}\"/>"
                 f"<text x=\"{label + 104}\" y=\"{legend_y}\">items written</text></svg>")
    return "".join(parts)


def _rates(timeline: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """(elapsed seconds, items written per second since the previous point), from the origin."""
    out: list[tuple[float, float]] = []
    prev_t, prev_w = 0.0, 0.0
    for t, _rows, written in timeline:
        if t > prev_t:
            out.append((t, (written - prev_w) / (t - prev_t)))
            prev_t, prev_w = t, written
    return out


def throughput_chart(loads: Sequence[LoadReport], width: int = 720, height: int = 260) -> str:
    """Items written per second over each load's run, one line per load (from its recorded timeline)."""
    series = [(load.address, _rates(load.timeline)) for load in loads if len(load.timeline) >= 1]
    series = [(name, points) for name, points in series if points]
    if not series:
        return "<p>No load recorded its progress over time.</p>"
    left, bottom, right, top_pad = 60, 30, 20, 10
    t_max = max(t for _, pts in series for t, _ in pts) or 1.0
    r_max = max(r for _, pts in series for _, r in pts) or 1.0
    plot_w, plot_h = width - left - right, height - bottom - top_pad

    def xy(t: float, r: float) -> str:
        return f"{left + plot_w * t / t_max:.1f},{top_pad + plot_h * (1 - r / r_max):.1f}"

    parts = [f"<svg id=\"throughput-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" "
             f"height=\"{height + 18 * len(series)}\" role=\"img\" aria-label=\"items written per second over time\">",
             f"<line x1=\"{left}\" y1=\"{top_pad + plot_h}\" x2=\"{left + plot_w}\" y2=\"{top_pad + plot_h}\" "
             "stroke=\"#999\"/>",
             f"<line x1=\"{left}\" y1=\"{top_pad}\" x2=\"{left}\" y2=\"{top_pad + plot_h}\" stroke=\"#999\"/>",
             f"<text x=\"{left - 6}\" y=\"{top_pad + 10}\" text-anchor=\"end\">{r_max:,.0f}/s</text>",
             f"<text x=\"{left - 6}\" y=\"{top_pad + plot_h}\" text-anchor=\"end\">0</text>",
             f"<text x=\"{left + plot_w}\" y=\"{top_pad + plot_h + 16}\" text-anchor=\"end\">{t_max:,.0f} s</text>"]
    for n, (name, points) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        path = " ".join(xy(t, r) for t, r in [(0.0, points[0][1])] + points)
        parts.append(f"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" points=\"{path}\">"
                     f"<title>{e(name)}</title></polyline>")
        y = height + 18 * n + 4
        parts.append(f"<rect x=\"{left}\" y=\"{y - 9}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>"
                     f"<text x=\"{left + 14}\" y=\"{y}\">{e(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report) -> str:
    ok = report.ok
    t = report.totals
    loads = [load for table in report.tables for load in table.loads]
    body = [f"<h1>migrator report: <span class=\"{'ok' if ok else 'bad'}\" id=\"verdict\">"
            f"{e(verdict(report))}</span></h1>",
            f"<p id=\"summary\">{t['tables']} table(s), <span data-total=\"rows_read\">{t['rows_read']:,}</span> rows "
            f"read, <span data-total=\"items_written\">{t['items_written']:,}</span> items written, "
            f"<span data-total=\"items_rejected\">{t['items_rejected']:,}</span> rejected, "
            f"success <span data-total=\"success_rate\">{percent(t.get('success_rate'))}</span>; state serial "
            f"{report.serial}, last change {e(report.last_change or 'never')}.</p>"]
    if report.problems:
        body += ["<h2>Not done</h2><ul id=\"problems\">",
                 *(f"<li class=\"bad\">{e(p)}</li>" for p in report.problems), "</ul>"]
    if report.tables:
        indexes = index_rows(report)
        body += ["<h2>Tables and loads</h2>", *_figures_table(report),
                 "<h2>Tables</h2>", *_cells_table("tables", settings_rows(report), SETTINGS_FIELDS),
                 *(["<h2>Index coverage</h2>", *_cells_table("indexes", indexes, INDEX_FIELDS, frozenset({2, 3, 4}))]
                   if len(indexes) > 1 else []),
                 "<h2>Rows per table</h2>", bar_chart([(x.name, x.rows_read, x.items_written) for x in report.tables]),
                 "<h2>Throughput over time</h2>", throughput_chart(loads)]
    rejected = [load for load in loads if load.items_rejected]
    if rejected:
        body.append("<h2>Rejected rows</h2><ul>")
        for load in rejected:
            reasons = ", ".join(f"<code>{e(r)}</code> {n:,}" for r, n in load.rejected_by_reason.items())
            where = f", listed in <code>{e(load.rejects_location)}</code>" if load.rejects_location else ""
            budget = (f", within budget {e(load.reject_budget)}" if load.within_budget
                      else f", <span class=\"bad\">over budget {e(load.reject_budget)}</span>")
            body.append(f"<li><code>{e(load.address)}</code>: {load.items_rejected:,} ({reasons}){where}{budget}</li>")
        body.append("</ul>")
    failed = [x.check for x in report.tables if x.check is not None and not x.check.ok]
    if failed:
        body.append("<h2>Failed checks</h2><ul>")
        body += [f"<li class=\"bad\"><code>{e(c.address)}</code>: {e(p)}</li>" for c in failed for p in c.problems]
        body.append("</ul>")
    if report.drift:
        body += ["<h2>Changed outside migrator</h2><ul id=\"drift\">", *(f"<li>{e(d)}</li>" for d in report.drift),
                 "</ul>"]
    if report.warnings:
        body += ["<h2>Warnings of the plan</h2><ul>", *(f"<li>{e(w)}</li>" for w in report.warnings), "</ul>"]
    if report.advice:
        body.append("<h2>Guidance</h2><ul id=\"guidance\">")
        for advice in report.advice:
            commands = "".join(f"<pre>{e(c)}</pre>" for c in advice.commands)
            body.append(f"<li data-topic=\"{e(advice.topic)}\">{e(advice.sentence)}{commands}</li>")
        body.append("</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>migrator report (serial {report.serial})</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
