"""One MySQL view per entity, built as a sqlglot AST and generated for the target server.

The view's columns are exactly the item's attributes (named as the attributes), in
contract order. Values stay raw (the runtime encodes types), except where SQL must build
the value: joins, and `string-format` templates (which format temporal parts as
ISO-8601 UTC so keys never depend on a session's time zone — readers run at +00:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from migrator.compile.fragments import FragmentError, parse_fragment, rewrite_columns
from migrator.contract.model import Attribute, Finding, Join, Severity, Table
from migrator.mcp.facades import SchemaInfo, ServerInfo, TableInfo

BASE = "t0"
TEMPORAL = {"datetime", "timestamp", "date", "time", "year"}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class ViewSpec:
    name: str
    table: str
    select_sql: str
    columns: tuple[str, ...]


class CompileError(Exception):
    """Raised inside the builder; collected as an error Finding at `path`."""

    def __init__(self, path: str, message: str, fix: str | None = None, code: str = "compile") -> None:
        super().__init__(message)
        self.finding = Finding(Severity.ERROR, path, message, fix, code)


@dataclass
class ViewBuilder:
    table: Table
    schema: SchemaInfo
    server: ServerInfo
    findings: list[Finding] = field(default_factory=list)
    joins: list[exp.Join] = field(default_factory=list)
    _join_alias: dict[str, str] = field(default_factory=dict)
    _values: dict[str, exp.Expression] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)

    # -- schema lookups ----------------------------------------------------------------

    def source(self) -> TableInfo:
        info = self._table_info(self.table.source_table)
        if info is None:
            raise CompileError(f"{self.table.path}.source_table",
                               f"MySQL table '{self.table.source_table}' does not exist in database "
                               f"'{self.schema.database}'", "fix the name or load the schema first", "schema.table")
        return info

    def _table_info(self, name: str) -> TableInfo | None:
        found = self.schema.tables.get(name)
        if found is None:
            found = next((t for n, t in self.schema.tables.items() if n.lower() == name.lower()), None)
        return found

    def _column(self, table: TableInfo, column: str, path: str) -> str:
        col = table.column(column)
        if col is None:
            near = ", ".join(c.name for c in table.columns[:12])
            raise CompileError(path, f"column '{column}' does not exist in MySQL table '{table.name}'",
                               f"use one of: {near}", "schema.column")
        return col.name

    # -- attributes --------------------------------------------------------------------

    def value(self, attr: Attribute) -> exp.Expression:
        """The SQL expression of an attribute's value (memoised; cycles are errors)."""
        if attr.name in self._values:
            return self._values[attr.name]
        if attr.name in self._resolving:
            raise CompileError(attr.path, f"attribute '{attr.name}' refers to itself through its placeholders",
                               "break the cycle", "template.cycle")
        self._resolving.add(attr.name)
        try:
            expr = self._transformed(attr, self._base_value(attr))
        finally:
            self._resolving.discard(attr.name)
        self._values[attr.name] = expr
        return expr

    def _base_value(self, attr: Attribute) -> exp.Expression:
        if attr.calculation is not None:
            raise CompileError(f"{attr.calculation.path}.type",
                               f"calculation '{attr.calculation.type}' is not supported by this version of migrator",
                               "remove it or compute the value in a MySQL view", "unsupported.calculation")
        if attr.join is not None:
            return self._join_value(attr, attr.join)
        source = self.source()
        if attr.source_table.lower() != source.name.lower():
            raise CompileError(f"{attr.path}.source_table",
                               f"attribute '{attr.name}' reads table '{attr.source_table}' without a join; "
                               f"a plain attribute reads its own source table '{source.name}'",
                               "add a join or set source_table to the entity's table", "attribute.source_table")
        column = self._column(source, attr.column, f"{attr.path}.source_column")
        return exp.column(column, table=BASE, quoted=True)

    def _transformed(self, attr: Attribute, base: exp.Expression) -> exp.Expression:
        tf = attr.transformation
        if tf is None:
            return base
        if tf.type != "string-format":
            raise CompileError(f"{tf.path}.type", f"transformation '{tf.type}' is not supported by this version of migrator",
                               "use string-format, or remove the transformation", "unsupported.transformation")
        if tf.format is None:
            raise CompileError(f"{tf.path}.format", "string-format needs a 'format'", 'e.g. "CUSTOMER#{id}"',
                               "transformation.format")
        return self._format(attr, tf.format, base, f"{tf.path}.format")

    def _format(self, attr: Attribute, template: str, own: exp.Expression, path: str) -> exp.Expression:
        """CONCAT of literal parts and placeholder values; a template with no placeholder is a constant."""
        if template.count("{") != template.count("}"):
            raise CompileError(path, f"unbalanced braces in '{template}'", "write placeholders as {name}",
                               "template.braces")
        parts: list[exp.Expression] = []
        last = 0
        for m in PLACEHOLDER.finditer(template):
            if m.start() > last:
                parts.append(exp.Literal.string(template[last:m.start()]))
            parts.append(self._placeholder(attr, m.group(1).strip(), own, path))
            last = m.end()
        if last < len(template):
            parts.append(exp.Literal.string(template[last:]))
        if not parts:
            return exp.Literal.string("")
        if len(parts) == 1 and isinstance(parts[0], exp.Literal):
            return parts[0]
        return exp.func("CONCAT", *parts)

    def _placeholder(self, attr: Attribute, name: str, own: exp.Expression, path: str) -> exp.Expression:
        """Attribute names first, then columns of the source table (CONTRACT.md)."""
        if name == attr.name:
            return self._as_text(own)
        other = self.table.attribute(name)
        if other is not None:
            return self._as_text(self.value(other))
        source = self.source()
        col = source.column(name)
        if col is None:
            raise CompileError(path, f"placeholder {{{name}}} matches no attribute of table '{self.table.name}' "
                               f"and no column of '{source.name}'", "name an attribute or a column", "template.placeholder")
        return self._as_text(exp.column(col.name, table=BASE, quoted=True))

    def _as_text(self, expr: exp.Expression) -> exp.Expression:
        """Temporal columns as ISO-8601 UTC with milliseconds, like the runtime encodes them."""
        kind = self._column_type(expr)
        if kind in {"datetime", "timestamp"}:
            return exp.func("CONCAT", exp.func("DATE_FORMAT", expr, exp.Literal.string("%Y-%m-%dT%H:%i:%s.")),
                            exp.func("LPAD", exp.func("FLOOR", exp.Div(this=exp.func("MICROSECOND", expr),
                                                                         expression=exp.Literal.number(1000))),
                                     exp.Literal.number(3), exp.Literal.string("0")),
                            exp.Literal.string("Z"))
        if kind == "date":
            return exp.func("DATE_FORMAT", expr, exp.Literal.string("%Y-%m-%d"))
        return expr

    def _column_type(self, expr: exp.Expression) -> str | None:
        if not isinstance(expr, exp.Column):
            return None
        alias = expr.table
        table_name = self.table.source_table if alias == BASE else next(
            (t for t, a in self._join_alias.items() if a == alias), None)
        info = self._table_info(table_name) if table_name else None
        col = info.column(expr.name) if info else None
        return col.data_type.lower() if col else None

    # -- joins -------------------------------------------------------------------------

    def _join_value(self, attr: Attribute, join: Join) -> exp.Expression:
        if join.type != "foreign-key":
            raise CompileError(f"{join.path}.type", f"join type '{join.type}' is not supported by this version of migrator",
                               "use a foreign-key join, or remove the join", "unsupported.join")
        source = self.source()
        target_name = join.target_table or ""
        target = self._table_info(target_name)
        if target is None:
            raise CompileError(f"{join.path}.target_table", f"MySQL table '{target_name}' does not exist",
                               "fix the table name", "schema.table")
        if target.name.lower() == source.name.lower():
            raise CompileError(f"{join.path}.target_table",
                               "a foreign-key join to the source table itself is ambiguous in this version",
                               "use a self-join with a join_alias", "join.self_reference")
        alias = f"j{len(self.joins) + 1}"
        tables = {source.name.lower(): (BASE, source), target.name.lower(): (alias, target)}
        cond = self._fragment(join.join_condition, f"{join.path}.join_condition", tables, default=None)
        select = self._fragment(join.select_column, f"{join.path}.select_column", tables, default=alias)
        self._join_alias[target.name] = alias
        self.joins.append(exp.Join(this=exp.alias_(exp.to_table(target.name, quoted=True), alias, table=True,
                                                   quoted=True), on=cond, side="LEFT"))
        return select

    def _fragment(self, text: str | None, path: str, tables: dict[str, tuple[str, TableInfo]],
                  default: str | None) -> exp.Expression:
        if text is None:
            raise CompileError(path, "is missing", None, "schema.required")
        try:
            frag = parse_fragment(text)
        except FragmentError as exc:
            raise CompileError(path, f"'{text}' {exc}", None, "sql.unsafe") from None

        def resolve(col: exp.Column) -> str:
            if col.table:
                entry = tables.get(col.table.lower())
                if entry is None:
                    raise CompileError(path, f"'{text}' names table '{col.table}', which is not part of this join",
                                       "use the source or the target table", "sql.table")
                self._column(entry[1], col.name, path)
                return entry[0]
            owners = [alias for alias, info in tables.values() if info.column(col.name) is not None]
            if default is not None and default in owners:
                return default
            if len(owners) == 1:
                return owners[0]
            if not owners:
                raise CompileError(path, f"column '{col.name}' in '{text}' exists in neither joined table",
                                   "qualify it with its table", "schema.column")
            raise CompileError(path, f"column '{col.name}' in '{text}' is ambiguous", "qualify it with its table",
                               "sql.ambiguous")

        try:
            return rewrite_columns(frag.tree, resolve)
        except CompileError:
            raise

    # -- the view ----------------------------------------------------------------------

    def build(self, name: str) -> ViewSpec | None:
        select: list[exp.Expression] = []
        for attr in self.table.attributes:
            try:
                select.append(exp.alias_(self.value(attr), attr.name, quoted=True))
            except CompileError as err:
                self.findings.append(err.finding)
        try:
            source = self.source()
        except CompileError as err:
            self.findings.append(err.finding)
            return None
        if any(f.severity is Severity.ERROR for f in self.findings):
            return None
        query = exp.select(*select).from_(exp.alias_(exp.to_table(source.name, quoted=True), BASE, table=True,
                                                     quoted=True))
        for join in self.joins:
            query = query.join(join)
        sql = query.sql(dialect="mysql", pretty=True, identify=True)
        return ViewSpec(name=name, table=self.table.name, select_sql=sql,
                        columns=tuple(a.name for a in self.table.attributes))


def compile_view(table: Table, name: str, schema: SchemaInfo, server: ServerInfo) -> tuple[ViewSpec | None, list[Finding]]:
    builder = ViewBuilder(table, schema, server)
    spec = builder.build(name)
    return spec, builder.findings
