"""What the rule modules share: severities, the owners of attribute lists, name lookups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from migrator.contract.typed import Draft
from migrator.contract.model import Attribute, Entity, Table
from migrator.findings import Severity

ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"})
E, W = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Owner:
    """The table or entity an attribute list belongs to: how to name it and what it reads."""

    label: str
    source_table: str | None
    path: str
    attributes: tuple[Attribute, ...]


def text(draft: Draft, path: str, key: str, value: str) -> str | None:
    """A required text field's value when the document gives it as text, else None."""
    return value if draft.valid(path, key) else None


def kind_of(attribute: Attribute) -> str | None:
    """The attribute's DynamoDB type when it is a valid one (else the schema reports it)."""
    return attribute.type if attribute.type in ATTRIBUTE_TYPES else None


def name_of(draft: Draft, attribute: Attribute) -> str | None:
    return text(draft, attribute.path, "name", attribute.name)


def table_keys(draft: Draft, table: Table) -> tuple[str | None, str | None]:
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

