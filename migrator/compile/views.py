"""One MySQL view per entity, built as a sqlglot AST and generated for the target server.

The view's columns are exactly the item's attributes (named as the attributes), in
contract order. Values stay raw (the runtime encodes types), except where SQL must build
the value: joins, calculations, transformations and JSON construction. Temporal parts of
built text are ISO-8601 UTC with milliseconds, so keys never depend on a session's time
zone (readers run at +00:00). The semantics of every pattern: docs/patterns.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from migrator.compile.fragments import FragmentError, parse_fragment
from migrator.contract.model import Attribute, Calculation, Finding, Join, Severity, Transformation
from migrator.mcp.facades import SchemaInfo, ServerInfo, TableInfo

BASE = "t0"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DATE_UNITS = {"MICROSECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}
AGGREGATES = {"SUM", "COUNT", "AVG", "MIN", "MAX"}
#: date-format tokens, longest first, to MySQL DATE_FORMAT specifiers ("SSS": milliseconds).
DATE_TOKENS = (("YYYY", "%Y"), ("SSS", ""), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%i"), ("ss", "%s"))


@dataclass(frozen=True)
class ViewSpec:
    name: str
    table: str
    select_sql: str
    columns: tuple[str, ...]
    entity: str | None = None


class CompileError(Exception):
    """Raised inside the builder; collected as an error Finding at `path`."""

    def __init__(self, path: str, message: str, fix: str | None = None, code: str = "compile") -> None:
        super().__init__(message)
        self.finding = Finding(Severity.ERROR, path, message, fix, code)


@dataclass(frozen=True)
class Entity:
    """What one view is built from: a single-entity table, or one entity of a multi-entity table."""

    owner: str                 # "table Orders" / "entity USER of table Users", for messages
    source_table: str
    attributes: tuple[Attribute, ...]
    path: str

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


@dataclass
class Namespace:
    """What the names in one fragment may refer to: table names and aliases -> (alias, table)."""

    names: dict[str, tuple[str, TableInfo]]
    default: str | None = None  # alias preferred for an unqualified column found in several tables

    def tables(self) -> list[tuple[str, TableInfo]]:
        seen: dict[str, TableInfo] = {}
        for alias, info in self.names.values():
            seen.setdefault(alias, info)
        return list(seen.items())


@dataclass
class ViewBuilder:
    entity: Entity
    schema: SchemaInfo
    server: ServerInfo
    findings: list[Finding] = field(default_factory=list)
    joins: list[exp.Join] = field(default_factory=list)
    aliases: dict[str, TableInfo] = field(default_factory=dict)
    _values: dict[str, exp.Expression] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)
    _counter: int = 0

    # -- schema lookups ----------------------------------------------------------------

    def table_info(self, name: str | None, path: str) -> TableInfo:
        found = self.schema.tables.get(name or "")
        if found is None and name:
            found = next((t for n, t in self.schema.tables.items() if n.lower() == name.lower()), None)
        if found is None:
            raise CompileError(path, f"MySQL table '{name}' does not exist in database '{self.schema.database}'",
                               "fix the name, or create the table first", "schema.table")
        return found

    def source(self) -> TableInfo:
        info = self.table_info(self.entity.source_table, f"{self.entity.path}.source_table")
        self.aliases[BASE] = info
        return info

    def column_name(self, table: TableInfo, column: str, path: str) -> str:
        col = table.column(column)
        if col is None:
            near = ", ".join(c.name for c in table.columns[:12])
            raise CompileError(path, f"column '{column}' does not exist in MySQL table '{table.name}'",
                               f"use one of: {near}", "schema.column")
        return col.name

    def new_alias(self, info: TableInfo) -> str:
        self._counter += 1
        alias = f"j{self._counter}"
        self.aliases[alias] = info
        return alias

    def warn(self, path: str, message: str, fix: str | None = None, code: str = "lint") -> None:
        finding = Finding(Severity.WARNING, path, message, fix, code)
        if finding not in self.findings:
            self.findings.append(finding)

    # -- fragments -----------------------------------------------------------------------

    def fragment(self, text: str | None, path: str, ns: Namespace,
                 self_ref: Callable[[exp.Expression], exp.Expression] | None = None) -> exp.Expression:
        """Parse, check and rewrite a fragment onto aliases; every name is checked against the schema."""
        if text is None or (isinstance(text, str) and not text.strip()):
            raise CompileError(path, "is missing or empty", "write a MySQL expression", "schema.required")
        try:
            tree = parse_fragment(str(text)).tree
        except FragmentError as exc:
            raise CompileError(path, f"'{text}' {exc}", None, "sql.unsafe") from None
        if self_ref is not None:
            tree = self_ref(tree)
        known = {a for a, _ in ns.tables()}

        def visit(node: exp.Expression) -> exp.Expression:
            if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
                return node
            return exp.column(node.name and self._resolve(node, ns, known, text, path), table=self._alias_of(node, ns, known, text, path), quoted=True)

        return tree.transform(visit)

    def _alias_of(self, col: exp.Column, ns: Namespace, known: set[str], text: str, path: str) -> str:
        if col.table:
            if col.table in known:
                return col.table
            entry = ns.names.get(col.table.lower())
            if entry is not None:
                return entry[0]
            # A qualifier that is no table of this join: if exactly one joined table has the
            # column, read it from there (workshop contracts write `parent.name`), with a warning.
            joined = [(a, i) for a, i in ns.tables() if a != BASE and i.column(col.name) is not None]
            if len(joined) == 1 and col.table.lower() not in {n.lower() for n in self.schema.tables}:
                self.warn(path, f"'{text}' names '{col.table}', which is not a table of this join; read as the "
                          f"joined {joined[0][1].name} row", f"write {joined[0][1].name}.{col.name} or use a join_alias",
                          "sql.alias_guess")
                return joined[0][0]
            raise CompileError(path, f"'{text}' names table '{col.table}', which is not part of this join",
                               "name the source table or the joined table", "sql.table")
        owners = [a for a, info in ns.tables() if info.column(col.name) is not None]
        if ns.default is not None and ns.default in owners:
            return ns.default
        if len(owners) == 1:
            return owners[0]
        if not owners:
            raise CompileError(path, f"column '{col.name}' in '{text}' exists in none of the tables of this "
                               "expression", "fix the name or qualify it with its table", "schema.column")
        raise CompileError(path, f"column '{col.name}' in '{text}' is ambiguous", "qualify it with its table",
                           "sql.ambiguous")

    def _resolve(self, col: exp.Column, ns: Namespace, known: set[str], text: str, path: str) -> str:
        alias = self._alias_of(col, ns, known, text, path)
        return self.column_name(self.aliases[alias], col.name, path)

    def self_reference(self, text: str, path: str, table: TableInfo, joined: str,
                       to_many: bool) -> Callable[[exp.Expression], exp.Expression]:
        """Rewrite `t.a = t.b` where both sides name the source table (see docs/patterns.md)."""
        name = table.name.lower()
        pk = {c.lower() for c in table.primary_key}

        def rewrite(tree: exp.Expression) -> exp.Expression:
            def visit(node: exp.Expression) -> exp.Expression:
                if not isinstance(node, exp.EQ):
                    return node
                a, b = node.this, node.expression
                if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
                    return node
                if (a.table or name).lower() != name or (b.table or name).lower() != name:
                    return node
                a_pk, b_pk = a.name.lower() in pk, b.name.lower() in pk
                if a.name.lower() == b.name.lower():
                    first, second = a, b  # symmetric: the same row's column on both sides
                elif a_pk != b_pk:
                    first, second = (a, b) if a_pk else (b, a)
                else:
                    raise CompileError(path, f"'{text}' names {table.name} on both sides and neither side is its "
                                       "primary key, so which row is which cannot be decided",
                                       "use a self-join with a join_alias", "join.self_reference")
                pk_side, other = (BASE, joined) if to_many else (joined, BASE)
                how = ("the side naming the primary key is the entity's own row" if to_many
                       else "the side naming the primary key is the joined row")
                label = {BASE: table.name, joined: "joined"}
                self.warn(path, f"'{text}' names {table.name} on both sides; read as "
                          f"{label[pk_side]}.{first.name} = {label[other]}.{second.name} ({how})",
                          "use a join_alias to say it explicitly", "join.self_reference")
                return exp.EQ(this=exp.column(first.name, table=pk_side), expression=exp.column(second.name, table=other))
            return tree.transform(visit)

        return rewrite

    # -- attributes ----------------------------------------------------------------------

    def value(self, attr: Attribute) -> exp.Expression:
        """The SQL expression of an attribute's value (memoised; cycles are errors)."""
        if attr.name in self._values:
            return self._values[attr.name]
        if attr.name in self._resolving:
            raise CompileError(attr.path, f"attribute '{attr.name}' refers to itself through its placeholders",
                               "break the cycle", "template.cycle")
        self._resolving.add(attr.name)
        try:
            expr = self.transformed(attr, lambda: self.base_value(attr))
        finally:
            self._resolving.discard(attr.name)
        self._values[attr.name] = expr
        return expr

    def base_value(self, attr: Attribute) -> exp.Expression:
        if attr.join is not None and attr.calculation is not None:
            self.warn(attr.path, f"attribute '{attr.name}' has both a join and a calculation; the calculation is used",
                      "remove one of them", "attribute.join_and_calculation")
        if attr.calculation is not None:
            return self.calculation(attr, attr.calculation)
        if attr.join is not None:
            return self.join_value(attr, attr.join)
        source = self.source()
        if attr.source_table.lower() != source.name.lower():
            raise CompileError(f"{attr.path}.source_table",
                               f"attribute '{attr.name}' reads table '{attr.source_table}' without a join; "
                               f"a plain attribute reads its own source table '{source.name}'",
                               "add a join or set source_table to the entity's table", "attribute.source_table")
        column = self.column_name(source, attr.column, f"{attr.path}.source_column")
        return exp.column(column, table=BASE, quoted=True)

    def base_namespace(self) -> Namespace:
        source = self.source()
        return Namespace({source.name.lower(): (BASE, source), BASE: (BASE, source)}, default=BASE)

    # -- transformations -----------------------------------------------------------------

    def transformed(self, attr: Attribute, base_value: Callable[[], exp.Expression]) -> exp.Expression:
        """The transformation over the attribute's value; a string-format computes that value
        only when it names the attribute itself (a constant such as "#META" reads nothing)."""
        tf = attr.transformation
        if tf is None:
            return base_value()
        if tf.type == "string-format":
            if tf.format is None:
                raise CompileError(f"{tf.path}.format", "string-format needs a 'format'", 'e.g. "CUSTOMER#{id}"',
                                   "transformation.format")
            return self.template(tf.format, f"{tf.path}.format", own=(attr.name, base_value))
        base = base_value()
        if tf.type == "date-format":
            return self.date_format(tf, base)
        if tf.type == "number-format":
            return self.number_format(attr, tf, base)
        if tf.type == "json-parse":
            if attr.type not in ("M", "L"):
                self.warn(f"{tf.path}.type", f"json-parse gives a map or a list, but '{attr.name}' is declared "
                          f"{attr.type}", "declare it M or L", "transformation.json_type")
            return base
        raise CompileError(f"{tf.path}.type", f"unknown transformation '{tf.type}'",
                           "use string-format, date-format, number-format or json-parse", "transformation.type")

    def template(self, template: str, path: str,
                 own: tuple[str, Callable[[], exp.Expression]] | None = None) -> exp.Expression:
        """CONCAT of literal parts and placeholders; a template with no placeholder is a constant."""
        if template.count("{") != template.count("}"):
            raise CompileError(path, f"unbalanced braces in '{template}'", "write placeholders as {name}",
                               "template.braces")
        parts: list[exp.Expression] = []
        last = 0
        for m in PLACEHOLDER.finditer(template):
            if m.start() > last:
                parts.append(exp.Literal.string(template[last:m.start()]))
            parts.append(self.placeholder(m.group(1).strip(), path, own))
            last = m.end()
        if last < len(template):
            parts.append(exp.Literal.string(template[last:]))
        if not parts:
            return exp.Literal.string("")
        if len(parts) == 1 and isinstance(parts[0], exp.Literal):
            return parts[0]
        return fn("CONCAT", *parts)

    def placeholder(self, name: str, path: str, own: tuple[str, Callable[[], exp.Expression]] | None) -> exp.Expression:
        """The entity's attributes first, then columns of its source table (CONTRACT.md)."""
        if own is not None and name == own[0]:
            return self.as_text(own[1]())
        other = self.entity.attribute(name)
        if other is not None:
            return self.as_text(self.value(other))
        source = self.source()
        col = source.column(name)
        if col is None:
            raise CompileError(path, f"placeholder {{{name}}} matches no attribute of {self.entity.owner} and no "
                               f"column of '{source.name}'", "name an attribute or a column", "template.placeholder")
        return self.as_text(exp.column(col.name, table=BASE, quoted=True))

    def column_type(self, expr: exp.Expression) -> str | None:
        if isinstance(expr, exp.Column) and expr.table in self.aliases:
            col = self.aliases[expr.table].column(expr.name)
            return col.data_type.lower() if col else None
        return None

    def as_text(self, expr: exp.Expression) -> exp.Expression:
        """Temporal columns as ISO-8601 UTC with milliseconds, like the runtime encodes them."""
        kind = self.column_type(expr)
        if kind in {"datetime", "timestamp"}:
            return iso_timestamp(expr)
        if kind == "date":
            return fn("DATE_FORMAT", expr, exp.Literal.string("%Y-%m-%d"))
        return expr

    def date_format(self, tf: Transformation, base: exp.Expression) -> exp.Expression:
        value = base
        source = (tf.source_format or "timestamp").lower()
        if source == "epoch_seconds":
            value = fn("FROM_UNIXTIME", base)
        elif source == "epoch_millis":
            value = fn("FROM_UNIXTIME", exp.Div(this=base, expression=exp.Literal.number(1000)))
        elif source not in ("timestamp", "date", "datetime"):
            raise CompileError(f"{tf.path}.source_format", f"unknown source_format '{tf.source_format}'",
                               "use timestamp, date, epoch_seconds or epoch_millis", "transformation.source_format")
        fmt = tf.format or "ISO8601"
        if fmt.upper() in ("ISO8601", "ISO-8601", "ISO"):
            return iso_timestamp(value)
        parts: list[exp.Expression] = []
        for kind, text in date_format_tokens(fmt):
            if kind == "ms":
                parts.append(milliseconds(value))
            elif parts and isinstance(parts[-1], exp.Anonymous) and parts[-1].name == "DATE_FORMAT":
                previous = parts.pop()
                parts.append(fn("DATE_FORMAT", value, exp.Literal.string(previous.expressions[1].this + text)))
            else:
                parts.append(fn("DATE_FORMAT", value, exp.Literal.string(text)))
        if len(parts) == 1:
            return parts[0]
        return fn("CONCAT", *parts)

    def number_format(self, attr: Attribute, tf: Transformation, base: exp.Expression) -> exp.Expression:
        value = base
        if tf.decimals is not None:
            if not isinstance(tf.decimals, int) or not 0 <= tf.decimals <= 30:
                raise CompileError(f"{tf.path}.decimals", "decimals must be a whole number from 0 to 30", None,
                                   "transformation.decimals")
            value = exp.Cast(this=fn("ROUND", value, exp.Literal.number(tf.decimals)),
                             to=exp.DataType.build(f"DECIMAL(65, {tf.decimals})"))
        if tf.pad is not None:
            if not isinstance(tf.pad, int) or not 1 <= tf.pad <= 64:
                raise CompileError(f"{tf.path}.pad", "pad must be a whole number from 1 to 64", None,
                                   "transformation.pad")
            value = zero_pad(value, tf.pad)
            if attr.type == "N":
                self.warn(f"{tf.path}.pad", f"zero-padding makes text, but '{attr.name}' is declared N (the padding "
                          "is lost)", "declare it S", "transformation.pad_type")
        elif tf.decimals is not None and attr.type == "S":
            value = exp.Cast(this=value, to=exp.DataType.build("CHAR"))
        if tf.decimals is None and tf.pad is None:
            self.warn(tf.path, "number-format without decimals or pad changes nothing", "add decimals or pad",
                      "transformation.noop")
        return value

    # -- joins ---------------------------------------------------------------------------

    def join_value(self, attr: Attribute, join: Join) -> exp.Expression:
        handler = {"foreign-key": self.to_one_join, "lookup-table": self.to_one_join,
                   "multi-column": self.to_one_join, "self-join": self.self_join, "conditional": self.conditional,
                   "chain": self.chain, "json-construction": self.json_construction}.get(join.type)
        if handler is None:
            raise CompileError(f"{join.path}.type", f"unknown join type '{join.type}'", None, "join.type")
        return handler(attr, join)

    def _join_to(self, join: Join, target_name: str | None, path: str, to_many: bool = False,
                 conditions: Sequence[str] | None = None, alias: str | None = None,
                 extra: dict[str, tuple[str, TableInfo]] | None = None) -> tuple[str, Namespace, exp.Expression]:
        """Add `LEFT JOIN target AS jN ON ...`; returns (alias, namespace for the value, condition)."""
        source = self.source()
        target = self.table_info(target_name, f"{path}.target_table")
        jn = self.new_alias(target)
        names: dict[str, tuple[str, TableInfo]] = dict(extra or {})
        names.update({source.name.lower(): (BASE, source), BASE: (BASE, source)})
        same = target.name.lower() == source.name.lower()
        if alias:
            names[alias.lower()] = (jn, target)
        if not same or alias:
            names[target.name.lower()] = names.get(target.name.lower(), (jn, target)) if same else (jn, target)
        names[jn] = (jn, target)
        ns = Namespace(names, default=jn)
        texts = list(conditions) if conditions is not None else [join.join_condition]  # type: ignore[list-item]
        cond_paths = ([f"{path}.join_conditions[{i}]" for i in range(len(texts))] if conditions is not None
                      else [f"{path}.join_condition"])
        parts = []
        for text, cpath in zip(texts, cond_paths):
            self_ref = (self.self_reference(str(text), cpath, source, jn, to_many) if same and not alias else None)
            parts.append(self.fragment(text, cpath, Namespace(names, default=None), self_ref))
        if not parts:
            raise CompileError(f"{path}.join_conditions", "no join condition", "give at least one", "join.condition")
        condition = parts[0]
        for part in parts[1:]:
            condition = exp.And(this=condition, expression=part)
        if same and not alias:
            ns = Namespace({**names, source.name.lower(): (jn, target)}, default=jn)
        return jn, ns, condition

    def _add_join(self, alias: str, info: TableInfo, condition: exp.Expression) -> None:
        self.joins.append(exp.Join(this=exp.alias_(exp.to_table(info.name, quoted=True), alias, table=True, quoted=True),
                                   on=condition, side="LEFT"))

    def to_one_join(self, attr: Attribute, join: Join) -> exp.Expression:
        conditions = list(join.join_conditions) if join.type == "multi-column" else None
        if join.type == "multi-column" and not conditions:
            raise CompileError(f"{join.path}.join_conditions", "multi-column join needs join_conditions",
                               "list the conditions", "join.condition")
        jn, ns, condition = self._join_to(join, join.target_table, join.path, conditions=conditions)
        self._add_join(jn, self.aliases[jn], condition)
        return self.fragment(join.select_column, f"{join.path}.select_column", ns)

    def self_join(self, attr: Attribute, join: Join) -> exp.Expression:
        if not join.join_alias:
            raise CompileError(f"{join.path}.join_alias", "a self-join needs a join_alias", "name the joined copy",
                               "join.alias")
        source = self.source()
        target = join.target_table or self.foreign_target(join, source) or source.name
        jn, ns, condition = self._join_to(join, target, join.path, alias=join.join_alias)
        self._add_join(jn, self.aliases[jn], condition)
        value = self.fragment(join.select_column, f"{join.path}.select_column", ns)
        if join.null_value is None:
            return value
        info = self.aliases[jn]
        probe = exp.column(info.primary_key[0] if info.primary_key else info.columns[0].name, table=jn, quoted=True)
        return exp.Case(ifs=[exp.If(this=exp.Is(this=probe, expression=exp.Null()),
                                    true=exp.Literal.string(str(join.null_value)))], default=value)

    def foreign_target(self, join: Join, source: TableInfo) -> str | None:
        """A self-join whose condition matches the alias's key to a foreign-key column of the
        source (`cat.id = products.category_id`, products.category_id -> categories.id) can only
        mean the referenced table: read it so, and say so."""
        try:
            tree = parse_fragment(str(join.join_condition)).tree
        except FragmentError:
            return None
        alias = (join.join_alias or "").lower()
        for eq in tree.find_all(exp.EQ):
            sides = [eq.this, eq.expression]
            if not all(isinstance(s, exp.Column) for s in sides):
                continue
            aliased = [s for s in sides if s.table.lower() == alias]
            based = [s for s in sides if s.table.lower() == source.name.lower()]
            if len(aliased) != 1 or len(based) != 1:
                continue
            for fk in source.foreign_keys:
                if [c.lower() for c in fk.columns] == [based[0].name.lower()] and \
                        [c.lower() for c in fk.referenced_columns] == [aliased[0].name.lower()] and \
                        fk.referenced_table.lower() != source.name.lower():
                    self.warn(f"{join.path}.join_condition",
                              f"this self-join matches {source.name}.{based[0].name}, a foreign key to "
                              f"{fk.referenced_table}.{fk.referenced_columns[0]}, with its own {aliased[0].name}; read "
                              f"as a join of {fk.referenced_table} under '{join.join_alias}'",
                              f'write a foreign-key join with "target_table": "{fk.referenced_table}"',
                              "join.self_join_foreign_key")
                    return fk.referenced_table
        return None

    def conditional(self, attr: Attribute, join: Join) -> exp.Expression:
        jn, ns, condition = self._join_to(join, join.target_table, join.path)
        self._add_join(jn, self.aliases[jn], condition)
        source = self.source()
        base_ns = Namespace({**ns.names, source.name.lower(): (BASE, source)}, default=BASE)
        when = self.fragment(join.condition, f"{join.path}.condition", base_ns)
        then = self.fragment(join.select_column, f"{join.path}.select_column", ns)
        other = self.fragment(join.else_value, f"{join.path}.else_value", base_ns)
        return exp.Case(ifs=[exp.If(this=when, true=then)], default=other)

    def chain(self, attr: Attribute, join: Join) -> exp.Expression:
        if not join.joins:
            raise CompileError(f"{join.path}.joins", "a chain needs at least one join", None, "join.chain")
        extra: dict[str, tuple[str, TableInfo]] = {}
        values: list[exp.Expression] = []
        for step in join.joins:
            step_join = Join(type="foreign-key", path=step.path, target_table=step.target_table,
                             join_condition=step.join_condition, select_column=step.select_column)
            target = self.table_info(step.target_table, f"{step.path}.target_table")
            if target.name.lower() in extra:
                raise CompileError(f"{step.path}.target_table", f"the chain joins '{target.name}' twice, so its "
                                   "columns are ambiguous", "split the chain", "join.chain")
            jn, ns, condition = self._join_to(step_join, step.target_table, step.path, extra=extra)
            self._add_join(jn, self.aliases[jn], condition)
            values.append(self.fragment(step.select_column, f"{step.path}.select_column", ns))
            extra[target.name.lower()] = (jn, target)
        if join.chain_separator is None:
            return values[-1]
        return fn("CONCAT_WS", exp.Literal.string(join.chain_separator), *[self.as_text(v) for v in values])

    def json_construction(self, attr: Attribute, join: Join) -> exp.Expression:
        c = join.construction
        path = f"{join.path}.construction"
        if c is None:
            raise CompileError(path, "json-construction needs a construction", None, "join.construction")
        if not c.select_columns:
            raise CompileError(f"{path}.select_columns", "select_columns is empty", "name at least one key",
                               "join.construction")
        source = self.source()
        target = self.table_info(join.target_table, f"{join.path}.target_table")
        jn = self.new_alias(target)
        names = {source.name.lower(): (BASE, source), BASE: (BASE, source), jn: (jn, target)}
        same = target.name.lower() == source.name.lower()
        if not same:
            names[target.name.lower()] = (jn, target)
        self_ref = self.self_reference(str(join.join_condition), f"{join.path}.join_condition", source, jn,
                                       to_many=c.type == "array") if same else None
        where = self.fragment(join.join_condition, f"{join.path}.join_condition", Namespace(names), self_ref)
        value_ns = Namespace({**names, source.name.lower(): (jn, target)} if same else names, default=jn)
        pairs: list[exp.Expression] = []
        for key, text in c.select_columns:
            pairs += [exp.Literal.string(key), self.as_text(self.fragment(text, f"{path}.select_columns.{key}", value_ns))]
        obj = fn("JSON_OBJECT", *pairs)
        order = self.order_by(c.order_by, f"{path}.order_by", value_ns, jn, target)
        table = exp.alias_(exp.to_table(target.name, quoted=True), jn, table=True, quoted=True)
        if c.type == "object":
            query = exp.select(obj).from_(table).where(where).order_by(*order).limit(1)
            return exp.Subquery(this=query)
        if c.type != "array":
            raise CompileError(f"{path}.type", f"construction type '{c.type}' is not array or object", None,
                               "join.construction")
        limit = None
        if c.limit is not None:
            if int(c.limit) != c.limit or c.limit < 0:
                raise CompileError(f"{path}.limit", "limit must be a whole number >= 0", None, "join.construction")
            limit = int(c.limit)
        if self.server.flavour == "mariadb":
            ordered = _aggregate_with_order(obj, order, limit)
            query = exp.select(fn("COALESCE", ordered, fn("JSON_ARRAY"))).from_(table).where(where)
            return exp.Subquery(this=query)
        # MySQL 8 has no ORDER BY / LIMIT inside JSON_ARRAYAGG: number the rows in a derived
        # table, keep the first `limit`, and concatenate in order with GROUP_CONCAT.
        numbered = exp.select(exp.Star()).from_(table).where(where)
        numbered = numbered.select(exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=order)),
                                              "__rn"), append=True)
        derived = exp.alias_(exp.Subquery(this=numbered), jn, table=True)
        concat = exp.GroupConcat(this=exp.Order(this=obj, expressions=[exp.Ordered(this=exp.column("__rn", table=jn),
                                                                                     nulls_first=True)]),
                                 separator=exp.Literal.string(","))
        array = exp.Cast(this=fn("CONCAT", exp.Literal.string("["), concat, exp.Literal.string("]")),
                         to=exp.DataType.build("JSON"))
        query = exp.select(fn("COALESCE", array, fn("JSON_ARRAY"))).from_(derived)
        if limit is not None:
            query = query.where(exp.LTE(this=exp.column("__rn", table=jn), expression=exp.Literal.number(limit)))
        return exp.Subquery(this=query)

    def order_by(self, text: str | None, path: str, ns: Namespace, alias: str, target: TableInfo) -> list[exp.Ordered]:
        """The contract's order, then the target's primary key: ties always break the same way."""
        out: list[exp.Ordered] = []
        if text:
            for i, part in enumerate(_split_order(text)):
                desc = False
                body = part.strip()
                m = re.match(r"^(.*?)\s+(ASC|DESC)$", body, re.IGNORECASE)
                if m:
                    body, desc = m.group(1), m.group(2).upper() == "DESC"
                out.append(exp.Ordered(this=self.fragment(body, path, ns), desc=desc, nulls_first=not desc))
        keys = target.primary_key or tuple(c.name for c in target.columns)
        out += [exp.Ordered(this=exp.column(k, table=alias, quoted=True), nulls_first=True) for k in keys]
        return out

    # -- calculations --------------------------------------------------------------------

    def calculation(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        handler = {"aggregate": self.aggregate, "case": self.case, "concat": self.concat,
                   "date-math": self.date_math}.get(calc.type)
        if handler is None:
            raise CompileError(f"{calc.path}.type", f"unknown calculation '{calc.type}'", None, "calculation.type")
        return handler(attr, calc)

    def aggregate(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        op = (calc.operation or "").upper()
        if op not in AGGREGATES:
            raise CompileError(f"{calc.path}.operation", f"aggregate operation '{calc.operation}' is not one of "
                               + ", ".join(sorted(AGGREGATES)), None, "calculation.operation")
        source = self.source()
        target = self.table_info(calc.target_table, f"{calc.path}.target_table")
        jn = self.new_alias(target)
        same = target.name.lower() == source.name.lower()
        names = {source.name.lower(): (BASE, source), BASE: (BASE, source), jn: (jn, target)}
        if not same:
            names[target.name.lower()] = (jn, target)
        self_ref = self.self_reference(str(calc.join_condition), f"{calc.path}.join_condition", source, jn,
                                       to_many=True) if same else None
        where = self.fragment(calc.join_condition, f"{calc.path}.join_condition", Namespace(names), self_ref)
        value_ns = Namespace({**names, source.name.lower(): (jn, target)} if same else names, default=jn)
        column = self.fragment(calc.select_column or "*", f"{calc.path}.select_column", value_ns) \
            if calc.select_column not in (None, "*") else exp.Star()
        func = exp.func(op, column)
        table = exp.alias_(exp.to_table(target.name, quoted=True), jn, table=True, quoted=True)
        return exp.Subquery(this=exp.select(func).from_(table).where(where))

    def case(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        if not calc.cases:
            raise CompileError(f"{calc.path}.cases", "a case calculation needs cases", None, "calculation.case")
        ns = self.base_namespace()
        ifs = [exp.If(this=self.fragment(c.when, f"{calc.path}.cases[{i}].when", ns),
                      true=self.fragment(c.then, f"{calc.path}.cases[{i}].then", ns)) for i, c in enumerate(calc.cases)]
        default = self.fragment(calc.else_value, f"{calc.path}.else", ns) if calc.else_value is not None else None
        return exp.Case(ifs=ifs, default=default)

    def concat(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        if not calc.parts:
            raise CompileError(f"{calc.path}.parts", "a concat calculation needs parts", None, "calculation.concat")
        values: list[exp.Expression] = []
        source = self.source()
        for i, part in enumerate(calc.parts):
            ppath = f"{calc.path}.parts[{i}]"
            text = str(part)
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
                try:  # MySQL's literal rules (doubled quotes, backslash escapes), through the parser
                    literal = parse_fragment(text).tree
                except FragmentError as exc:
                    raise CompileError(ppath, f"{text} {exc}", None, "sql.unsafe") from None
                if not (isinstance(literal, exp.Literal) and literal.is_string):
                    raise CompileError(ppath, f"{text} is not one quoted literal", "quote the whole part once",
                                       "calculation.concat")
                values.append(literal)
            elif (other := self.entity.attribute(text)) is not None and other.name != attr.name:
                values.append(self.as_text(self.value(other)))
            else:
                column = self.column_name(source, text, ppath)
                values.append(self.as_text(exp.column(column, table=BASE, quoted=True)))
        return fn("CONCAT_WS", exp.Literal.string(calc.separator or ""), *values)

    def date_math(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        op = (calc.operation or "").lower()
        unit = (calc.unit or "").upper()
        if unit not in DATE_UNITS:
            raise CompileError(f"{calc.path}.unit", f"unit '{calc.unit}' is not one of " + ", ".join(sorted(DATE_UNITS)),
                               None, "calculation.unit")
        source = self.source()
        column = exp.column(self.column_name(source, attr.column, f"{attr.path}.source_column"), table=BASE, quoted=True)
        if op == "diff":
            if calc.other_column:
                other: exp.Expression = exp.column(self.column_name(source, calc.other_column,
                                                                    f"{calc.path}.other_column"), table=BASE, quoted=True)
            elif isinstance(calc.value, str) and calc.value.strip():
                other = exp.Literal.string(calc.value.strip())  # a date or datetime constant
            else:
                raise CompileError(f"{calc.path}.other_column", "diff needs other_column (or a date as value)", None,
                                   "calculation.date_math")
            return fn("TIMESTAMPDIFF", exp.var(unit), other, column)
        if op not in ("add", "subtract"):
            raise CompileError(f"{calc.path}.operation", f"date-math operation '{calc.operation}' is not add, "
                               "subtract or diff", None, "calculation.operation")
        if calc.other_column:
            amount: exp.Expression = exp.column(self.column_name(source, calc.other_column, f"{calc.path}.other_column"),
                                                table=BASE, quoted=True)
        elif isinstance(calc.value, (int, float)) and not isinstance(calc.value, bool):
            amount = exp.Literal.number(calc.value)
        elif isinstance(calc.value, str) and re.fullmatch(r"-?\d+(\.\d+)?", calc.value.strip()):
            amount = exp.Literal.number(calc.value.strip())
        else:
            raise CompileError(f"{calc.path}.value", "date-math needs a numeric value or other_column", None,
                               "calculation.date_math")
        interval = exp.Interval(this=amount, unit=exp.var(unit))
        return fn("DATE_ADD" if op == "add" else "DATE_SUB", column, interval)

    # -- the view ------------------------------------------------------------------------

    def build(self, name: str, table: str, entity: str | None = None) -> ViewSpec | None:
        select: list[exp.Expression] = []
        for attr in self.entity.attributes:
            try:
                select.append(exp.alias_(self.value(attr), attr.name, quoted=True))
            except CompileError as err:
                if err.finding not in self.findings:
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
        return ViewSpec(name=name, table=table, select_sql=sql, columns=tuple(a.name for a in self.entity.attributes),
                        entity=entity)


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A MySQL function call written as is: sqlglot's typed functions re-express some calls
    (CONCAT_WS gains a NULL guard, DATE_ADD doubles its INTERVAL), which changes meaning."""
    return exp.Anonymous(this=name, expressions=list(args))


def iso_timestamp(expr: exp.Expression) -> exp.Expression:
    return fn("CONCAT", fn("DATE_FORMAT", expr, exp.Literal.string("%Y-%m-%dT%H:%i:%s.")),
                    milliseconds(expr), exp.Literal.string("Z"))


def milliseconds(expr: exp.Expression) -> exp.Expression:
    return fn("LPAD", fn("FLOOR", exp.Div(this=fn("MICROSECOND", expr),
                                                       expression=exp.Literal.number(1000))),
                    exp.Literal.number(3), exp.Literal.string("0"))


def zero_pad(value: exp.Expression, width: int) -> exp.Expression:
    """The integer digits zero-padded to `width` (never cut), the sign first, the fraction kept:
    -7 -> '-007', 12345 -> '12345', 3.5 -> '003.5' (docs/patterns.md)."""
    text = exp.Cast(this=fn("ABS", value), to=exp.DataType.build("CHAR"))
    dot = fn("LOCATE", exp.Literal.string("."), text.copy())
    whole = fn("SUBSTRING_INDEX", text.copy(), exp.Literal.string("."), exp.Literal.number(1))
    fraction = exp.Case(ifs=[exp.If(this=exp.GT(this=dot, expression=exp.Literal.number(0)),
                                    true=fn("SUBSTRING", text.copy(), dot.copy()))], default=exp.Literal.string(""))
    padded = exp.Case(ifs=[exp.If(this=exp.GTE(this=fn("CHAR_LENGTH", whole.copy()), expression=exp.Literal.number(width)),
                                  true=whole.copy())],
                      default=fn("LPAD", whole.copy(), exp.Literal.number(width), exp.Literal.string("0")))
    sign = exp.Case(ifs=[exp.If(this=exp.LT(this=value.copy(), expression=exp.Literal.number(0)),
                                true=exp.Literal.string("-"))], default=exp.Literal.string(""))
    return fn("CONCAT", sign, padded, fraction)


def date_format_tokens(fmt: str) -> list[tuple[str, str]]:
    """Left to right, the longest token at each position: ("spec", DATE_FORMAT text) or ("ms", "")."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        for token, spec in DATE_TOKENS:
            if fmt.startswith(token, i):
                out.append(("ms", "") if token == "SSS" else ("spec", spec))
                i += len(token)
                break
        else:
            out.append(("spec", fmt[i].replace("%", "%%")))
            i += 1
    return out


def _aggregate_with_order(obj: exp.Expression, order: list[exp.Ordered], limit: int | None) -> exp.Expression:
    """MariaDB's `JSON_ARRAYAGG(expr ORDER BY ... LIMIT n)`."""
    body: exp.Expression = exp.Order(this=obj, expressions=order)
    if limit is not None:
        body = exp.Limit(this=body, expression=exp.Literal.number(limit))
    return exp.Anonymous(this="JSON_ARRAYAGG", expressions=[body])


def _split_order(text: str) -> list[str]:
    """Split an ORDER BY list on top-level commas."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def compile_view(entity: Entity, name: str, table: str, schema: SchemaInfo, server: ServerInfo,
                 entity_type: str | None = None) -> tuple[ViewSpec | None, list[Finding]]:
    builder = ViewBuilder(entity, schema, server)
    spec = builder.build(name, table, entity_type)
    return spec, builder.findings
