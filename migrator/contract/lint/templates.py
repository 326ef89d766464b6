"""Key templates and string formats: readable placeholders, a template for every key the
entity does not define itself, and no template that disagrees with the attribute that
overrides it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from migrator.contract.edits import SetValue
from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, W, by_name, linted_tables, table_keys, text
from migrator.contract.model import Attribute, Entity, Table
from migrator.contract.paths import child
from migrator.findings import Finding

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def template_problem(text: str) -> tuple[str, str] | None:
    """(code, message) for a template whose placeholders cannot be read, else None."""
    depth = 0
    start = 0
    for pos, ch in enumerate(text):
        if ch == "{":
            if depth:
                return "template.braces", f"`{text}` opens a placeholder inside another at character {pos + 1}"
            depth, start = 1, pos
        elif ch == "}":
            if not depth:
                return "template.braces", f"`{text}` closes a placeholder that was never opened at character {pos + 1}"
            if not text[start + 1:pos].strip():
                return "template.placeholder", f"`{text}` has an empty placeholder at character {start + 1}"
            depth = 0
    if depth:
        return "template.braces", f"`{text}` leaves a placeholder open at character {start + 1}"
    return None


def template_findings(text: str, path: str) -> list[Finding]:
    problem = template_problem(text)
    if problem is None:
        return []
    code, message = problem
    return [Finding(E, path, message, "write placeholders as {name}, naming an attribute or a column", code)]


def _column(draft: Draft, attribute: Attribute) -> str | None:
    """The one source column named as text."""
    column = attribute.source_column
    return text(draft, attribute.path, "source_column", column) if isinstance(column, str) else None


def _plain_column(draft: Draft, attribute: Attribute) -> str | None:
    if any(draft.has(attribute.path, k) for k in ("join", "calculation", "transformation")):
        return None
    return _column(draft, attribute)


def _canonical(draft: Draft, template: str, named: Mapping[str, Attribute]) -> str:
    """A template with every placeholder resolved to the column it reads (attributes first)."""
    def resolve(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        attribute = named.get(name)
        if attribute is None:
            return "{" + name + "}"
        column = _plain_column(draft, attribute)
        return "{" + column + "}" if column is not None else "{@" + name + "}"
    return PLACEHOLDER.sub(resolve, template)


def _held(draft: Draft, attribute: Attribute, named: Mapping[str, Attribute]) -> str | None:
    """What an attribute holds as a template over columns, when that is known without a database."""
    if draft.has(attribute.path, "join") or draft.has(attribute.path, "calculation"):
        return None
    transformation = attribute.transformation
    if transformation is None:
        if draft.bad(attribute.path, "transformation"):
            return None
        column = _column(draft, attribute)
        return "{" + column + "}" if column is not None else None
    if transformation.type == "string-format":
        fmt = transformation.format
        if fmt is not None and template_problem(fmt) is None:
            return _canonical(draft, fmt, named)
    return None


def _entity(draft: Draft, table: Table, entity: Entity) -> Iterator[Finding]:
    named = by_name(draft, entity.attributes)
    pk, sk = table_keys(draft, table)
    for key, field, template in ((pk, "pk_template", entity.pk_template), (sk, "sk_template", entity.sk_template)):
        if not draft.valid(entity.path, field):
            continue
        template_path = child(entity.path, field)
        syntax = template_findings(template, template_path)
        yield from syntax
        if key is None:
            if field == "sk_template" and template.strip() and table.sk is None and not draft.bad(table.path, "sk"):
                yield Finding(W, template_path, "the table has no sort key, so `sk_template` is ignored",
                              'set it to "" or give the table a sort key', "template.ignored",
                              SetValue(template_path, ""))
            continue
        explicit = named.get(key)
        if explicit is None and not template:
            yield Finding(E, template_path, f"`{field}` is empty, so every item's key would be empty",
                          'write a template such as "USER#{id}", or define the key attribute', "template.empty")
        elif explicit is not None and not syntax and template:   # "" leaves the key to the attribute
            held = _held(draft, explicit, named)
            if held is not None and held != _canonical(draft, template, named):
                yield Finding(W, template_path, f"the template `{template}` disagrees with attribute `{key}` (which "
                              f"holds `{held}`); the attribute wins",
                              f'set it to "" (attribute `{key}` gives the key), make it match the attribute, or '
                              "remove that attribute", "template.mismatch", SetValue(template_path, ""))


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        if table.type == "multi-entity":
            for entity in table.entities:
                yield from _entity(draft, table, entity)
