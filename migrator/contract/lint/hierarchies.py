"""The `hierarchy` extension of an attribute: one source for its value (not beside a join or a
calculation), a column for a path to be made of, and a type the value can have."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, HIERARCHY_TYPES, kind_of, linted_tables, owners, retype
from migrator.contract.paths import child
from migrator.findings import Finding


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                hierarchy = attribute.hierarchy
                if hierarchy is None:
                    continue
                others = [k for k, v in (("join", attribute.join), ("calculation", attribute.calculation)) if v]
                if others:
                    yield Finding(E, hierarchy.path, f"the attribute takes its value from a hierarchy and a "
                                  f"{others[0]}", f"keep one of them: remove `{others[0]}` or `hierarchy`",
                                  "hierarchy.two_sources")
                if hierarchy.value == "path" and not hierarchy.path_column:
                    yield Finding(E, child(hierarchy.path, "path_column"), "a path needs the column it is made of",
                                  'add "path_column" (the name column of the tree table)', "hierarchy.path_column")
                kind = kind_of(attribute)
                allowed = HIERARCHY_TYPES.get(hierarchy.value)
                if kind is not None and allowed is not None and kind not in allowed:
                    # the edit: N for a depth, else S (every hierarchy value can be text)
                    edit = retype(draft, table, attribute, "N") if hierarchy.value == "depth" else None
                    yield Finding(E, child(attribute.path, "type"), f"a hierarchy {hierarchy.value} cannot be "
                                  f"written as type {kind}", f"use type {' or '.join(sorted(allowed))}",
                                  "hierarchy.type", edit or retype(draft, table, attribute, "S"))
