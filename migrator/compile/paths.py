"""Relational paths (docs/contract.md, "Relational paths"): an attribute's value reached through
steps from the entity's row, ending in a value, an aggregate or a collection.

This module is the front end of the `path` extension: it resolves steps (names, `on` or a
foreign key, the rule that a step is tied to the rows before it) into a `Walked`, and types the
values of a collection. The SQL is emitted by compile/path_sql.py, the one compiler path that
the join kinds and aggregate calculations share: a value path is a LEFT JOIN per step under the
plan's row-count invariant; aggregates and collections are subqueries that cannot multiply rows.

Every step's row has a name in fragments: its `as`, else its table's name; the entity's row is
named by its table. A table already on the path needs an `as`, so no name means two rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlglot import exp

from migrator.compile.path_sql import PathEmitter, PathRow, Walked, conjunction
from migrator.compile.view_core import AGGREGATES, BASE, CompileError, Namespace, fn
from migrator.contract.edits import Edit, SetValue
from migrator.contract.model import Attribute, PathAggregate, PathCollection, PathField, PathStep, RelationalPath
from migrator.mysql_schema import ForeignKey, TableInfo

#: the JSON types a collection's value may be given, and the MySQL column families that default to BOOL
FIELD_TYPES = ("S", "N", "BOOL", "M", "L")


class PathCompiler(PathEmitter):
    """Compiles an attribute's `path` into the view's SELECT."""

    def path_value(self, attr: Attribute, rp: RelationalPath) -> exp.Expression:
        ends = [name for name, given in (("value", rp.value), ("aggregate", rp.aggregate),
                                         ("collect", rp.collection)) if given is not None]
        if len(ends) != 1:
            raise CompileError(rp.path, "a path ends in exactly one of value, aggregate or collect; this one gives "
                               + (" and ".join(ends) if ends else "none"),
                               "keep the one that says what the attribute holds", "path.end")
        if not rp.steps:
            raise CompileError(f"{rp.path}.steps", "a path needs at least one step", "add the table to reach",
                               "path.steps")
        if rp.value is not None:
            walked = self.walk(rp.steps)
            self.emit_joined(walked, [step.path for step in rp.steps])
            return self.fragment(rp.value, f"{rp.path}.value", walked.namespace(walked.last.alias))
        if rp.aggregate is not None:
            return self.path_aggregate(rp.steps, rp.aggregate)
        assert rp.collection is not None
        return self.path_collection(rp.steps, rp.collection)

    # -- steps ---------------------------------------------------------------------------

    def walk(self, steps: Sequence[PathStep]) -> Walked:
        source = self.source()
        rows = [PathRow(source.name, BASE, source)]
        conditions: list[exp.Expression] = []
        for i, step in enumerate(steps):
            info = self.table_info(step.table, f"{step.path}.table", plain=step.alias is not None)
            taken = next((r for r in rows if r.name.lower() == step.name.lower()), None)
            if taken is not None:
                where = f"{step.path}.as" if step.alias else f"{step.path}.table"
                what = "the entity's own row" if taken.alias == BASE else "a row earlier on the path"
                raise CompileError(where, f"step {i + 1} names its row '{step.name}', which already names {what}, "
                                   "so its conditions could not tell the two apart",
                                   f'give the step a name of its own, "as": "{_free_name(info.name, rows)}", and call '
                                   "its row so in the conditions and values that mean it", "path.name_taken")
            row = PathRow(step.name, self.new_alias(info), info)
            conditions.append(self.step_condition(step, i, rows, row))
            rows.append(row)
        return Walked(tuple(rows), tuple(conditions))

    def step_condition(self, step: PathStep, index: int, before: Sequence[PathRow], row: PathRow) -> exp.Expression:
        """The step's `on` (or foreign key) with its names resolved; it must name the step's row and a
        row before it (usually the previous step's), or every row of the table would be paired with
        every row before."""
        previous = before[-1]
        if step.on is not None and step.foreign_key is not None:
            raise CompileError(f"{step.path}.foreign_key", "a step gives both `on` and `foreign_key`; only one can "
                               "say how its rows are found", "remove `foreign_key` (or `on`)", "path.step_condition")
        if step.on is None:
            return self.foreign_key_condition(step, index, previous, row)
        names = {r.name.lower(): (r.alias, r.info) for r in (*before, row)}
        names.update({r.alias: (r.alias, r.info) for r in (*before, row)})
        condition = self.fragment(step.on, f"{step.path}.on", Namespace(names, default=None))
        used = {c.table for c in condition.find_all(exp.Column)}
        at = f"{step.path}.on"
        fix, edit = _tie_fix(previous, row, at)
        if row.alias not in used:
            raise CompileError(at, f"'{step.on}' names no column of this step's row '{row.name}', so "
                               "every row of its table would match", fix, "path.unconstrained", edit)
        if not used & {r.alias for r in before}:
            whose = "the entity's row" if len(before) == 1 else "any row before it on the path"
            raise CompileError(at, f"'{step.on}' names no column of {whose}, so the step is not "
                               "tied to the path and every pair of rows would match", fix, "path.unconstrained", edit)
        return condition

    def foreign_key_condition(self, step: PathStep, index: int, previous: PathRow, row: PathRow) -> exp.Expression:
        """`on` written from a foreign key between the previous row's table and this step's: the one
        named, else the only one there is."""
        candidates = _foreign_keys(previous.info, row.info)
        if step.foreign_key is not None:
            named = [c for c in candidates if c[0].name.lower() == step.foreign_key.lower()]
            if not named:
                at = f"{step.path}.foreign_key"
                names = sorted({fk.name for fk, _ in candidates})
                fix, edit = _tie_fix(previous, row, None)
                if len(candidates) == 1:   # the one way along a key between them, by the name the step meant
                    fix, edit = f'name the key that links them: "foreign_key": "{names[0]}"', SetValue(at, names[0])
                raise CompileError(at, f"no foreign key '{step.foreign_key}' links "
                                   f"{previous.info.name} and {row.info.name} (theirs: {', '.join(names) or 'none'})",
                                   fix, "path.foreign_key", edit)
            candidates = named
        if len(candidates) != 1:
            found = "no foreign key links" if not candidates else "more than one way along a foreign key links"
            fix, edit = _tie_fix(previous, row, None if step.foreign_key is not None else f"{step.path}.on")
            raise CompileError(f"{step.path}.on", f"step {index + 1} has no `on`, and {found} "
                               f"{previous.info.name} and {row.info.name}", fix, "path.foreign_key", edit)
        fk, child_is_previous = candidates[0]
        child, parent = (previous, row) if child_is_previous else (row, previous)
        parts = [exp.EQ(this=exp.column(c, table=child.alias, quoted=True),
                        expression=exp.column(r, table=parent.alias, quoted=True))
                 for c, r in zip(fk.columns, fk.referenced_columns)]
        return conjunction(parts)

    # -- aggregates ----------------------------------------------------------------------

    def path_aggregate(self, steps: Sequence[PathStep], agg: PathAggregate) -> exp.Expression:
        op = agg.function.upper()
        if op not in AGGREGATES:
            raise CompileError(f"{agg.path}.function", f"'{agg.function}' is not one of "
                               + ", ".join(sorted(AGGREGATES)), None, "path.aggregate")
        star = agg.of is None or agg.of.strip() == "*"
        if star and op != "COUNT":
            raise CompileError(f"{agg.path}.of", f"{op} needs the value it works on", "name it in `of`, e.g. "
                               f'"of": "{steps[-1].name}.<column>"', "path.aggregate")
        if star and agg.distinct:
            raise CompileError(f"{agg.path}.distinct", "distinct needs the value whose distinct values are counted",
                               f'name it in `of`, e.g. "of": "{steps[-1].name}.<column>"', "path.aggregate")
        walked = self.walk(steps)
        ns = walked.namespace(walked.last.alias)
        operand: exp.Expression = exp.Star() if star else self.fragment(agg.of, f"{agg.path}.of", ns)
        if agg.distinct:
            operand = exp.Distinct(expressions=[operand])
        call = cast(exp.Expression, exp.func(op, operand))
        filter_ = None if agg.filter is None else self.fragment(agg.filter, f"{agg.path}.filter", ns)
        return self.emit_aggregate(walked, call, filter_, agg.path, count=op == "COUNT")

    # -- collections ---------------------------------------------------------------------

    def path_collection(self, steps: Sequence[PathStep], c: PathCollection) -> exp.Expression:
        if c.type not in ("list", "object"):
            raise CompileError(f"{c.path}.type", f"'{c.type}' is not list or object", None, "path.collect")
        if not c.fields:
            raise CompileError(f"{c.path}.values", "values is empty", "name at least one value", "path.collect")
        limit = None
        if c.limit is not None:
            if int(c.limit) != c.limit or c.limit < 0:
                raise CompileError(f"{c.path}.limit", "limit must be a whole number >= 0", None, "path.collect")
            limit = int(c.limit)
        walked = self.walk(steps)
        ns = walked.namespace(walked.last.alias)
        if c.scalar:
            element = self.field_value(c.fields[0], ns)
        else:
            pairs: list[exp.Expression] = []
            for f in c.fields:
                pairs += [exp.Literal.string(str(f.key)), self.field_value(f, ns)]
            element = fn("JSON_OBJECT", *pairs)
        order = self.order_by(c.order_by, f"{c.path}.order_by", ns, walked.ties)
        filter_ = None if c.filter is None else self.fragment(c.filter, f"{c.path}.filter", ns)
        if c.type == "object":
            if c.scalar:
                raise CompileError(f"{c.path}.values", "an object is made of keys: values is one expression",
                                   'write values as an object, e.g. {"name": "' + c.fields[0].expression + '"}',
                                   "path.collect")
            return self.emit_first(walked, element, order, filter_)
        return self.emit_list(walked, element, order, limit, filter_, c.scalar)

    def field_value(self, f: PathField, ns: Namespace) -> exp.Expression:
        """One value of an element, typed: BOOL as JSON true/false, N an exact number, S text (dates
        ISO-8601, binary hex), M/L a JSON column's value as JSON (never its text)."""
        value = self.fragment(f.expression, f.path, ns)
        kind = self.column_type(value)
        declared = f.type.upper() if f.type else None
        if declared is not None and declared not in FIELD_TYPES:
            raise CompileError(f"{f.path}.type", f"'{f.type}' is not one of {', '.join(FIELD_TYPES)}", None,
                               "path.field_type")
        is_json = kind == "json"
        is_bool = _is_boolean(self.full_column_type(value))
        target = declared or ("BOOL" if is_bool else "JSON" if is_json else None)
        if target == "BOOL":
            return exp.Case(ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null()),
                                 exp.If(this=_truth(value, kind), true=_json_literal("true"))],
                            default=_json_literal("false"))
        if target in ("M", "L", "JSON"):
            if not is_json:
                raise CompileError(f"{f.path}.type", f"{target} reads a JSON column, and '{f.expression}' is not one",
                                   "read a JSON column, or give the type of the value it computes (S or N)",
                                   "path.field_type")
            return fn("JSON_EXTRACT", value, exp.Literal.string("$"))
        if target == "N" and kind is not None and kind not in _NUMERIC:
            return exp.Cast(this=value, to=exp.DataType.build("DECIMAL(65, 30)", dialect="mysql"))
        if target == "S":
            return exp.Cast(this=self.as_text(value), to=exp.DataType.build("CHAR", dialect="mysql"))
        return self.as_text(value)


_NUMERIC = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float",
                      "double", "real", "bit", "year"})


def _is_boolean(column_type: str | None) -> bool:
    """MySQL's BOOLEAN is TINYINT(1); BIT(1) is the other one-bit truth."""
    kind = (column_type or "").lower().replace(" unsigned", "").strip()
    return kind in ("tinyint(1)", "bit(1)")


def _truth(value: exp.Expression, kind: str | None) -> exp.Expression:
    """A BIT column is true when not b'0'; anything else as MySQL reads it in a condition."""
    if kind == "bit":
        return exp.NEQ(this=exp.Cast(this=value.copy(), to=exp.DataType.build("UNSIGNED", dialect="mysql")),
                       expression=exp.Literal.number(0))
    return exp.NEQ(this=value.copy(), expression=exp.Literal.number(0))


def _json_literal(text: str) -> exp.Expression:
    """A JSON value (not a string) inside JSON_OBJECT/JSON_ARRAYAGG on MariaDB and MySQL alike."""
    return fn("JSON_EXTRACT", exp.Literal.string(text), exp.Literal.string("$"))


def _foreign_keys(previous: TableInfo, table: TableInfo) -> list[tuple[ForeignKey, bool]]:
    """Every way along a foreign key from `previous` to `table`: (key, True) where `previous` holds
    it, (key, False) where `table` does. A table's key to itself goes both ways (to the parent,
    to the children): both are listed, so it is never guessed."""
    out: list[tuple[ForeignKey, bool]] = []
    for fk in previous.foreign_keys:
        if fk.referenced_table.lower() == table.name.lower():
            out.append((fk, True))
    for fk in table.foreign_keys:
        if fk.referenced_table.lower() == previous.name.lower():
            out.append((fk, False))
    return out


def _tie_fix(previous: PathRow, row: PathRow, on: str | None) -> tuple[str, Edit | None]:
    """An `on` that ties the step to the row before it, written from their foreign keys when they have one,
    and the edit that writes it when there is exactly one (`on`: the path of the step's `on`; None when the
    step gives a `foreign_key`, which an `on` replaces: both are an error)."""
    ways = _foreign_keys(previous.info, row.info)
    forms = []
    for fk, child_is_previous in ways:
        child_row, parent = (previous, row) if child_is_previous else (row, previous)
        forms.append(" AND ".join(f"{child_row.name}.{c} = {parent.name}.{r}"
                                  for c, r in zip(fk.columns, fk.referenced_columns)))
    instead = " instead of `foreign_key`" if on is None else ""
    if len(forms) == 1:
        return f'write "on": "{forms[0]}"{instead}', None if on is None else SetValue(on, forms[0])
    if forms:
        return f"write the one that is meant as `on`{instead}: " + "; or ".join(f'"{f}"' for f in forms), None
    return (f'write "on"{instead} comparing the {row.info.name} column that identifies the row with the '
            f'{previous.info.name} column that holds it ("{row.name}.<column> = {previous.name}.<column>")'), None


def _free_name(table: str, rows: Sequence[PathRow]) -> str:
    taken = {r.name.lower() for r in rows}
    base = table.lower()
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


