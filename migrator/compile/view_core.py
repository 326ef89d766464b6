"""The view compiler's core: what one view is built from, the names a fragment may use,
schema lookups, fragment parsing and rewriting, self-references, attribute values and
templates. The patterns live in joins.py, calculations.py, transformations.py and hierarchies.py."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from migrator.contract.edits import Batch, Edit, SetValue
from migrator.contract.model import Attribute, Calculation, Hierarchy, Join, RelationalPath, Table
from migrator.contract.paths import child
from migrator.findings import Finding, Severity
from migrator.mysql_schema import SchemaInfo, ServerInfo, TableInfo
from migrator.sql.fragments import FragmentError, parse_fragment, split_order
from migrator.sql.functions import server_only

BASE = "t0"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DATE_UNITS = {"MICROSECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}
AGGREGATES = {"SUM", "COUNT", "AVG", "MIN", "MAX"}
BINARY_TYPES = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
GEOMETRY_TYPES = frozenset({"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
                            "multipolygon", "geometrycollection", "geomcollection"})


@dataclass(frozen=True)
class ViewJoin:
    """One LEFT JOIN of a view, with the contract path of what added it: a join that multiplies
    or collapses rows can be named by where it was written."""

    path: str               # JSON path of the join (or hierarchy) in the contract
    alias: str
    table: str              # the MySQL table joined
    node: exp.Join


@dataclass(frozen=True)
class ViewSpec:
    name: str
    table: str
    select_sql: str
    columns: tuple[str, ...]
    entity: str | None = None
    source_table: str = ""                    # the entity's MySQL table (the view has one row per row of it)
    joins: tuple[ViewJoin, ...] = ()          # in the order the SELECT joins them
    #: attribute name -> the encoding the plan decided for its value (compile/types.py), when not plain
    encodings: tuple[tuple[str, str], ...] = ()


class CompileError(Exception):
    """Raised inside the builder; collected as an error Finding at `path`."""

    def __init__(self, path: str, message: str, fix: str | None = None, code: str = "compile",
                 edit: Edit | None = None) -> None:
        super().__init__(message)
        self.finding = Finding(Severity.ERROR, path, message, fix, code, edit)


@dataclass(frozen=True)
class Entity:
    """What one view is built from: a single-entity table, or one entity of a multi-entity table."""

    owner: str                 # "table Orders" / "entity USER of table Users", for messages
    source_table: str
    attributes: tuple[Attribute, ...]
    path: str
    #: the contract table the entity belongs to: what else names its attributes (keys, ttl, load
    #: columns), for edits that retype one (None: not known, no such edit is offered)
    table: Table | None = field(default=None, compare=False, repr=False)

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
class BuilderCore:
    entity: Entity
    schema: SchemaInfo
    server: ServerInfo
    findings: list[Finding] = field(default_factory=list)
    joins: list[ViewJoin] = field(default_factory=list)
    aliases: dict[str, TableInfo] = field(default_factory=dict)
    _values: dict[str, exp.Expression] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)
    _counter: int = 0
    #: attribute name -> encoding decided by `typed` (what the runtime must apply to the column)
    encodings: dict[str, str] = field(default_factory=dict)
    #: the join chains of hierarchy walks, by (tree, id, parent, start column, max_depth)
    _chains: dict[tuple[str, str, str, str, int], list[str]] = field(default_factory=dict)
    #: grouped aggregate tables by the rows they read: (alias, its SELECT, the aliases of its steps)
    _groups: dict[str, tuple[str, exp.Select, tuple[str, ...]]] = field(default_factory=dict)

    # -- schema lookups ----------------------------------------------------------------


    def table_info(self, name: str | None, path: str, plain: bool = False) -> TableInfo:
        """The MySQL table `name`. `plain`: `path` is a field that holds only the table's name (a path step's
        `table` names its row too, unless it has an `as`), so a close spelling of a table that exists is
        offered as an edit."""
        found = self.schema.tables.get(name or "")
        if found is None and name:
            found = next((t for n, t in self.schema.tables.items() if n.lower() == name.lower()), None)
        if found is None:
            close = difflib.get_close_matches(name or "", sorted(self.schema.tables), n=1, cutoff=0.75)
            fix = f"did you mean '{close[0]}'? (or create the table first)" if close else \
                "fix the name, or create the table first"
            raise CompileError(path, f"MySQL table '{name}' does not exist in database '{self.schema.database}'",
                               fix, "schema.table", SetValue(path, close[0]) if close and plain else None)
        return found

    def source(self) -> TableInfo:
        path = f"{self.entity.path}.source_table"
        try:
            info = self.table_info(self.entity.source_table, path, plain=True)
        except CompileError as err:
            close = err.finding.edit
            if not isinstance(close, SetValue):
                raise
            # the entity's attributes name its table too: the same typo in theirs is fixed with it
            old, own = self.entity.source_table.lower(), f"{self.entity.path}.attributes["
            edits = [close, *(SetValue(child(a.path, "source_table"), close.value) for a in self.entity.attributes
                              if a.path.startswith(own) and a.source_table.lower() == old)]
            raise CompileError(path, err.finding.message, err.finding.fix, "schema.table",
                               edits[0] if len(edits) == 1 else Batch(tuple(edits))) from None
        self.aliases[BASE] = info
        return info

    def column_name(self, table: TableInfo, column: str, path: str, plain: bool = False) -> str:
        """The column's name as MySQL spells it. `plain`: `path` is a field that holds only the column's
        name (not a SQL fragment), so a close spelling of a column that exists is offered as an edit."""
        col = table.column(column)
        if col is None:
            names = [c.name for c in table.columns]
            close = difflib.get_close_matches(column, names, n=1, cutoff=0.75)
            if close:
                raise CompileError(path, f"column '{column}' does not exist in MySQL table '{table.name}'",
                                   f"did you mean '{close[0]}'?", "schema.column",
                                   SetValue(path, close[0]) if plain else None)
            near = ", ".join(names[:12])
            raise CompileError(path, f"column '{column}' does not exist in MySQL table '{table.name}'",
                               f"use one of: {near}", "schema.column")
        return col.name

    def new_alias(self, info: TableInfo) -> str:
        self._counter += 1
        alias = f"j{self._counter}"
        self.aliases[alias] = info
        return alias

    def warn(self, path: str, message: str, fix: str | None = None, code: str = "lint",
             edit: Edit | None = None) -> None:
        finding = Finding(Severity.WARNING, path, message, fix, code, edit)
        if finding not in self.findings:
            self.findings.append(finding)

    def fragment(self, text: str | None, path: str, ns: Namespace,
                 self_ref: Callable[[exp.Expression], exp.Expression] | None = None) -> exp.Expression:
        """Parse, check and rewrite a fragment onto aliases; every name is checked against the schema."""
        if text is None or (isinstance(text, str) and not text.strip()):
            raise CompileError(path, "is missing or empty", "write a MySQL expression", "schema.required")
        try:
            tree = parse_fragment(str(text)).tree
        except FragmentError as exc:
            raise CompileError(path, f"'{text}' {exc}", None, exc.code) from None
        if self_ref is not None:
            tree = self_ref(tree)
        self.server_functions(tree, str(text), path)
        known = {a for a, _ in ns.tables()}

        def visit(node: exp.Expression) -> exp.Expression:
            if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
                return node
            return exp.column(node.name and self._resolve(node, ns, known, text, path), table=self._alias_of(node, ns, known, text, path), quoted=True)

        return tree.transform(visit)

    def server_functions(self, tree: exp.Expression, text: str, path: str) -> None:
        """A built-in only the other server has would fail when the view is created: say so now."""
        for call in tree.find_all(exp.Anonymous):
            only = server_only(call.name)
            if only is not None and only != self.server.flavour:
                has = "MySQL 8" if only == "mysql" else "MariaDB"
                raise CompileError(path, f"'{text}' calls {call.name.upper()}(), which only {has} has, and this "
                                   f"server is {self.server.version}", "write it with functions both servers have "
                                   "(docs/contract.md, SQL fragments)", "sql.function_server")

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

    def order_by(self, text: str | None, path: str, ns: Namespace,
                 ties: Sequence[tuple[str, TableInfo]]) -> list[exp.Ordered]:
        """The contract's order, then the primary key of each of `ties` (alias, table): ties always
        break the same way, so the same rows give the same list."""
        out: list[exp.Ordered] = []
        if text:
            for part in split_order(text):
                desc = False
                body = part.strip()
                m = re.match(r"^(.*?)\s+(ASC|DESC)$", body, re.IGNORECASE)
                if m:
                    body, desc = m.group(1), m.group(2).upper() == "DESC"
                out.append(exp.Ordered(this=self.fragment(body, path, ns), desc=desc, nulls_first=not desc))
        for alias, table in ties:
            keys = table.primary_key or tuple(c.name for c in table.columns)
            out += [exp.Ordered(this=exp.column(k, table=alias, quoted=True), nulls_first=True) for k in keys]
        return out

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
        if attr.hierarchy is not None:
            return self.hierarchy_value(attr, attr.hierarchy)
        if attr.relational_path is not None:
            return self.path_value(attr, attr.relational_path)
        if attr.calculation is not None:
            return self.calculation(attr, attr.calculation)
        if attr.join is not None:
            return self.join_value(attr, attr.join)
        source = self.source()
        if attr.source_table.lower() != source.name.lower():
            raise CompileError(f"{attr.path}.source_table",
                               f"attribute '{attr.name}' reads table '{attr.source_table}' without a join; "
                               f"a plain attribute reads its own source table '{source.name}'",
                               f"set source_table to '{self.entity.source_table}', or reach the other table with a "
                               "join or a path", "attribute.source_table",
                               SetValue(child(attr.path, "source_table"), self.entity.source_table))
        column = self.column_name(source, attr.column, f"{attr.path}.source_column",
                                  plain=isinstance(attr.source_column, str))
        return exp.column(column, table=BASE, quoted=True)

    def base_namespace(self) -> Namespace:
        source = self.source()
        return Namespace({source.name.lower(): (BASE, source), BASE: (BASE, source)}, default=BASE)

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
        """The entity's attributes first, then columns of its source table (docs/contract.md)."""
        if own is not None and name == own[0]:
            value = own[1]()
        elif (other := self.entity.attribute(name)) is not None:
            value = self.value(other)
        else:
            source = self.source()
            col = source.column(name)
            if col is None:
                raise CompileError(path, f"placeholder {{{name}}} matches no attribute of {self.entity.owner} and no "
                                   f"column of '{source.name}'", "name an attribute or a column",
                                   "template.placeholder")
            value = exp.column(col.name, table=BASE, quoted=True)
        self.text_note(value, f"placeholder {{{name}}}", path)
        return self.as_text(value)

    def column_type(self, expr: exp.Expression) -> str | None:
        if isinstance(expr, exp.Column) and expr.table in self.aliases:
            col = self.aliases[expr.table].column(expr.name)
            return col.data_type.lower() if col else None
        return None

    def full_column_type(self, expr: exp.Expression) -> str | None:
        """The column's whole MySQL type (`tinyint(1)`, `decimal(10,2)`), None for what is no column."""
        if isinstance(expr, exp.Column) and expr.table in self.aliases:
            col = self.aliases[expr.table].column(expr.name)
            return col.column_type.lower() if col else None
        return None

    def as_text(self, expr: exp.Expression) -> exp.Expression:
        """A column as the text built values (keys, concatenations, JSON) hold: temporal columns as
        ISO-8601 UTC with milliseconds, like the runtime encodes them; BIT as its number; binary
        columns as lowercase hex and geometries as WKT (raw bytes are never put into text)."""
        kind = self.column_type(expr)
        if kind in {"datetime", "timestamp"}:
            return iso_timestamp(expr)
        if kind == "date":
            return fn("DATE_FORMAT", expr, exp.Literal.string("%Y-%m-%d"))
        if kind == "bit":
            return exp.Cast(this=expr, to=exp.DataType.build("UNSIGNED", dialect="mysql"))
        if kind in BINARY_TYPES:
            return fn("LOWER", fn("HEX", expr))
        if kind in GEOMETRY_TYPES:
            return fn("ST_AsText", expr)
        return expr

    def text_note(self, expr: exp.Expression, what: str, path: str) -> None:
        """Say so where a binary or spatial column is written into text in an encoding of its own."""
        kind = self.column_type(expr)
        if kind in BINARY_TYPES or kind in GEOMETRY_TYPES:
            how = "lowercase hex (HEX)" if kind in BINARY_TYPES else "WKT (ST_AsText)"
            where = f"{self.aliases[expr.table].name}.{expr.name}" if isinstance(expr, exp.Column) else "a column"
            self.warn(path, f"{what} reads the {kind} column {where}, whose bytes are written "
                      f"into the text as {how}", "nothing to do if that is meant; binary data is never put into text "
                      "as raw bytes", "type.text_encoding")

    # -- provided by the pattern compilers (joins.py, calculations.py, transformations.py) --

    def join_value(self, attr: Attribute, join: Join) -> exp.Expression:
        raise NotImplementedError

    def calculation(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        raise NotImplementedError

    def hierarchy_value(self, attr: Attribute, hierarchy: Hierarchy) -> exp.Expression:
        raise NotImplementedError

    def path_value(self, attr: Attribute, path: RelationalPath) -> exp.Expression:
        raise NotImplementedError

    def transformed(self, attr: Attribute, base_value: Callable[[], exp.Expression]) -> exp.Expression:
        raise NotImplementedError

    def typed(self, attr: Attribute, value: exp.Expression) -> exp.Expression:
        """The view column of `attr`: its value, encoded as the plan decided for its MySQL type
        (compile/types.py); records the encoding the runtime applies in `encodings`."""
        return value


def aggregate_with_order(obj: exp.Expression, order: list[exp.Ordered], limit: int | None) -> exp.Expression:
    """MariaDB's `JSON_ARRAYAGG(expr ORDER BY ... LIMIT n)`."""
    body: exp.Expression = exp.Order(this=obj, expressions=order)
    if limit is not None:
        body = exp.Limit(this=body, expression=exp.Literal.number(limit))
    return exp.Anonymous(this="JSON_ARRAYAGG", expressions=[body])


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

