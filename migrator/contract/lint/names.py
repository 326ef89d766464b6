"""Names: DynamoDB table and index names that DynamoDB accepts, and no name given twice
(tables, GSIs, entity types, attributes of one table or entity)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from migrator.contract.build import Draft
from migrator.contract.lint.common import E, Owner, linted_tables, name_of, owners, text
from migrator.contract.paths import child
from migrator.findings import Finding

DYNAMODB_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}\Z")


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


def dynamodb_name(name: str, path: str, what: str, code: str) -> list[Finding]:
    if DYNAMODB_NAME.match(name):
        return []
    reason = (f"has {len(name)} characters (3 to 255 allowed)" if not 3 <= len(name) <= 255
              else "may only contain letters, digits, '_', '-' and '.'")
    suggestion = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)
    fix = f"rename it, e.g. `{suggestion}`" if DYNAMODB_NAME.match(suggestion) else "rename it"
    return [Finding(E, path, f"{what} `{name}` is not a valid DynamoDB name: it {reason}", fix, code)]


def _attributes(draft: Draft, owner: Owner) -> list[Finding]:
    return duplicates([(child(a.path, "name"), n) for a in owner.attributes if (n := name_of(draft, a)) is not None],
                      f"in {owner.label}, attribute", "attribute.duplicate", "rename or remove one of them")


def findings(draft: Draft) -> Iterator[Finding]:
    tables = draft.contract.tables
    named = [(child(t.path, "table"), n) for t in tables if (n := text(draft, t.path, "table", t.name)) is not None]
    yield from duplicates(named, "table", "table.duplicate", "give each DynamoDB table one entry (merge or rename them)")
    for path, name in named:
        yield from dynamodb_name(name, path, "table name", "table.name")
    for table in linted_tables(draft):
        indexes = [(child(g.path, "index_name"), n) for g in table.gsis
                   if (n := text(draft, g.path, "index_name", g.index_name)) is not None]
        yield from duplicates(indexes, "GSI", "gsi.duplicate", "rename one of them")
        for path, name in indexes:
            yield from dynamodb_name(name, path, "index name", "gsi.name")
        if table.type == "multi-entity":
            types = [(child(e.path, "entity_type"), n) for e in table.entities
                     if (n := text(draft, e.path, "entity_type", e.entity_type)) is not None]
            yield from duplicates(types, "entity type", "entity.duplicate", "give each entity type one entry")
        for owner in owners(draft, table):
            yield from _attributes(draft, owner)
