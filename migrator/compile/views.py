"""One MySQL view per entity, built as a sqlglot AST and generated for the target server.

The view's columns are exactly the item's attributes (named as the attributes), in
contract order. Values stay raw (the runtime encodes types), except where SQL must build
the value: joins, calculations, transformations and JSON construction. Temporal parts of
built text are ISO-8601 UTC with milliseconds, so keys never depend on a session's time
zone (readers run at +00:00). The semantics of every pattern: docs/patterns.md.
"""

from __future__ import annotations

from sqlglot import exp

from migrator.compile.calculations import CalculationCompiler
from migrator.compile.hierarchies import MAX_TABLES, HierarchyCompiler
from migrator.compile.joins import JoinCompiler
from migrator.compile.paths import PathCompiler
from migrator.sql.fragments import split_order
from migrator.compile.transformations import TransformationCompiler
from migrator.compile.types import TypeCompiler
from migrator.compile.view_core import (BASE, PLACEHOLDER, CompileError, Entity, Namespace, ViewSpec, fn,
                                        iso_timestamp)
from migrator.findings import Finding, Severity
from migrator.mysql_schema import SchemaInfo, ServerInfo
from migrator.sql.dialect import generate

__all__ = ["BASE", "PLACEHOLDER", "CompileError", "Entity", "Namespace", "ViewBuilder", "ViewSpec", "compile_view",
           "fn", "iso_timestamp", "split_order"]


class ViewBuilder(PathCompiler, JoinCompiler, CalculationCompiler, TransformationCompiler, HierarchyCompiler, TypeCompiler):
    """Every pattern compiler over one shared core; `build` assembles the SELECT."""

    def build(self, name: str, table: str, entity: str | None = None) -> ViewSpec | None:
        select: list[exp.Expr] = []
        for attr in self.entity.attributes:
            try:
                select.append(exp.alias_(self.typed(attr, self.value(attr)), attr.name, quoted=True))
            except CompileError as err:
                if err.finding not in self.findings:
                    self.findings.append(err.finding)
        try:
            source = self.source()
        except CompileError as err:   # each attribute met it already, unless there is none
            if err.finding not in self.findings:
                self.findings.append(err.finding)
            return None
        if len(self.joins) + 1 > MAX_TABLES:
            self.findings.append(CompileError(
                self.entity.path, f"the view of {self.entity.owner} joins {len(self.joins) + 1} tables, more than the "
                f"{MAX_TABLES} MySQL and MariaDB join in one SELECT", "lower a hierarchy's max_depth, or split the "
                "attributes over fewer joins", "view.too_many_tables").finding)
        if any(f.severity is Severity.ERROR for f in self.findings):
            return None
        query = exp.select(*select).from_(exp.alias_(exp.to_table(source.name, quoted=True), BASE, table=True,
                                                     quoted=True))
        for join in self.joins:
            query = query.join(join.node)
        sql = generate(query, pretty=True)
        return ViewSpec(name=name, table=table, select_sql=sql, columns=tuple(a.name for a in self.entity.attributes),
                        entity=entity, source_table=source.name, joins=tuple(self.joins),
                        encodings=tuple(sorted(self.encodings.items())))


def compile_view(entity: Entity, name: str, table: str, schema: SchemaInfo, server: ServerInfo,
                 entity_type: str | None = None) -> tuple[ViewSpec | None, list[Finding]]:
    builder = ViewBuilder(entity, schema, server)
    spec = builder.build(name, table, entity_type)
    return spec, builder.findings

