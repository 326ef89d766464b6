"""Hierarchies (docs/patterns.md): the path, depth or root of a row in a tree kept as a
self-referencing foreign key, read by walking up at most max_depth parents.

The walk is a chain of LEFT JOINs on the tree's primary key (n1 the start row, n2 its parent, ...,
one more than max_depth to tell a root whose parent is missing from a walk cut short), and the
value a CASE that stops at the first root: a row whose parent is NULL or names no row. A walk
that meets no root within max_depth rows (a cycle, or too deep) gives no value. Every join is on
a primary key, so the chain never multiplies rows.

Not WITH RECURSIVE: MariaDB (MDEV-40803, 10.11 here) and MySQL (Bug #116741, before 8.4.11) drop
rows of a recursive CTE, silently, when its working table outgrows memory and moves to disk —
measured here: 8 of 100,000 categories lost at the default 16 MB. Joins have no such state, run
on any MySQL or MariaDB, and a tree of a million rows costs the same per row as one of ten.
"""

from __future__ import annotations

import re

from sqlglot import exp

from migrator.compile.path_sql import PathEmitter, PathRow, Walked
from migrator.compile.view_core import BASE, CompileError, Entity, fn
from migrator.contract.edits import Batch, Edit, SetValue
from migrator.contract.lint.keys import NUMERIC_COLUMNS
from migrator.contract.model import Attribute, Hierarchy, Join
from migrator.findings import Finding, Severity
from migrator.mysql_schema import ColumnInfo, TableInfo
from migrator.sql.fragments import FragmentError, parse_fragment

#: attribute names that say a whole path is meant, where a join reads one level
PATH_LIKE = re.compile(r"path|breadcrumb|hierarch|lineage|ancestr|trail", re.IGNORECASE)
#: MySQL and MariaDB join at most 61 tables in one SELECT
MAX_TABLES = 61


class HierarchyCompiler(PathEmitter):
    """`hierarchy` attributes: path, depth or root id of the row the source column names."""

    def hierarchy_value(self, attr: Attribute, h: Hierarchy) -> exp.Expression:
        tree = self.table_info(h.table, f"{h.path}.table", plain=True)
        id_name = h.id_column or (tree.primary_key[0] if len(tree.primary_key) == 1 else None)
        if id_name is None or [id_name.lower()] != [c.lower() for c in tree.primary_key]:
            single = tree.primary_key[0] if len(tree.primary_key) == 1 else None
            raise CompileError(f"{h.path}.id_column", f"the walk follows ids that must name one row each; "
                               f"'{id_name or '(none)'}' is not the single-column primary key of '{tree.name}'",
                               f"use {tree.name}'s primary key, \"id_column\": \"{single}\"" if single else
                               f"give '{tree.name}' a single-column primary key", "hierarchy.id_column",
                               SetValue(f"{h.path}.id_column", single) if single else None)
        ident = self.column_name(tree, id_name, f"{h.path}.id_column")
        parent = self.column_name(tree, h.parent_column, f"{h.path}.parent_column", plain=True)
        source = self.source()
        if attr.source_table.lower() != source.name.lower():
            fix, edit = _start_fix(attr, self.entity, source, tree)
            raise CompileError(f"{attr.path}.source_table", f"a hierarchy starts at a column of the entity's own table "
                               f"'{source.name}', not of '{attr.source_table}'", fix, "hierarchy.source_table", edit)
        start = self.column_name(source, attr.column, f"{attr.path}.source_column",
                                 plain=isinstance(attr.source_column, str))
        kinds = {_family(info.column(c)) for info, c in ((tree, ident), (tree, parent), (source, start))}
        if len(kinds) > 1:   # '01' = 1 in MySQL: a text id met by a number could name two rows
            raise CompileError(h.path, f"the ids ({tree.name}.{ident}), the parents ({tree.name}.{parent}) and the "
                               f"start ({source.name}.{start}) are not all numbers or all text",
                               "walk columns of one kind", "hierarchy.id_types")
        named = None
        if h.value == "path":
            if not h.path_column:
                raise CompileError(f"{h.path}.path_column", "a path needs the column it is made of",
                                   'add "path_column"', "hierarchy.path_column")
            named = self.column_name(tree, h.path_column, f"{h.path}.path_column", plain=True)
        if h.value not in ("path", "depth", "root_id"):
            raise CompileError(f"{h.path}.value", f"unknown hierarchy value '{h.value}'", "use path, depth or root_id",
                               "hierarchy.value")
        chain = self._chain(tree, ident, parent, start, h)

        def col(level: int, column: str) -> exp.Expression:
            return exp.column(column, table=chain[level - 1], quoted=True)

        def part(level: int) -> exp.Expression:
            return fn("COALESCE", col(level, str(named)), exp.Literal.string(""))

        def value_at(level: int) -> exp.Expression:
            if h.value == "depth":
                return exp.Literal.number(level)
            if h.value == "root_id":
                return col(level, ident)
            parts: list[exp.Expression] = []
            for k in range(level, 0, -1):           # the root first, the start row last
                parts += [part(k), exp.Literal.string(h.separator)] if k > 1 else [part(k)]
            return fn("CONCAT", *parts) if len(parts) > 1 else parts[0]

        ifs = [exp.If(this=exp.Is(this=col(1, ident), expression=exp.Null()), true=exp.Null())]
        for level in range(1, h.max_depth + 1):
            is_root = exp.Or(this=exp.Is(this=col(level, parent), expression=exp.Null()),
                             expression=exp.Is(this=col(level + 1, ident), expression=exp.Null()))
            ifs.append(exp.If(this=is_root, true=value_at(level)))
        return exp.Case(ifs=ifs, default=exp.Null())

    def _chain(self, tree: TableInfo, ident: str, parent: str, start: str, h: Hierarchy) -> list[str]:
        """The aliases n1 .. n(max_depth + 1) of the walk from `start` (shared by the attributes that
        walk the same tree from the same column as far): n1 the start row, each next one its parent."""
        key = (tree.name, ident, parent, start, h.max_depth)
        found = self._chains.get(key)
        if found is not None:
            return found
        if len(self.joins) + h.max_depth + 2 > MAX_TABLES:
            raise CompileError(f"{h.path}.max_depth", f"a walk of {h.max_depth} rows joins {h.max_depth + 1} tables, "
                               f"and with this view's {len(self.joins) + 1} others that is more than the "
                               f"{MAX_TABLES} MySQL joins in one SELECT", "lower max_depth", "hierarchy.max_depth")
        aliases: list[str] = []
        rows = [PathRow(self.source().name, BASE, self.source())]
        conditions: list[exp.Expression] = []
        previous = exp.column(start, table=BASE, quoted=True)
        for _ in range(h.max_depth + 1):
            alias = self.new_alias(tree)
            rows.append(PathRow(tree.name, alias, tree))
            conditions.append(exp.EQ(this=exp.column(ident, table=alias, quoted=True), expression=previous))
            previous = exp.column(parent, table=alias, quoted=True)
            aliases.append(alias)
        self.emit_joined(Walked(tuple(rows), tuple(conditions)), [h.path] * len(conditions))
        self._chains[key] = aliases
        return aliases


def _start_fix(attr: Attribute, entity: Entity, source: TableInfo, tree: TableInfo) -> tuple[str, Edit | None]:
    """The hierarchy read from the entity's own table: from its source column when that table has it, else
    from the one column of the table that holds a tree id (its one key to the tree, its own id when it is
    the tree); the prose, and the edit when the column is known."""
    table = SetValue(f"{attr.path}.source_table", entity.source_table)
    if isinstance(attr.source_column, str) and source.column(attr.source_column) is not None:
        return f"set source_table to {entity.source_table} (whose {attr.source_column} holds the {tree.name} id)", table
    if source.name.lower() == tree.name.lower():
        starts = list(source.primary_key)
    else:
        starts = [fk.columns[0] for fk in source.foreign_keys
                  if len(fk.columns) == 1 and fk.referenced_table.lower() == tree.name.lower()]
    if len(starts) == 1:
        return (f"set source_table to {entity.source_table} and source_column to {starts[0]}, which holds the "
                f"{tree.name} id", Batch((table, SetValue(f"{attr.path}.source_column", starts[0]))))
    return (f"set source_table to {entity.source_table} and source_column to its column holding the {tree.name} id",
            None)


def _family(column: ColumnInfo | None) -> str:
    """How MySQL compares the column's values: as numbers, as bytes or as text."""
    kind = column.data_type.lower() if column else ""
    if kind in NUMERIC_COLUMNS:
        return "number"
    return "bytes" if kind in {"binary", "varbinary"} else "text"


def suggestion(attr: Attribute, join: Join, source: TableInfo, tree: TableInfo) -> Finding | None:
    """A join that reads one level of a tree (the parent's name) into an attribute whose name says
    a path: the `hierarchy` extension that gives the whole path, written out for this contract."""
    if not PATH_LIKE.search(attr.name) or len(tree.primary_key) != 1 or not join.select_column:
        return None
    parents = [fk.columns[0] for fk in tree.foreign_keys if len(fk.columns) == 1
               and fk.referenced_table.lower() == tree.name.lower()
               and [c.lower() for c in fk.referenced_columns] == [tree.primary_key[0].lower()]]
    try:
        selected = parse_fragment(str(join.select_column)).tree
    except FragmentError:
        return None
    if len(parents) != 1 or not isinstance(selected, exp.Column):
        return None
    if tree.name.lower() == source.name.lower():
        start = source.primary_key[0] if len(source.primary_key) == 1 else None
    else:
        to_tree = [fk.columns[0] for fk in source.foreign_keys if len(fk.columns) == 1
                   and fk.referenced_table.lower() == tree.name.lower()]
        start = attr.column if attr.column in to_tree else (to_tree[0] if len(to_tree) == 1 else None)
    if start is None:
        return None
    spec = (f'"source_column": "{start}", "hierarchy": {{"table": "{tree.name}", "parent_column": "{parents[0]}", '
            f'"value": "path", "path_column": "{selected.name}"}}')
    return Finding(Severity.WARNING, join.path, f"attribute '{attr.name}' is named as a path but reads the "
                   f"{selected.name} of one row of the {tree.name} tree", f"for the whole path from the root, replace the "
                   f"join by {spec} (migrator's hierarchy extension; \"value\": \"depth\" gives the level)",
                   "hierarchy.suggested")
