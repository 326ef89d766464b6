"""Hierarchies (docs/patterns.md): a LEFT JOIN to a derived table that walks a self-referencing
foreign key up from every row of the tree with WITH RECURSIVE.

The walk keeps, per starting row, the ids it visited (cycle protection: a row is never entered
twice) and its depth (stops at max_depth). The row it ends on is a root when its parent is NULL
or names no row; a walk that ends anywhere else (a cycle, too deep) gives no row, so the
attribute has no value. One row per starting id at most, so the join never multiplies rows.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from migrator.compile.view_core import BASE, BuilderCore, CompileError
from migrator.contract.model import Attribute, Hierarchy, Join
from migrator.findings import Finding, Severity
from migrator.mysql_schema import ColumnInfo, TableInfo
from migrator.sql.fragments import FragmentError, parse_fragment

#: attribute names that say a whole path is meant, where a join reads one level
PATH_LIKE = re.compile(r"path|breadcrumb|hierarch|lineage|ancestr|trail", re.IGNORECASE)
#: the widest text a walk carries (a path, the visited ids), whatever the columns allow
MAX_TEXT = 16383
_LENGTH = re.compile(r"\((\d+)\)")


def _text_width(column: ColumnInfo, fallback: int) -> int:
    """Characters a column's value can take as text (its declared length; else `fallback`)."""
    found = _LENGTH.search(column.column_type)
    if column.data_type.lower() in {"char", "varchar"} and found:
        return int(found.group(1))
    if column.data_type.lower() in {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}:
        return 20
    return fallback


def _ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="mysql")


class HierarchyCompiler(BuilderCore):
    """`hierarchy` attributes: path, depth or root id of the row the source column names."""

    def hierarchy_value(self, attr: Attribute, h: Hierarchy) -> exp.Expression:
        server = self.server
        if (server.flavour == "mariadb" and server.version_number < (10, 2, 2)) or \
                (server.flavour != "mariadb" and server.version_number < (8, 0)):
            raise CompileError(h.path, f"a hierarchy needs WITH RECURSIVE, which {server.flavour} {server.version} "
                               "lacks (MariaDB 10.2.2 and MySQL 8.0 have it)", "upgrade the server, or use a join",
                               "hierarchy.server")
        tree = self.table_info(h.table, f"{h.path}.table")
        id_name = h.id_column or (tree.primary_key[0] if len(tree.primary_key) == 1 else None)
        if id_name is None or [id_name.lower()] != [c.lower() for c in tree.primary_key]:
            raise CompileError(f"{h.path}.id_column", f"the walk follows ids that must name one row each; "
                               f"'{id_name or '(none)'}' is not the single-column primary key of '{tree.name}'",
                               f"use {tree.name}'s primary key" if len(tree.primary_key) == 1 else
                               f"give '{tree.name}' a single-column primary key", "hierarchy.id_column")
        ident = self.column_name(tree, id_name, f"{h.path}.id_column")
        parent = self.column_name(tree, h.parent_column, f"{h.path}.parent_column")
        start = exp.column(self.column_name(self.source(), attr.column, f"{attr.path}.source_column"), table=BASE,
                           quoted=True)
        id_info, name_info = tree.column(ident), None
        named: str | None = None
        if h.value == "path":
            if not h.path_column:
                raise CompileError(f"{h.path}.path_column", "a path needs the column it is made of",
                                   'add "path_column"', "hierarchy.path_column")
            named = self.column_name(tree, h.path_column, f"{h.path}.path_column")
            name_info = tree.column(named)

        def part(row: str) -> str:
            """A row's part of the path: its name (NULL counts as empty text)."""
            return f"COALESCE({row}.{_ident(named)}, '')" if named else "''"

        depth = h.max_depth
        sep = exp.Literal.string(h.separator).sql(dialect="mysql")
        id_width = _text_width(id_info, 255) if id_info else 255
        path_width = min(MAX_TEXT, depth * ((_text_width(name_info, 255) if name_info else 255) + len(h.separator)))
        visited_width = min(MAX_TEXT, depth * (id_width + 1) + 1)
        table, i, pc = _ident(tree.name), _ident(ident), _ident(parent)
        walk = f"""WITH RECURSIVE `walk` (`start_id`, `cur_id`, `parent_id`, `path`, `depth`, `visited`) AS (
            SELECT c.{i}, c.{i}, c.{pc}, CAST({part('c')} AS CHAR({path_width})), 1,
                   CAST(CONCAT(',', c.{i}, ',') AS CHAR({visited_width}))
            FROM {table} AS c
            UNION ALL
            SELECT w.`start_id`, p.{i}, p.{pc}, CONCAT({part('p')}, {sep}, w.`path`), w.`depth` + 1,
                   CONCAT(w.`visited`, p.{i}, ',')
            FROM `walk` AS w JOIN {table} AS p ON p.{i} = w.`parent_id`
            WHERE w.`depth` < {depth} AND LOCATE(CONCAT(',', p.{i}, ','), w.`visited`) = 0)
            SELECT w.`start_id`, w.`path`, w.`depth`, w.`cur_id` AS `root_id` FROM `walk` AS w
            WHERE w.`parent_id` IS NULL OR NOT EXISTS (SELECT 1 FROM {table} AS x WHERE x.{i} = w.`parent_id`)"""
        self._counter += 1
        alias = f"h{self._counter}"
        derived = exp.Subquery(this=sqlglot.parse_one(walk, dialect="mysql"),
                               alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
        self.joins.append(exp.Join(this=derived, side="LEFT",
                                   on=exp.EQ(this=exp.column("start_id", table=alias, quoted=True), expression=start)))
        column = {"path": "path", "depth": "depth", "root_id": "root_id"}.get(h.value)
        if column is None:
            raise CompileError(f"{h.path}.value", f"unknown hierarchy value '{h.value}'", "use path, depth or root_id",
                               "hierarchy.value")
        return exp.column(column, table=alias, quoted=True)


def suggestion(attr: Attribute, join: Join, source: TableInfo, tree: TableInfo) -> Finding | None:
    """A join that reads one level of a tree (the parent's name) into an attribute whose name says
    a path: the `hierarchy` extension that gives the whole path, written out for this contract."""
    if not PATH_LIKE.search(attr.name) or len(tree.primary_key) != 1:
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
        start = next((fk.columns[0] for fk in source.foreign_keys if len(fk.columns) == 1
                      and fk.referenced_table.lower() == tree.name.lower()), None)
    if start is None:
        return None
    spec = (f'"source_column": "{start}", "hierarchy": {{"table": "{tree.name}", "parent_column": "{parents[0]}", '
            f'"value": "path", "path_column": "{selected.name}"}}')
    return Finding(Severity.WARNING, join.path, f"attribute '{attr.name}' is named as a path but reads the "
                   f"{selected.name} of one row of the {tree.name} tree", f"for the whole path from the root, replace the "
                   f"join by {spec} (migrator's hierarchy extension; \"value\": \"depth\" gives the level)",
                   "hierarchy.suggested")
