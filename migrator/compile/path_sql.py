"""The one compiler path from related rows to SQL: every join kind, aggregate calculation and
relational path resolves its tables and conditions into a `Walked` (the rows from the entity's
outwards, each with the condition that reaches it) and this module turns it into SQL.

Only `emit_joined` adds LEFT JOINs to the view, each recorded with the contract path that wrote it:
it is the one place where rows could multiply, and the plan's row-count invariant
(compile/rowcount.py) counts after each of them. Aggregates and collections are subqueries (or a
derived table grouped by its join key), which can neither multiply nor collapse the entity's rows.
Shapes measured by benchmarks/path_shapes.py (docs/patterns.md, "Relational paths").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from migrator.compile.view_core import BASE, BuilderCore, Namespace, ViewJoin, aggregate_with_order, fn
from migrator.mysql_schema import TableInfo
from migrator.sql.dialect import generate


@dataclass(frozen=True)
class PathRow:
    """One row on a path: its name in fragments, its SQL alias, its table."""

    name: str
    alias: str
    info: TableInfo


@dataclass(frozen=True)
class Walked:
    """Related rows resolved: the entity's row first, then one row per step, each with the
    condition (already on SQL aliases) that reaches it from the rows before."""

    rows: tuple[PathRow, ...]
    conditions: tuple[exp.Expression, ...]   # one per step: conditions[i] reaches rows[i + 1]

    def namespace(self, default: str | None) -> Namespace:
        names: dict[str, tuple[str, TableInfo]] = {}
        for row in self.rows:
            names[row.name.lower()] = (row.alias, row.info)
            names[row.alias] = (row.alias, row.info)
        return Namespace(names, default=default)

    @property
    def last(self) -> PathRow:
        return self.rows[-1]

    @property
    def ties(self) -> list[tuple[str, TableInfo]]:
        """The rows whose keys break ties in an order, last step first."""
        return [(r.alias, r.info) for r in reversed(self.rows[1:])]


def one_step(entity: TableInfo, name: str, alias: str, info: TableInfo, condition: exp.Expression) -> Walked:
    """A path of one step from the entity's row (what a join or an aggregate calculation is)."""
    return Walked((PathRow(entity.name, BASE, entity), PathRow(name, alias, info)), (condition,))


class PathEmitter(BuilderCore):
    """Emits a `Walked` as joins, an aggregate or a JSON collection."""

    def emit_joined(self, walked: Walked, paths: Sequence[str]) -> None:
        """A LEFT JOIN per step (`paths`: the contract path of each, for the row-count invariant)."""
        for row, condition, path in zip(walked.rows[1:], walked.conditions, paths, strict=True):
            node = exp.Join(this=exp.alias_(exp.to_table(row.info.name, quoted=True), row.alias, table=True,
                                            quoted=True), on=condition, side="LEFT")
            self.joins.append(ViewJoin(path, row.alias, row.info.name, node))

    def rows_at_end(self, walked: Walked) -> exp.Select:
        """FROM the first step's table, INNER JOIN each next step on its condition: the rows at the
        end of the path (a step with no row ends that branch)."""
        first = walked.rows[1]
        query = exp.select().from_(exp.alias_(exp.to_table(first.info.name, quoted=True), first.alias,
                                              table=True, quoted=True))
        for row, condition in zip(walked.rows[2:], walked.conditions[1:]):
            query = query.join(exp.alias_(exp.to_table(row.info.name, quoted=True), row.alias, table=True,
                                          quoted=True), on=condition, join_type="INNER")
        return query

    def emit_aggregate(self, walked: Walked, call: exp.Expression, filter_: exp.Expression | None, path: str,
                       count: bool) -> exp.Expression:
        """`call` over the rows at the end: a grouped derived table when the first step is keyed on
        the entity's columns, else a correlated subquery. COUNT of no rows is 0 in both."""
        grouped = self.grouped(walked, call, filter_, path)
        if grouped is not None:
            return fn("COALESCE", grouped, exp.Literal.number(0)) if count else grouped
        return exp.Subquery(this=self.rows_at_end(walked).select(call).where(_and(walked.conditions[0], filter_)))

    def grouped(self, walked: Walked, call: exp.Expression, filter_: exp.Expression | None,
                path: str) -> exp.Expression | None:
        """`LEFT JOIN (SELECT key, AGG(...) ... GROUP BY key) AS g ON g.key = entity.column` when the first
        step's condition is only equalities between its columns and the entity's (else None). Aggregates
        over the same rows (same steps, conditions and filter) share one derived table: each extra one
        is a column of it, not another pass over the related table."""
        first = walked.rows[1]
        pairs = _equalities(walked.conditions[0], first.alias)
        if pairs is None:
            return None
        signature = _signature(walked, filter_)
        shared = self._groups.get(signature)
        if shared is not None:
            group, query, aliases = shared
            mapping = dict(zip((r.alias for r in walked.rows[1:]), aliases, strict=True))
            name = f"v{len(query.expressions) - len(pairs)}"
            query.select(exp.alias_(_renamed(call, mapping), name, quoted=True), append=True, copy=False)
            return exp.column(name, table=group, quoted=True)
        group = self.new_alias(first.info)
        keys = [exp.alias_(exp.column(col, table=first.alias, quoted=True), f"k{i}", quoted=True)
                for i, (col, _) in enumerate(pairs)]
        query = self.rows_at_end(walked).select(*keys, exp.alias_(call, "v0", quoted=True))
        if filter_ is not None:
            query = query.where(filter_)
        query = query.group_by(*[exp.column(col, table=first.alias, quoted=True) for col, _ in pairs])
        on = _all([exp.EQ(this=exp.column(f"k{i}", table=group, quoted=True), expression=outer)
                   for i, (_, outer) in enumerate(pairs)])
        derived = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(group, quoted=True)))
        self.joins.append(ViewJoin(path, group, first.info.name, exp.Join(this=derived, on=on, side="LEFT")))
        self._groups[signature] = (group, query, tuple(r.alias for r in walked.rows[1:]))
        return exp.column("v0", table=group, quoted=True)

    def emit_first(self, walked: Walked, element: exp.Expression, order: list[exp.Ordered],
                   filter_: exp.Expression | None) -> exp.Expression:
        """The element of the first row at the end of the path by `order`; NULL when there is none."""
        query = self.rows_at_end(walked).select(element).where(_and(walked.conditions[0], filter_))
        return exp.Subquery(this=query.order_by(*order).limit(1))

    def emit_list(self, walked: Walked, element: exp.Expression, order: list[exp.Ordered], limit: int | None,
                  filter_: exp.Expression | None, scalar: bool) -> exp.Expression:
        """A JSON array of the element of every row at the end of the path, in `order`, at most
        `limit`; `[]` when there is none. `scalar`: the element is a plain value, not JSON."""
        where = _and(walked.conditions[0], filter_)
        rows = self.rows_at_end(walked)
        if self.server.flavour == "mariadb":
            query = rows.select(fn("COALESCE", aggregate_with_order(element, order, limit), fn("JSON_ARRAY")))
            return exp.Subquery(this=query.where(where))
        # MySQL 8 has no ORDER BY / LIMIT inside JSON_ARRAYAGG: number the elements in a derived
        # table (each as JSON text), keep the first `limit`, concatenate them in order.
        numbered = rows.select(exp.alias_(_as_json_text(element, scalar), "__e"),
                               exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=order)),
                                          "__rn")).where(where)
        inner = self.new_alias(walked.last.info)
        concat = exp.GroupConcat(this=exp.Order(this=exp.column("__e", table=inner),
                                                expressions=[exp.Ordered(this=exp.column("__rn", table=inner),
                                                                         nulls_first=True)]),
                                 separator=exp.Literal.string(","))
        array = exp.Cast(this=fn("CONCAT", exp.Literal.string("["), concat, exp.Literal.string("]")),
                         to=exp.DataType.build("JSON"))
        query = exp.select(fn("COALESCE", array, fn("JSON_ARRAY"))).from_(
            exp.alias_(exp.Subquery(this=numbered), inner, table=True))
        if limit is not None:
            query = query.where(exp.LTE(this=exp.column("__rn", table=inner), expression=exp.Literal.number(limit)))
        return exp.Subquery(this=query)


def conjunction(parts: Sequence[exp.Expression]) -> exp.Expression:
    """`a AND b AND ...` of one or more conditions."""
    return _all(parts)


def _all(parts: Sequence[exp.Expression]) -> exp.Expression:
    condition = parts[0]
    for part in parts[1:]:
        condition = exp.And(this=condition, expression=part)
    return condition


def _and(tie: exp.Expression, filter_: exp.Expression | None) -> exp.Expression:
    return tie if filter_ is None else exp.And(this=tie, expression=exp.Paren(this=filter_))


def _as_json_text(element: exp.Expression, scalar: bool) -> exp.Expression:
    """An element as the JSON text GROUP_CONCAT joins: an object is JSON already; a scalar goes
    through a one-element array so a string gets its quotes."""
    if not scalar:
        return element
    return fn("JSON_EXTRACT", fn("JSON_ARRAY", element), exp.Literal.string("$[0]"))


def _renamed(tree: exp.Expression, mapping: dict[str, str]) -> exp.Expression:
    """`tree` with the columns of the aliases in `mapping` moved to their new alias."""
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table in mapping:
            return exp.column(node.name, table=mapping[node.table], quoted=True)
        return node
    return tree.copy().transform(visit)


def _signature(walked: Walked, filter_: exp.Expression | None) -> str:
    """The rows an aggregate reads, independent of the aliases this walk was given."""
    positions = {r.alias: f"s{i}" for i, r in enumerate(walked.rows[1:], 1)}
    parts = [r.info.name for r in walked.rows[1:]]
    parts += [generate(_renamed(c, positions)) for c in walked.conditions]
    parts.append("" if filter_ is None else generate(_renamed(filter_, positions)))
    return "\n".join(parts)


def _equalities(condition: exp.Expression, alias: str) -> list[tuple[str, exp.Expression]] | None:
    """`first.a = t0.x AND first.b = t0.y` as [(a, t0.x), (b, t0.y)]; None for any other shape."""
    parts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    out: list[tuple[str, exp.Expression]] = []
    for part in parts:
        if not isinstance(part, exp.EQ) or not all(isinstance(s, exp.Column) for s in (part.this, part.expression)):
            return None
        sides = {part.this.table: part.this, part.expression.table: part.expression}
        if set(sides) != {alias, BASE}:
            return None
        out.append((sides[alias].name, sides[BASE].copy()))
    return out
