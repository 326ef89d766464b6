"""Global secondary indexes: how many a table may have and what each projects."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.edits import Edit, Remove, SetValue
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
                      "use projection ALL (it copies every attribute), or list the non-key attributes to copy into "
                      "the index", "gsi.projection", SetValue(child(gsi.path, "projection"), "ALL"))
    elif projection in ("ALL", "KEYS_ONLY") and given and projected:
        yield Finding(W, projected_path, f"`projected_attributes` are ignored with projection {projection}",
                      "remove them, or use projection INCLUDE", "gsi.projection_ignored", Remove(projected_path))
    elif projection == "INCLUDE" and given:
        for k, name in enumerate(projected):
            if name not in defined:
                at = child(projected_path, k)
                close = near(name, defined)
                edit: Edit | None
                if close is not None:
                    fix, edit = f"did you mean `{close}`?", SetValue(at, close)
                elif len(projected) > 1:
                    fix, edit = "remove it or define the attribute", Remove(at)
                else:   # INCLUDE with no projected attributes is an error of its own
                    fix, edit = "define the attribute, or name another one to project", None
                yield Finding(W, at, f"no attribute named `{name}` to project", fix, "gsi.projected_undefined",
                              edit)


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        if len(table.gsis) > MAX_GSIS:
            yield Finding(E, child(table.path, "gsis"),
                          f"the table has {len(table.gsis)} GSIs; DynamoDB allows at most {MAX_GSIS}",
                          "merge indexes (overload their keys) or move access patterns to another table", "gsi.limit")
        defined = defined_names(draft, table)
        for gsi in table.gsis:
            yield from _projection(draft, gsi, defined)
