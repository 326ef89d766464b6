"""Names: DynamoDB table and index names that DynamoDB accepts, no name given twice (tables, GSIs,
entity types, attributes of one table or entity), and attribute names MySQL accepts as the columns
of the entity's view (an attribute name is a view column name before it is an item's attribute)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from migrator.contract.typed import Draft
from migrator.contract.edits import SetValue
from migrator.contract.lint.common import (
    E,
    Owner,
    defined_names,
    linted_tables,
    name_of,
    name_refs,
    owners,
    rename,
    table_keys,
    text,
)
from migrator.contract.model import Table
from migrator.contract.paths import child
from migrator.findings import Finding

DYNAMODB_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}\Z")
#: MySQL and MariaDB: a column name holds at most 64 characters
MYSQL_COLUMN_CHARS = 64
#: what MySQL refuses at the end of a column name (error 1166) and drops from its start
_EDGE_SPACE = " \t\n\r\f\v"


def duplicates(named: Iterable[tuple[str, str]], what: str, code: str, fix: str) -> list[Finding]:
    """One error per repeated name, at the repeat; `named` is (path of the name, name)."""
    first: dict[str, str] = {}
    findings = []
    for path, name in named:
        if name in first:
            findings.append(Finding(E, path, f"{what} `{name}` is defined twice (first at {first[name]})", fix, code))
        else:
            first[name] = path
    return findings


def dynamodb_name(name: str, path: str, what: str, code: str, taken: Iterable[str] = ()) -> list[Finding]:
    """An error for a name DynamoDB refuses; the suggested name is valid and not one of `taken`."""
    if DYNAMODB_NAME.match(name):
        return []
    reason = (f"has {len(name)} characters (3 to 255 allowed)" if not 3 <= len(name) <= 255
              else "may only contain letters, digits, '_', '-' and '.'")
    suggestion = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)
    used = set(taken)
    if DYNAMODB_NAME.match(suggestion) and suggestion in used:
        suggestion = next((c for n in range(2, 100) if DYNAMODB_NAME.match(c := f"{suggestion[:250]}_{n}")
                           and c not in used), "")
    if DYNAMODB_NAME.match(suggestion):
        return [Finding(E, path, f"{what} `{name}` is not a valid DynamoDB name: it {reason}",
                        f"rename it, e.g. `{suggestion}`", code, SetValue(path, suggestion))]
    return [Finding(E, path, f"{what} `{name}` is not a valid DynamoDB name: it {reason}", "rename it", code)]


def _attributes(draft: Draft, owner: Owner) -> list[Finding]:
    return duplicates([(child(a.path, "name"), n) for a in owner.attributes if (n := name_of(draft, a)) is not None],
                      f"in {owner.label}, attribute", "attribute.duplicate", "rename or remove one of them")


def _column_problem(name: str) -> str | None:
    """Why MySQL would refuse (or silently change) `name` as a view column, or None. Empty names
    are the attribute rules' (lint/attributes.py)."""
    if not name.strip():
        return None
    if name != name.rstrip(_EDGE_SPACE):
        return "ends with white space, which MySQL refuses at the end of a column name (error 1166)"
    if name != name.lstrip(_EDGE_SPACE):
        return ("starts with white space, which MySQL drops from a view's column name, so the column would not "
                "have the attribute's name")
    if len(name) > MYSQL_COLUMN_CHARS:
        return f"has {len(name)} characters, more than the {MYSQL_COLUMN_CHARS} of a MySQL column name (error 1166)"
    if any(ord(c) > 0xFFFF or c == "\0" for c in name):
        return ("holds a character MySQL cannot put in a column name (NUL, or one beyond Unicode's Basic "
                "Multilingual Plane such as an emoji; error 1300)")
    return None


def _renamed(name: str, taken: set[str]) -> str | None:
    """A name close to `name` that MySQL accepts and no other column of the view has (lower-cased)."""
    base = "".join(c for c in name.strip(_EDGE_SPACE) if ord(c) <= 0xFFFF and c != "\0")[:MYSQL_COLUMN_CHARS]
    base = base.rstrip(_EDGE_SPACE) or "attribute"
    for n in range(1, 100):
        tail = "" if n == 1 else f"_{n}"
        candidate = base[:MYSQL_COLUMN_CHARS - len(tail)].rstrip(_EDGE_SPACE) + tail
        if candidate.lower() not in taken:
            return candidate
    return None


def _view_columns(draft: Draft, table: Table, owner: Owner) -> list[tuple[str, str, str]]:
    """(path, name, what) of each column of the owner's view: its attributes, and in a multi-entity
    table the key attributes its templates give (when it has no attribute of that exact name)."""
    columns = [(child(a.path, "name"), n, "attribute") for a in owner.attributes if (n := name_of(draft, a))]
    if table.type == "multi-entity":
        names = {n for _, n, _ in columns}
        for key, field in zip(table_keys(draft, table), ("pk", "sk")):
            if key and key not in names:
                columns.insert(0, (child(table.path, field), key, "key attribute"))
    return columns


def _rename_fix(draft: Draft, table: Table, name: str, better: str | None, what: str = "rename it") -> str:
    """`rename it, e.g. `x``, naming the fields that must follow (a key, the ttl attribute, ...)."""
    if better is None:
        return what
    refs = [p.rsplit(".", 1)[-1] for p, _ in name_refs(draft, table, name)]
    also = f", and the {' and '.join(dict.fromkeys(refs))} that name{'s' if len(refs) == 1 else ''} it" if refs else ""
    return f"{what}, e.g. `{better}`{also}"


def view_column_names(draft: Draft, table: Table, owner: Owner) -> list[Finding]:
    """Attribute names as MySQL sees them: refused names (error 1166, 1300) and names that differ only
    in case (error 1060): DynamoDB tells `email` from `EMAIL`, a MySQL view does not."""
    columns = _view_columns(draft, table, owner)
    taken = {n.lower() for _, n, _ in columns} | {n.lower() for n in defined_names(draft, table)}
    findings: list[Finding] = []
    first: dict[str, tuple[str, str]] = {}
    for path, name, what in columns:
        problem = _column_problem(name)
        if problem is not None:
            better = _renamed(name, taken - {name.lower()})
            findings.append(Finding(E, path, f"in {owner.label}, {what} `{name}` becomes a column of its MySQL view "
                                    f"and {problem}", _rename_fix(draft, table, name, better),
                                    "attribute.mysql_name", None if better is None else rename(draft, table, path, name, better)))
            continue
        seen = first.get(name.lower())
        if seen is None:
            first[name.lower()] = (path, name)
        elif seen[1] != name:      # the very same name twice is `duplicates`' finding
            better = _renamed(f"{name}_2", taken)
            findings.append(Finding(
                E, path, f"in {owner.label}, {what} `{name}` and `{seen[1]}` (at {seen[0]}) differ only in case: "
                "DynamoDB tells them apart, but both become columns of one MySQL view, whose column names ignore "
                "case (error 1060)", _rename_fix(draft, table, name, better, "rename one of them"),
                "attribute.case_duplicate", None if better is None else rename(draft, table, path, name, better)))
    return findings


def findings(draft: Draft) -> Iterator[Finding]:
    tables = draft.contract.tables
    named = [(child(t.path, "table"), n) for t in tables if (n := text(draft, t.path, "table", t.name)) is not None]
    yield from duplicates(named, "table", "table.duplicate", "give each DynamoDB table one entry (merge or rename them)")
    for path, name in named:
        yield from dynamodb_name(name, path, "table name", "table.name", (n for _, n in named))
    for table in linted_tables(draft):
        indexes = [(child(g.path, "index_name"), n) for g in table.gsis
                   if (n := text(draft, g.path, "index_name", g.index_name)) is not None]
        yield from duplicates(indexes, "GSI", "gsi.duplicate", "rename one of them")
        for path, name in indexes:
            yield from dynamodb_name(name, path, "index name", "gsi.name", (n for _, n in indexes))
        if table.type == "multi-entity":
            types = [(child(e.path, "entity_type"), n) for e in table.entities
                     if (n := text(draft, e.path, "entity_type", e.entity_type)) is not None]
            yield from duplicates(types, "entity type", "entity.duplicate", "give each entity type one entry")
        reported: set[str] = set()   # a key name's problem is the table's: once, not once per entity
        for owner in owners(draft, table):
            yield from _attributes(draft, owner)
            for finding in view_column_names(draft, table, owner):
                if finding.path not in reported:
                    reported.add(finding.path)
                    yield finding
