"""Live lint of key attributes against the MySQL schema: types that disagree with their
column (the rule is `contract.lint.keys.column_type_findings`), keys from nullable
columns, and templates that the entity's own key overrides but that name nothing."""

from __future__ import annotations

from migrator.compile.views import PLACEHOLDER, Entity
from migrator.contract.lint.keys import column_type_findings
from migrator.contract.model import Table
from migrator.findings import Finding, Severity
from migrator.mysql_schema import SchemaInfo


def key_findings(table: Table, entity: Entity, schema: SchemaInfo, templates: dict[str, str] | None = None) -> list[Finding]:
    out: list[Finding] = []
    source = schema.tables.get(entity.source_table) or next(
        (t for n, t in schema.tables.items() if n.lower() == entity.source_table.lower()), None)
    if source is None:
        return out
    table_keys = [k for k in (table.pk, table.sk) if k]
    index_keys = [k for g in table.gsis for k in (g.pk, g.sk) if k]
    for name in dict.fromkeys(table_keys + index_keys):
        attr = entity.attribute(name)
        if attr is None or attr.calculation is not None or attr.transformation is not None:
            continue
        column = source.column(attr.column)
        if column is None:
            continue
        where = f"{source.name}.{column.name}"
        if attr.join is None:
            out += column_type_findings(attr, name, column.data_type, where)
        covered = attr.join is not None and (attr.join.type == "conditional" or attr.join.null_value is not None)
        if name in table_keys and column.nullable and not covered:
            via = " through a join" if attr.join is not None else ""
            out.append(Finding(Severity.WARNING, attr.path, f"table key '{name}' comes{via} from the nullable column "
                               f"{where}; rows where it is NULL have no key and will be rejected",
                               "make the column NOT NULL, or build the key from columns that are always set",
                               "key.nullable"))
    for label, template in (templates or {}).items():
        for placeholder in PLACEHOLDER.findall(template):
            ref = placeholder.strip()
            if entity.attribute(ref) is None and source.column(ref) is None:
                out.append(Finding(Severity.WARNING, f"{entity.path}.{label}", f"{label} '{template}' names {{{ref}}}, "
                                   f"which is no attribute of {entity.owner} and no column of {source.name}; the "
                                   "entity's own key attribute is used instead",
                                   "fix the template to match the key attribute", "template.unresolved"))
    return out
