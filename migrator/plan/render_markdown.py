"""The plan for pull requests (`plan --markdown`): GitHub-flavoured markdown under a size limit.

Layout, top to bottom: a headline with the counts; a CAUTION alert naming every DynamoDB
table that would be deleted or replaced (its items go with it); one table row per address
that changes; what changed outside migrator; the contract's findings; the full diff folded
in `<details>`; the plan fingerprint (the same as `plan --json`'s).

A pull-request comment holds at most 65,536 characters, so the document never exceeds
`limit`. When it would, it sheds detail in this order, always by whole lines: the full
diff, then the per-address rows, then findings, then the drift and banner lists — each
cut list ends with a line that says how many were left out, by kind. The headline, the
banner, the drift section and the fingerprint are always there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from migrator.findings import Finding, Severity, end_sentence
from migrator.plan.model import DEPENDENCY, Action, Change, Plan, is_drift
from migrator.plan.render_json import known_after_apply, plan_json, public_change
from migrator.plan.render_text import errors_of, render_change

DEFAULT_LIMIT = 65_000
#: The smallest limit that always leaves room for the headline, the summarised sections and the fingerprint.
MIN_LIMIT = 2_000
TITLE_MAX = 200
LINEAGE_MAX = 64

VERB = {Action.CREATE: "create", Action.UPDATE: "update in place", Action.REPLACE: "replace",
        Action.DELETE: "destroy", Action.NOOP: "no-op"}
SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-", Action.NOOP: " "}
DESTRUCTIVE_KIND = "dynamodb_table"

_SPACE = re.compile(r"\s+")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~])")
_BACKTICKS = re.compile(r"`+")
_QUOTED = re.compile(r"(`[^`]+`)")
_SYMBOL_INDENT = re.compile(r"^( +)([-+~]) ")


# ---------------------------------------------------------------------------- inline text

def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _prose(text: str, *, cell: bool = False) -> str:
    """Free text, safe anywhere (a table cell too): one line, markdown and HTML characters escaped,
    except `quoted` parts (how migrator's messages quote names and code), which stay code spans."""
    parts = _QUOTED.split(_one_line(text))
    return "".join(_MARKDOWN.sub(r"\\\1", part) if i % 2 == 0 else (part.replace("|", "\\|") if cell else part)
                   for i, part in enumerate(parts))


def _code(text: str, *, cell: bool = False) -> str:
    """A code span that survives any backticks in `text`; in a table cell `|` must be escaped even there."""
    text = _one_line(text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if cell else span


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def _words(change: Change, template: str, *, cell: bool = False) -> str:
    """A reason's words (`Reason.text` or `.cell`) as markdown prose, the dependency they name as code."""
    text = _prose(template, cell=cell)
    return text.replace(DEPENDENCY, _code(str(change.dependency), cell=cell)) if change.dependency else text


def _why(change: Change, *, cell: bool = False) -> str:
    """The reason in words for a table cell or the banner (never empty: `Reason.cell`), as markdown."""
    return _words(change, change.reason.cell, cell=cell)


def _by_kind(changes: Sequence[Change]) -> str:
    counts = Counter(c.address.kind for c in changes)
    return ", ".join(f"{n:,} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ---------------------------------------------------------------------------- sections

CUT = "too many for one comment"


def _left(k: int, total: int, tally: str) -> str:
    """The line standing for the items a cut list leaves out (all of them when k is 0)."""
    return f"… and {total - k:,} more: {tally}" if k else f"{total:,} not listed, {CUT}: {tally}"


@dataclass(frozen=True)
class _List:
    """A section whose items can be cut to the first `k`, the rest summed up in one line."""

    head: tuple[str, ...]
    items: tuple[str, ...]
    more: Callable[[int], str]  # the line standing for items[k:]
    table: bool = False  # head is a table's header: no rows, no header; a blank line ends the table

    def render(self, k: int) -> str:
        if k >= len(self.items):
            return "\n".join((*self.head, *self.items))
        if self.table:
            return "\n".join((*self.head, *self.items[:k], "", self.more(k)) if k else (self.more(k),))
        return "\n".join((*self.head, *self.items[:k], self.more(k)))


def _headline(plan: Plan, title: str) -> str:
    title = _clip(_one_line(title), TITLE_MAX) or "migrator plan"
    errors = len(errors_of(plan))
    if errors:   # never "no changes" beside an error; nothing of it can be applied
        return f"### {title}: failed, {errors:,} error{'s' if errors != 1 else ''} (see Findings); nothing can be applied"
    if plan.empty:
        return f"### {title}: no changes\n\nReality matches the contract."
    return (f"### {title}: {plan.count(Action.CREATE):,} to add, {plan.count(Action.UPDATE):,} to change, "
            f"{plan.count(Action.REPLACE):,} to replace, {plan.count(Action.DELETE):,} to destroy")


def destroyed_tables(plan: Plan) -> tuple[Change, ...]:
    """The DynamoDB tables a plan deletes or replaces: their items would be gone."""
    return tuple(c for c in plan.changes
                 if c.address.kind == DESTRUCTIVE_KIND and c.action in (Action.DELETE, Action.REPLACE))


def _banner(plan: Plan) -> _List | None:
    tables = destroyed_tables(plan)
    if not tables:
        return None

    def item(c: Change) -> str:
        how = "replaced" if c.action is Action.REPLACE else "destroyed"
        count = (c.before or {}).get("ItemCount")
        held = f" (about {_plural(count, 'item')})" if isinstance(count, int) and count > 0 else ""
        return f"> - {_code(str(c.address))}{held} would be {how}: {_why(c)}"

    return _List(
        head=("> [!CAUTION]",
              (f"> **Data would be destroyed.** {_plural(len(tables), 'DynamoDB table')} and every item in "
               f"{'it' if len(tables) == 1 else 'them'} would be deleted:")),
        items=tuple(item(c) for c in tables),
        more=lambda k: f"> - … and {_plural(len(tables) - k, 'more table')}" if k else f"> - not listed, {CUT}")


def _rows(plan: Plan) -> _List | None:
    changes = plan.actionable
    if not changes:
        return None

    def row(c: Change) -> str:
        return (f"| {_code(SYMBOL[c.action], cell=True)} | {_code(str(c.address), cell=True)} | {VERB[c.action]} "
                f"| {_why(c, cell=True)} |")

    return _List(head=("| | Address | Action | Reason |", "|:-:|---|---|---|"),
                 items=tuple(row(c) for c in changes),
                 more=lambda k: _left(k, len(changes), _by_kind(changes[k:])), table=True)


def _drift(plan: Plan) -> _List | None:
    drifted = tuple(c for c in plan.changes if is_drift(c))
    if not drifted:
        return None

    def item(c: Change) -> str:
        return f"- {_code(str(c.address))}: {_words(c, c.reason.text)}; {c.reason.repair}"

    return _List(head=("#### Changed outside migrator", ""), items=tuple(item(c) for c in drifted),
                 more=lambda k: "- " + _left(k, len(drifted), _by_kind(drifted[k:])))


def _findings(plan: Plan) -> _List | None:
    if not plan.findings:
        return None
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    findings = sorted(plan.findings, key=lambda f: (order[f.severity], f.path))

    def counts(fs: Sequence[Finding]) -> str:
        errors = sum(1 for f in fs if f.severity is Severity.ERROR)
        parts = [_plural(errors, "error")] if errors else []
        return ", ".join(parts + ([_plural(len(fs) - errors, "warning")] if len(fs) > errors else []))

    def item(f: Finding) -> str:
        line = f"- **{f.severity.value}** {_code(f.path)}: {_prose(f.message.rstrip('.'))}."
        return line + (f" Fix: {end_sentence(_prose(f.fix.rstrip('.')))}" if f.fix else "")

    return _List(head=(f"#### Findings: {counts(findings)}", ""), items=tuple(item(f) for f in findings),
                 more=lambda k: "- " + _left(k, len(findings), counts(findings[k:])))


def _diff_lines(change: Change) -> list[str]:
    """render_text's block for one change, symbols moved to column 0 so GitHub colours the diff,
    plus the values only known after apply."""
    lines = render_change(public_change(change))
    lines += [f"      + {name} = (known after apply)" for name in known_after_apply(change)]
    # a name with a line break must not start a line of its own (the text renderer prints it as is)
    return [_SYMBOL_INDENT.sub(r"\2\1 ", line.replace("\r", "\\r").replace("\n", "\\n")) for line in lines]


def _full_diff(plan: Plan) -> str | None:
    if plan.empty:
        return None
    body = "\n\n".join("\n".join(_diff_lines(c)) for c in plan.actionable)
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"<details><summary>Full diff</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>"


def _footer(plan: Plan, fingerprint: str) -> str:
    lineage = f"state lineage {_code(_clip(plan.lineage, LINEAGE_MAX))}, " if plan.lineage else ""
    return f"Plan fingerprint: `{fingerprint}` ({lineage}serial {plan.serial:,})"


# ---------------------------------------------------------------------------- the document

def render_markdown(plan: Plan, *, title: str = "migrator plan", limit: int = DEFAULT_LIMIT) -> str:
    """The plan as GitHub-flavoured markdown, at most `limit` characters (at least MIN_LIMIT)."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT:,} characters, not {limit:,}")
    headline = _headline(plan, title)
    footer = _footer(plan, plan_json(plan)["fingerprint"])
    # Cut in this order; the last ones are the sections that must always be there.
    lists = {"rows": _rows(plan), "findings": _findings(plan), "drift": _drift(plan), "banner": _banner(plan)}
    shown = {name: len(section.items) if section else 0 for name, section in lists.items()}

    def document(diff: str | None) -> str:
        blocks = [headline]
        for name in ("banner", "rows", "drift", "findings"):
            section = lists[name]
            if section is not None:
                blocks.append(section.render(shown[name]))
        blocks += [diff, footer] if diff else [footer]
        return "\n\n".join(blocks) + "\n"

    diff = _full_diff(plan)
    text = document(diff)
    if len(text) <= limit:
        return text
    note = (f"_Full diff omitted: {len(diff):,} characters; run `migrator plan` locally to see it._"
            if diff else None)
    for name, section in lists.items():
        if len(document(note)) <= limit:
            break
        if section is None:
            continue
        lo, hi = 0, shown[name]  # find the most items that fit: document(lo) fits (or lo == 0), hi does not
        while lo < hi - 1:
            shown[name] = (lo + hi) // 2
            if len(document(note)) <= limit:
                lo = shown[name]
            else:
                hi = shown[name]
        shown[name] = lo
    text = document(note)
    if len(text) <= limit:
        return text
    return f"{headline}\n\nThe plan is too large to summarise here; run `migrator plan` locally.\n\n{footer}\n"
