"""Joins (docs/patterns.md): every type a LEFT JOIN with its own alias, or for JSON
construction a correlated subquery that never multiplies or collapses rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from migrator.compile.hierarchies import suggestion
from migrator.compile.path_sql import PathEmitter, PathRow, Walked, one_step
from migrator.compile.view_core import BASE, CompileError, Namespace, fn
from migrator.contract.edits import Batch, SetValue
from migrator.contract.model import Attribute, ChainStep, Join
from migrator.contract.paths import child
from migrator.mysql_schema import TableInfo
from migrator.sql.fragments import FragmentError, parse_fragment


class JoinCompiler(PathEmitter):
    """The seven join types; each adds its LEFT JOIN (or subquery) and returns the value."""

    def join_value(self, attr: Attribute, join: Join) -> exp.Expression:
        handler = {"foreign-key": self.to_one_join, "lookup-table": self.to_one_join,
                   "multi-column": self.to_one_join, "self-join": self.self_join, "conditional": self.conditional,
                   "chain": self.chain, "json-construction": self.json_construction}.get(join.type)
        if handler is None:
            raise CompileError(f"{join.path}.type", f"unknown join type '{join.type}'", None, "join.type")
        return handler(attr, join)

    def _join_to(self, join: Join, target_name: str | None, path: str, to_many: bool = False,
                 conditions: Sequence[str] | None = None, alias: str | None = None
                 ) -> tuple[str, Namespace, exp.Expression]:
        """Add `LEFT JOIN target AS jN ON ...`; returns (alias, namespace for the value, condition)."""
        source = self.source()
        target = self.table_info(target_name, f"{path}.target_table", plain=target_name == join.target_table)
        jn = self.new_alias(target)
        names: dict[str, tuple[str, TableInfo]] = {source.name.lower(): (BASE, source), BASE: (BASE, source)}
        same = target.name.lower() == source.name.lower()
        if alias:
            names[alias.lower()] = (jn, target)
        if not same or alias:
            names[target.name.lower()] = names.get(target.name.lower(), (jn, target)) if same else (jn, target)
        names[jn] = (jn, target)
        ns = Namespace(names, default=jn)
        texts = list(conditions) if conditions is not None else [join.join_condition]
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

    def join_one(self, alias: str, condition: exp.Expression, path: str) -> None:
        """A one-step path from the entity's row, LEFT JOINed (the emitter records it for the row count)."""
        info = self.aliases[alias]
        self.emit_joined(one_step(self.source(), info.name, alias, info, condition), [path])

    def to_one_join(self, attr: Attribute, join: Join) -> exp.Expression:
        conditions = list(join.join_conditions) if join.type == "multi-column" else None
        if join.type == "multi-column" and not conditions:
            raise CompileError(f"{join.path}.join_conditions", "multi-column join needs join_conditions",
                               "list the conditions", "join.condition")
        jn, ns, condition = self._join_to(join, join.target_table, join.path, conditions=conditions,
                                          alias=join.join_alias)
        self.join_one(jn, condition, join.path)
        return self.fragment(join.select_column, f"{join.path}.select_column", ns)

    def self_join(self, attr: Attribute, join: Join) -> exp.Expression:
        if not join.join_alias:
            raise CompileError(f"{join.path}.join_alias", "a self-join needs a join_alias", "name the joined copy",
                               "join.alias")
        source = self.source()
        target = join.target_table or self.foreign_target(join, source) or source.name
        jn, ns, condition = self._join_to(join, target, join.path, alias=join.join_alias)
        self.join_one(jn, condition, join.path)
        suggested = suggestion(attr, join, source, self.aliases[jn])
        if suggested is not None and suggested not in self.findings:
            self.findings.append(suggested)
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
                    # the same join written as what it is: a foreign-key join keeps its join_alias (an
                    # extension any join may have), so its condition and value read as they are; a
                    # null_value has no foreign-key form, so that one is left to the author
                    edit = None if join.null_value is not None else Batch((
                        SetValue(child(join.path, "type"), "foreign-key"),
                        SetValue(child(join.path, "target_table"), fk.referenced_table)))
                    keep = (" and its join_alias" if join.null_value is None else
                            " and its join_alias, and without null_value (a missing row gives no value)")
                    self.warn(f"{join.path}.join_condition",
                              f"this self-join matches {source.name}.{based[0].name}, a foreign key to "
                              f"{fk.referenced_table}.{fk.referenced_columns[0]}, with its own {aliased[0].name}; read "
                              f"as a join of {fk.referenced_table} under '{join.join_alias}'",
                              f'write a foreign-key join with "target_table": "{fk.referenced_table}"{keep}',
                              "join.self_join_foreign_key", edit)
                    return fk.referenced_table
        return None

    def conditional(self, attr: Attribute, join: Join) -> exp.Expression:
        jn, ns, condition = self._join_to(join, join.target_table, join.path, alias=join.join_alias)
        self.join_one(jn, condition, join.path)
        source = self.source()
        base_ns = Namespace({**ns.names, source.name.lower(): (BASE, source)}, default=BASE)
        when = self.fragment(join.condition, f"{join.path}.condition", base_ns)
        then = self.fragment(join.select_column, f"{join.path}.select_column", ns)
        other = self.fragment(join.else_value, f"{join.path}.else_value", base_ns)
        return exp.Case(ifs=[exp.If(this=when, true=then)], default=other)

    def chain(self, attr: Attribute, join: Join) -> exp.Expression:
        """Each step joins its target under a new alias, on a condition that must reach the row of the
        step before it (the entity's row for the first): a step joined to anything else would pair every
        row it finds with every row of the chain, and the entity's rows would multiply."""
        if not join.joins:
            raise CompileError(f"{join.path}.joins", "a chain needs at least one join", None, "join.chain")
        source = self.source()
        path_names: dict[str, tuple[str, TableInfo]] = {source.name.lower(): (BASE, source), BASE: (BASE, source)}
        previous: tuple[str, TableInfo] = (BASE, source)
        values: list[exp.Expression] = []
        rows = [PathRow(source.name, BASE, source)]
        conditions: list[exp.Expression] = []
        for step in join.joins:
            target = self.table_info(step.target_table, f"{step.path}.target_table", plain=True)
            jn = self.new_alias(target)
            conditions.append(self._chain_condition(step, path_names, previous, (jn, target)))
            rows.append(PathRow(target.name, jn, target))
            path_names.update({previous[1].name.lower(): previous, target.name.lower(): (jn, target), jn: (jn, target)})
            values.append(self.fragment(step.select_column, f"{step.path}.select_column",
                                        Namespace(dict(path_names), default=jn)))
            previous = (jn, target)
        self.emit_joined(Walked(tuple(rows), tuple(conditions)), [step.path for step in join.joins])
        if join.chain_separator is None:
            return values[-1]
        return fn("CONCAT_WS", exp.Literal.string(join.chain_separator), *[self.as_text(v) for v in values])

    def _chain_condition(self, step: ChainStep, path_names: dict[str, tuple[str, TableInfo]],
                         previous: tuple[str, TableInfo], joined: tuple[str, TableInfo]) -> exp.Expression:
        """A step's condition with its names resolved: the step's own table is the joined row, the
        previous step's table the previous row, other tables of the path their latest row."""
        prev_alias, prev_info = previous
        jn, target = joined
        names = {**path_names, prev_info.name.lower(): previous, target.name.lower(): joined, jn: joined}
        path = f"{step.path}.join_condition"
        same = target.name.lower() == prev_info.name.lower()
        if same:
            names[target.name.lower()] = previous   # what the primary-key rule leaves is the previous row
        rewrite = self._step_reference(str(step.join_condition), path, target, jn, prev_alias) if same else None
        condition = self.fragment(step.join_condition, path, Namespace(names, default=None), rewrite)
        used = {c.table for c in condition.find_all(exp.Column)}
        if prev_alias not in used or jn not in used:
            fix, form = _constraint_fix(target, prev_info)
            raise CompileError(path, _unconstrained(str(step.join_condition), target, prev_info, prev_alias,
                                                    jn not in used), fix, "join.chain_unconstrained",
                               None if form is None else SetValue(path, form))
        return condition

    def _step_reference(self, text: str, path: str, table: TableInfo, joined: str,
                        previous: str) -> Callable[[exp.Expression], exp.Expression]:
        """`t.a = t.b` in a step that joins the previous step's own table: the side naming the primary
        key is the joined row (the contract has no per-step alias to say it otherwise)."""
        name = table.name.lower()
        pk = {c.lower() for c in table.primary_key}

        def visit(node: exp.Expression) -> exp.Expression:
            if not isinstance(node, exp.EQ) or not all(isinstance(s, exp.Column) for s in (node.this, node.expression)):
                return node
            a, b = node.this, node.expression
            if (a.table or name).lower() != name or (b.table or name).lower() != name:
                return node
            if (a.name.lower() in pk) == (b.name.lower() in pk):
                raise CompileError(path, f"'{text}' names {table.name} on both sides in a step that joins "
                                   f"{table.name} to a {table.name} row, and neither or both sides name its primary "
                                   "key, so which row is the joined one cannot be decided",
                                   _same_table_fix(table), "join.self_reference")
            key, other = (a, b) if a.name.lower() in pk else (b, a)
            self.warn(path, f"'{text}' names {table.name} on both sides; read as joined.{key.name} = "
                      f"previous.{other.name} (the side naming the primary key is the joined row)",
                      "nothing to do if that is meant; a chain step has no alias to say it explicitly",
                      "join.self_reference")
            return exp.EQ(this=exp.column(key.name, table=joined), expression=exp.column(other.name, table=previous))

        return lambda tree: tree.transform(visit)

    def json_construction(self, attr: Attribute, join: Join) -> exp.Expression:
        c = join.construction
        path = f"{join.path}.construction"
        if c is None:
            raise CompileError(path, "json-construction needs a construction", None, "join.construction")
        if not c.select_columns:
            raise CompileError(f"{path}.select_columns", "select_columns is empty", "name at least one key",
                               "join.construction")
        source = self.source()
        target = self.table_info(join.target_table, f"{join.path}.target_table", plain=True)
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
        order = self.order_by(c.order_by, f"{path}.order_by", value_ns, [(jn, target)])
        walked = one_step(source, target.name, jn, target, where)
        if c.type == "object":
            return self.emit_first(walked, obj, order, None)
        if c.type != "array":
            raise CompileError(f"{path}.type", f"construction type '{c.type}' is not array or object", None,
                               "join.construction")
        limit = None
        if c.limit is not None:
            if int(c.limit) != c.limit or c.limit < 0:
                raise CompileError(f"{path}.limit", "limit must be a whole number >= 0", None, "join.construction")
            limit = int(c.limit)
        return self.emit_list(walked, obj, order, limit, None, scalar=False)


def _unconstrained(text: str, target: TableInfo, previous: TableInfo, prev_alias: str, misses_target: bool) -> str:
    """Why a chain step's condition does not tie the joined row to the row before it."""
    before = "the entity's own row" if prev_alias == BASE else f"the previous step's {previous.name} row"
    if target.name.lower() == previous.name.lower():
        return (f"'{text}' does not compare the primary key of {target.name} (the joined row) with a column of "
                f"{before}, so this step is not constrained by the step before it and the entity's rows would multiply")
    if misses_target:
        return (f"'{text}' does not name a column of {target.name}, the table this step joins, so every "
                f"{target.name} row would be joined and the entity's rows would multiply")
    return (f"'{text}' does not name a column of {previous.name} ({before}), so this step is not constrained by "
            f"the step before it and the entity's rows would multiply")


def _constraint_fix(target: TableInfo, previous: TableInfo) -> tuple[str, str | None]:
    """A condition that ties the step to the previous row, from a foreign key between the two when there is
    one; the condition itself when it is the only one (two different tables, one single-column key)."""
    forms = [f"{target.name}.{fk.referenced_columns[0]} = {previous.name}.{fk.columns[0]}"
             for fk in previous.foreign_keys if fk.referenced_table.lower() == target.name.lower() and len(fk.columns) == 1]
    forms += [f"{target.name}.{fk.columns[0]} = {previous.name}.{fk.referenced_columns[0]}"
              for fk in target.foreign_keys if fk.referenced_table.lower() == previous.name.lower()
              and len(fk.columns) == 1]
    if forms:
        only = forms[0] if len(forms) == 1 and target.name.lower() != previous.name.lower() else None
        return f"join on the key between them{': ' if only else ', e.g. '}{forms[0]}", only
    return (f"compare the {target.name} column that identifies the row with the {previous.name} column that holds "
            f"it ({target.name}.<key> = {previous.name}.<column>)"), None


def _same_table_fix(table: TableInfo) -> str:
    """How to write a step that joins a table to a row of the same table (no per-step alias exists)."""
    if len(table.primary_key) != 1:
        return f"compare each primary-key column of {table.name} with the column that holds it"
    key = table.primary_key[0]
    holder = next((fk.columns[0] for fk in table.foreign_keys
                   if fk.referenced_table.lower() == table.name.lower() and len(fk.columns) == 1), None)
    example = f", e.g. {table.name}.{key} = {table.name}.{holder}" if holder else ""
    return f"compare {table.name}.{key} with the column that holds it{example}"
