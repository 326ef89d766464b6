"""What the rule modules share: severities, the owners of attribute lists, name lookups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from migrator.contract.edits import Batch, Edit, SetValue
from migrator.contract.typed import Draft
from migrator.contract.model import Attribute, Entity, Table
from migrator.contract.paths import child
from migrator.findings import Severity
from migrator.runtime.spec import VERSION_TYPES

ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"})
KEY_TYPES = frozenset({"S", "N", "B"})
#: the DynamoDB types each value of a hierarchy can be written as
HIERARCHY_TYPES = {"path": frozenset({"S"}), "depth": frozenset({"N", "S"}), "root_id": frozenset({"N", "S", "B"})}
E, W = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Owner:
    """The table or entity an attribute list belongs to: how to name it and what it reads."""

    label: str
    source_table: str | None
    path: str
    attributes: tuple[Attribute, ...]


def text(draft: Draft | None, path: str, key: str, value: str) -> str | None:
    """A required text field's value when the document gives it as text, else None (`draft` None:
    a contract `build_contract` accepted, whose every field is valid: the plan's)."""
    return value if draft is None or draft.valid(path, key) else None


def kind_of(attribute: Attribute) -> str | None:
    """The attribute's DynamoDB type when it is a valid one (else the schema reports it)."""
    return attribute.type if attribute.type in ATTRIBUTE_TYPES else None


def name_of(draft: Draft | None, attribute: Attribute) -> str | None:
    return text(draft, attribute.path, "name", attribute.name)


def table_keys(draft: Draft | None, table: Table) -> tuple[str | None, str | None]:
    """The table's pk and sk names as given (None when absent, null or not text)."""
    return text(draft, table.path, "pk", table.pk), table.sk


def single_owner(draft: Draft, table: Table) -> Owner:
    return Owner(f"table `{text(draft, table.path, 'table', table.name)}`",
                 text(draft, table.path, "source_table", table.source_table), table.path, table.attributes)


def entity_owner(draft: Draft, entity: Entity) -> Owner:
    return Owner(f"entity `{text(draft, entity.path, 'entity_type', entity.entity_type)}`",
                 text(draft, entity.path, "source_table", entity.source_table), entity.path, entity.attributes)


def owners(draft: Draft, table: Table) -> list[Owner]:
    """Whose attributes the table's items hold: the table's own, or each entity's."""
    if table.type == "multi-entity":
        return [entity_owner(draft, e) for e in table.entities]
    return [single_owner(draft, table)]


def linted_tables(draft: Draft) -> Iterator[Table]:
    """Tables whose type is known: the only ones whose contents the rules can judge."""
    return (t for t in draft.contract.tables if t.type in ("single-entity", "multi-entity"))


def by_name(draft: Draft, attributes: Iterable[Attribute]) -> dict[str, Attribute]:
    """The first attribute of each name."""
    out: dict[str, Attribute] = {}
    for a in attributes:
        if (n := name_of(draft, a)) is not None:
            out.setdefault(n, a)
    return out


def defined_names(draft: Draft, table: Table) -> set[str]:
    """Every attribute name the table's items can hold."""
    attributes = [a for e in table.entities for a in e.attributes] if table.type == "multi-entity" \
        else list(table.attributes)
    return {n for a in attributes if (n := name_of(draft, a)) is not None}



# ---------------------------------------------------------------------------- edits that keep the rest valid

def name_refs(draft: Draft | None, table: Table, name: str) -> list[tuple[str, frozenset[str]]]:
    """(path, the types that role allows) of every field of the table that names attribute `name`:
    its keys, its GSIs' keys, its ttl_attribute, the load's version and partition columns."""
    refs: list[tuple[str, frozenset[str]]] = []
    pk, sk = table_keys(draft, table)
    refs += [(child(table.path, field), KEY_TYPES) for field, key in (("pk", pk), ("sk", sk)) if key == name]
    for gsi in table.gsis:
        for field, key in (("pk", text(draft, gsi.path, "pk", gsi.pk)), ("sk", gsi.sk)):
            if key == name:
                refs.append((child(gsi.path, field), KEY_TYPES))
    if table.ttl_attribute == name:
        refs.append((child(table.path, "ttl_attribute"), frozenset({"N"})))
    for load in (table.load, *(e.load for e in table.entities)):
        if load.version_column == name:
            refs.append((child(load.path, "version_column"), frozenset(VERSION_TYPES)))
        if load.partition_column == name:
            refs.append((child(load.path, "partition_column"), frozenset({"N"})))
    return refs


#: the DynamoDB types each end of a relational path can be written as
PATH_END_TYPES = {"aggregate": frozenset({"N", "S"}), "list": frozenset({"L"}), "object": frozenset({"M"})}


def own_types(attribute: Attribute) -> frozenset[str]:
    """The types the attribute's own value allows (its hierarchy, JSON join or transformation)."""
    allowed = ATTRIBUTE_TYPES
    if attribute.hierarchy is not None:
        allowed &= HIERARCHY_TYPES.get(attribute.hierarchy.value, ATTRIBUTE_TYPES)
    join, transformation = attribute.join, attribute.transformation
    if join is not None and join.type == "json-construction" and join.construction is not None:
        allowed &= {"array": frozenset({"L"}), "object": frozenset({"M"})}.get(join.construction.type, allowed)
    if transformation is not None and transformation.type == "json-parse":
        allowed &= {"M", "L"}
    if transformation is not None and transformation.type == "string-format":
        allowed -= {"N"}   # it builds text
    path = attribute.relational_path
    if path is not None and path.aggregate is not None:
        allowed &= PATH_END_TYPES["aggregate"]
    elif path is not None and path.collection is not None:
        allowed &= PATH_END_TYPES.get(path.collection.type, allowed)
    return allowed


def _has_template(draft: Draft | None, entity: Entity, key: str) -> bool:
    if draft is None:
        return bool(entity.pk_template if key == "pk_template" else entity.sk_template)
    return draft.valid(entity.path, key)


def _shared_key_types(draft: Draft | None, table: Table, attribute: Attribute, name: str) -> set[str]:
    """In a multi-entity table, the types the other entities give the key `name` (a template gives S)."""
    pk, sk = table_keys(draft, table)
    types: set[str] = set()
    for entity in table.entities:
        same = [a for a in entity.attributes if name_of(draft, a) == name]
        if attribute in same:
            continue
        if same:
            types.update(k for a in same if (k := kind_of(a)) is not None)
        elif name in (pk, sk) and _has_template(draft, entity, "pk_template" if name == pk else "sk_template"):
            types.add("S")
    return types


def retype(draft: Draft | None, table: Table, attribute: Attribute, kind: str) -> SetValue | None:
    """Declaring `attribute` of type `kind`, when nothing else about it forbids that type (its value,
    the roles its name plays, the type other entities give a key of that name). `draft` None: the
    contract passed `build_contract` (the plan's edits)."""
    name = name_of(draft, attribute)
    refs = name_refs(draft, table, name) if name is not None else []
    if kind not in own_types(attribute) or any(kind not in allowed for _, allowed in refs):
        return None
    if name is not None and table.type == "multi-entity" and any(allowed == KEY_TYPES for _, allowed in refs) \
            and _shared_key_types(draft, table, attribute, name) - {kind}:
        return None
    return SetValue(child(attribute.path, "type"), kind)


def rename(draft: Draft, table: Table, path: str, old: str, new: str) -> Edit:
    """Rename an attribute (at `path`) and every field of its table that names it; in a
    multi-entity table, every attribute of that name (each entity's items share their keys)."""
    edits = [SetValue(path, new)]
    if table.type == "multi-entity":
        edits += [SetValue(p, new) for e in table.entities for a in e.attributes
                  if name_of(draft, a) == old and (p := child(a.path, "name")) != path]
    edits += [SetValue(p, new) for p, _ in name_refs(draft, table, old) if p != path]
    return edits[0] if len(edits) == 1 else Batch(tuple(edits))
