"""Global secondary indexes: how many a table may have and what each projects."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, W, defined_names, linted_tables
from migrator.contract.model import Gsi
from migrator.contract.paths import child
from migrator.contract.schema import near
from migrator.findings import Finding

MAX_GSIS = 20                      # DynamoDB's default quota of GSIs per table


def _projection(draft: Draft, gsi: Gsi, defined: set[str]) -> Iterator[Finding]:
    projection, projected = gsi.projection, gsi.projected_attributes
    projected_path = child(gsi.path, "projected_attributes")
    given = draft.valid(gsi.path, "projected_attributes")
    if projection == "INCLUDE" and (not draft.has(gsi.path, "projected_attributes")
                                    or draft.is_falsy(gsi.path, "projected_attributes")):
        yield Finding(E, child(gsi.path, "projection"), "projection INCLUDE needs `projected_attributes`",
                      "list the non-key attributes to copy into the index, or use ALL or KEYS_ONLY", "gsi.projection")
    elif projection in ("ALL", "KEYS_ONLY") and given and projected:
        yield Finding(W, projected_path, f"`projected_attributes` are ignored with projection {projection}",
                      "remove them, or use projection INCLUDE", "gsi.projection_ignored")
    elif projection == "INCLUDE" and given:
        for k, name in enumerate(projected):
            if name not in defined:
                close = near(name, defined)
                yield Finding(W, child(projected_path, k), f"no attribute named `{name}` to project",
                              f"did you mean `{close}`?" if close else "remove it or define the attribute",
                              "gsi.projected_undefined")


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        if len(table.gsis) > MAX_GSIS:
            yield Finding(E, child(table.path, "gsis"),
                          f"the table has {len(table.gsis)} GSIs; DynamoDB allows at most {MAX_GSIS}",
                          "merge indexes (overload their keys) or move access patterns to another table", "gsi.limit")
        defined = defined_names(draft, table)
        for gsi in table.gsis:
            yield from _projection(draft, gsi, defined)
