"""Attributes: a name, a column to read, the entity's own table unless joined, and one way
to get the value (a join or a calculation, not both)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.edits import SetValue
from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, Owner, linted_tables, name_of, owners, text
from migrator.contract.model import Attribute
from migrator.contract.paths import child
from migrator.findings import Finding


def _blank_column(draft: Draft, attribute: Attribute) -> bool:
    if not draft.valid(attribute.path, "source_column"):
        return False
    column = attribute.source_column
    return column == () or (isinstance(column, str) and not column.strip()) \
        or (isinstance(column, tuple) and any(not c.strip() for c in column))


def _attribute(draft: Draft, attribute: Attribute, owner: Owner) -> Iterator[Finding]:
    path = attribute.path
    name = name_of(draft, attribute)
    if name is not None and not name.strip():
        yield Finding(E, child(path, "name"), "the attribute name is empty",
                      "give the attribute the name it has in the DynamoDB item", "attribute.name")
    source = text(draft, path, "source_table", attribute.source_table)
    # a join or a calculation says itself which tables it reads; only a plain column must be the entity's own
    if attribute.join is None and attribute.calculation is None and attribute.relational_path is None \
            and source is not None \
            and owner.source_table is not None and source.lower() != owner.source_table.lower():
        # a hierarchy starts from the item's own row: a join beside it would be a second source of the value
        fix = f"set source_table to `{owner.source_table}`" + (
            " (a hierarchy starts from the item's own row)" if attribute.hierarchy is not None
            else f", or add a join to `{source}`")
        yield Finding(E, child(path, "source_table"),
                      f"attribute `{name}` reads table `{source}` without a join, but {owner.label} "
                      f"reads `{owner.source_table}`", fix, "attribute.source_table",
                      SetValue(child(path, "source_table"), owner.source_table))
    if _blank_column(draft, attribute):
        yield Finding(E, child(path, "source_column"), "`source_column` names no column",
                      "name the column of the source table the value comes from", "attribute.source_column")
    if attribute.join is not None and attribute.calculation is not None:
        yield Finding(E, child(path, "calculation"),
                      f"attribute `{name}` has both a join and a calculation; only one can give its value",
                      "keep one; split into two attributes if both values are needed",
                      "attribute.join_and_calculation")


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                yield from _attribute(draft, attribute, owner)
