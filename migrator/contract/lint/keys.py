"""Key attributes: the one place that decides a key attribute's DynamoDB type and whether it
is valid.

Offline (lint): every table and GSI key names an attribute (or, for a multi-entity table's
own keys, an entity's template), that attribute's type is S, N or B, an N key is not built
as text, and a key has one type across entities. At plan time the compiler asks the same
module for the type it declares (`key_type`) and, with the MySQL column the key reads,
whether the two agree (`column_type_findings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from migrator.contract.edits import Edit, SetValue
from migrator.contract.typed import Draft
from migrator.contract.lint.common import (
    E,
    KEY_TYPES,
    W,
    by_name,
    kind_of,
    linted_tables,
    name_of,
    own_types,
    retype,
    table_keys,
    text,
)
from migrator.contract.model import Attribute, Table
from migrator.contract.paths import child
from migrator.contract.schema import near
from migrator.findings import Finding

#: MySQL column types whose values are numbers (a key reading one is naturally N).
NUMERIC_COLUMNS = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric",
                             "float", "double", "real", "year", "bit"})


# ---------------------------------------------------------------------------- the rule

def _builds_text(attribute: Attribute) -> bool:
    return attribute.transformation is not None and attribute.transformation.type == "string-format"


def key_type(attribute: Attribute) -> str | None:
    """The DynamoDB type (S, N or B) of `attribute` used as a key; None when it cannot be one."""
    if attribute.type not in KEY_TYPES or (attribute.type == "N" and _builds_text(attribute)):
        return None
    return attribute.type


def _retyped(attribute: Attribute, kinds: Iterable[str | None], context: tuple[Draft, Table] | None) -> Edit | None:
    """The first of `kinds` the attribute can be declared as (with its table, when known, every role it plays)."""
    for kind in kinds:
        if kind is None:
            continue
        if context is not None:
            if (edit := retype(*context, attribute, kind)) is not None:
                return edit
        elif kind in own_types(attribute):
            return SetValue(child(attribute.path, "type"), kind)
    return None


def key_type_findings(attribute: Attribute, role: str, name: str | None = None,
                      context: tuple[Draft, Table] | None = None, prefer: str | None = None) -> list[Finding]:
    """Why `attribute`, the `role` ("partition key", ...), cannot be a key: nothing when `key_type` says it can.

    The edit declares a key type: `prefer` (the type other entities give the key), the scalar of a
    set type (NS: N), else S, N or B, the first the attribute's other roles allow (`context`: its table)."""
    kind = kind_of(attribute)
    path = child(attribute.path, "type")
    if kind is not None and kind not in KEY_TYPES:
        edit = _retyped(attribute, (prefer, {"SS": "S", "NS": "N", "BS": "B"}.get(kind), "S", "N", "B"), context)
        return [Finding(E, path, f"attribute `{name}` is the {role} but has type {kind}; DynamoDB keys must be "
                        "S, N or B", "declare it S (or N for a number)", "key.type", edit)]
    if kind == "N" and _builds_text(attribute):
        return [Finding(E, path, f"key attribute '{name}' is declared N but its string-format builds text",
                        "declare it S", "key.type", _retyped(attribute, ("S",), context))]
    return []


def undefined_key(role: str, key: str, path: str, defined: Iterable[str] | Mapping[str, Attribute], where: str,
                  other: str | None = None) -> Finding:
    """The key names no attribute. "Did you mean" names an attribute that can be a key (given the
    attributes, not only their names) and is not the `other` key of the same table or index."""
    names = [n for n, a in defined.items() if key_type(a) is not None] if isinstance(defined, Mapping) \
        else list(defined)
    close = near(key, [n for n in names if n != other], cutoff=0.6) if key else None
    fix = f"did you mean `{close}`?" if close else f"add an attribute named `{key}` (type S, N or B)"
    return Finding(E, path, f"the {role} is `{key}`, which {where}", fix, "key.undefined",
                   None if close is None else SetValue(path, close))


def column_type_findings(attribute: Attribute, name: str, data_type: str, where: str) -> list[Finding]:
    """Plan time: a plain key attribute's declared type against the MySQL column it reads (`where`)."""
    numeric = data_type.lower() in NUMERIC_COLUMNS
    if attribute.type == "S" and numeric:
        return [Finding(W, f"{attribute.path}.type", f"key attribute '{name}' is declared S but reads the numeric "
                        f"column {where}; it sorts as text ('10' before '9')", "declare it N", "key.numeric_as_string",
                        SetValue(child(attribute.path, "type"), "N"))]
    if attribute.type == "N" and not numeric:
        return [Finding(W, f"{attribute.path}.type", f"key attribute '{name}' is declared N but reads the {data_type} "
                        f"column {where}; rows whose value is not a number will be rejected", "declare it S",
                        "key.text_as_number", SetValue(child(attribute.path, "type"), "S"))]
    return []


# ---------------------------------------------------------------------------- lint

def key_refs(draft: Draft, table: Table) -> list[tuple[str, str, str]]:
    """(role, attribute name, path) of every table and GSI key."""
    pk, sk = table_keys(draft, table)
    refs = [("partition key", n, child(table.path, "pk")) for n in [pk] if n is not None]
    refs += [("sort key", n, child(table.path, "sk")) for n in [sk] if n is not None]
    for gsi in table.gsis:
        index = text(draft, gsi.path, "index_name", gsi.index_name)
        for key, word, name in (("pk", "partition key", text(draft, gsi.path, "pk", gsi.pk)),
                                ("sk", "sort key", gsi.sk)):
            if name is not None:
                refs.append((f"{word} of GSI `{index}`", name, child(gsi.path, key)))
    return refs


def _other_key(refs: list[tuple[str, str, str]], path: str) -> str | None:
    """The other key of the table or index whose key is at `path` (its sort key for its partition key)."""
    parent, field = path.rsplit(".", 1)
    sibling = f"{parent}.{'sk' if field == 'pk' else 'pk'}"
    return next((name for _, name, p in refs if p == sibling), None)


def _single_entity(draft: Draft, table: Table) -> Iterator[Finding]:
    if not draft.valid(table.path, "attributes"):   # the schema already says what is missing
        return
    named = by_name(draft, table.attributes)
    refs = key_refs(draft, table)
    for role, key, key_path in refs:
        attribute = named.get(key)
        if attribute is None:
            yield undefined_key(role, key, key_path, named, "is not an attribute of the table",
                                _other_key(refs, key_path))
        else:
            yield from key_type_findings(attribute, role, key, (draft, table))


def _multi_entity(draft: Draft, table: Table) -> Iterator[Finding]:
    """Keys come from an entity's attribute of that name, else (table pk/sk) from its template (type S)."""
    pk, sk = table_keys(draft, table)
    templated = {pk: "pk_template", sk: "sk_template"}
    templated.pop(None, None)
    reported: set[str] = set()
    refs = key_refs(draft, table)
    for role, key, key_path in refs:
        sources: list[tuple[str, str]] = []   # (entity, type)
        keyed = [a for e in table.entities for a in e.attributes if name_of(draft, a) == key]
        valid = sorted({t for a in keyed if (t := key_type(a)) is not None})
        for entity in table.entities:
            label = str(text(draft, entity.path, "entity_type", entity.entity_type))
            attribute = next((a for a in entity.attributes if name_of(draft, a) == key), None)
            if attribute is not None:
                yield from key_type_findings(attribute, role, key, (draft, table), valid[0] if len(valid) == 1 else None)
                if (kind := kind_of(attribute)) is not None:
                    sources.append((label, kind))
            elif key in templated and draft.valid(entity.path, templated[key]):
                sources.append((label, "S"))
        if not sources and table.entities:
            defined = {n: a for e in table.entities for a in e.attributes if (n := name_of(draft, a))}
            yield undefined_key(role, key, key_path, defined, "no entity defines", _other_key(refs, key_path))
        types = sorted({t for _, t in sources})
        if len(types) > 1 and key not in reported:
            reported.add(key)
            each = ", ".join(f"{t} in {label}" for label, t in sources)
            yield Finding(E, key_path, f"key attribute `{key}` has different types across entities ({each})",
                          "a DynamoDB key attribute has one type: declare it the same in every entity",
                          "key.type_conflict")


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        yield from (_multi_entity if table.type == "multi-entity" else _single_entity)(draft, table)
