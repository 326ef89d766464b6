"""The `path` extension of an attribute, offline: one source for its value, a name for every row
on the path, and an attribute type the path's end can have. Tables, columns and foreign keys are
checked against the live schema at plan time (compile/paths.py)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.typed import Draft
from migrator.contract.edits import Remove
from migrator.contract.lint.common import PATH_END_TYPES, E, kind_of, linted_tables, owners, retype
from migrator.contract.model import Attribute, RelationalPath, Table
from migrator.contract.paths import child
from migrator.findings import Finding


def _end(path: RelationalPath) -> str | None:
    if path.aggregate is not None:
        return "aggregate"
    if path.collection is not None:
        return path.collection.type
    return None


def _names(path: RelationalPath, source: str | None) -> Iterator[Finding]:
    """Each row on the path needs its own name: a step's `as`, else its table."""
    taken = {source.lower(): "the entity's own row"} if source else {}
    for i, step in enumerate(path.steps):
        if not step.table:
            continue
        name = step.name.lower()
        if name in taken:
            where = child(step.path, "as") if step.alias else child(step.path, "table")
            free = _free(step.table, taken)
            yield Finding(E, where, f"step {i + 1} names its row '{step.name}', which already names {taken[name]}, so "
                          "its conditions could not tell the two apart",
                          f'give the step a name of its own, "as": "{free}", and call its row so in the conditions '
                          "and values that mean it", "path.name_taken")   # no edit: which mentions mean it is for the author
        taken.setdefault(name, f"step {i + 1}'s row")


def _free(table: str, taken: dict[str, str]) -> str:
    n = 2
    while f"{table.lower()}{n}" in taken:
        n += 1
    return f"{table.lower()}{n}"


def _attribute(draft: Draft, table: Table, attribute: Attribute, source: str | None) -> Iterator[Finding]:
    path = attribute.relational_path
    if path is None:
        return
    others = [k for k, v in (("join", attribute.join), ("calculation", attribute.calculation),
                             ("hierarchy", attribute.hierarchy)) if v is not None]
    if others:
        yield Finding(E, path.path, f"the attribute takes its value from a path and a {others[0]}",
                      f"keep one of them: remove `{others[0]}` or `path`", "path.two_sources",
                      Remove(child(attribute.path, others[0])))
    yield from _names(path, source)
    end = _end(path)
    kind = kind_of(attribute)
    allowed = PATH_END_TYPES.get(end or "")
    if kind is not None and allowed is not None and kind not in allowed:
        what = "an aggregate" if end == "aggregate" else f"a collected {end}"
        edit = next((e for k in sorted(allowed) if (e := retype(draft, table, attribute, k)) is not None), None)
        yield Finding(E, child(attribute.path, "type"), f"{what} cannot be written as type {kind}",
                      f"use type {' or '.join(sorted(allowed))}", "path.type", edit)


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                yield from _attribute(draft, table, attribute, owner.source_table)
