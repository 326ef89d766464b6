"""SQL fragments, offline: each must be one safe MySQL expression (no second statement,
comment, subquery, DDL or DML) and name only tables of its join. The live schema check of
tables and columns happens at plan time."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, W, owners
from migrator.contract.model import Calculation, Join, RelationalPath
from migrator.contract.paths import child
from migrator.findings import Finding
from migrator.sql.fragments import FragmentError, parse_fragment, split_order

Fragment = tuple[str, str, set[str]]  # (text, path, table names the fragment may use)


def _order_parts(text: str) -> list[str]:
    return [re.sub(r"\s+(ASC|DESC)$", "", p.strip(), flags=re.IGNORECASE) for p in split_order(text)]


def _join_fragments(draft: Draft, join: Join, source: str) -> Iterator[Fragment]:
    path, target = join.path, join.target_table
    names = {source.lower()} | ({target.lower()} if target else set())
    if join.join_alias:
        names.add(join.join_alias.lower())
    for key, text in (("join_condition", join.join_condition), ("select_column", join.select_column),
                      ("condition", join.condition), ("else_value", join.else_value)):
        if text is not None:
            yield text, child(path, key), names
    for i, text in enumerate(join.join_conditions):
        yield text, child(child(path, "join_conditions"), i), names
    chained = {source.lower()}
    for step in join.joins:
        if draft.valid(step.path, "target_table"):
            chained.add(step.target_table.lower())
        for key, text in (("join_condition", step.join_condition), ("select_column", step.select_column)):
            if draft.valid(step.path, key):
                yield text, child(step.path, key), set(chained)
    construction = join.construction
    if construction is not None:
        for key, text in construction.select_columns:
            yield text, child(child(construction.path, "select_columns"), key), names
        if construction.order_by is not None:
            for part in _order_parts(construction.order_by):
                yield part, child(construction.path, "order_by"), names


def _calculation_fragments(draft: Draft, calculation: Calculation, source: str) -> Iterator[Fragment]:
    path, target = calculation.path, calculation.target_table
    names = {source.lower()} | ({target.lower()} if target else set())
    if calculation.type == "aggregate":
        for key, text in (("join_condition", calculation.join_condition),
                          ("select_column", calculation.select_column)):
            if text is not None and text != "*":
                yield text, child(path, key), names
    if calculation.type == "case":
        for case in calculation.cases:
            for key, text in (("when", case.when), ("then", case.then)):
                if draft.valid(case.path, key):
                    yield text, child(case.path, key), {source.lower()}
        if calculation.else_value is not None:
            yield calculation.else_value, child(path, "else"), {source.lower()}


def _path_fragments(path: RelationalPath, source: str) -> Iterator[Fragment]:
    """A step's `on` may name the rows before it and its own; the end, every row on the path."""
    names = {source.lower()}
    for step in path.steps:
        names.add(step.name.lower())
        if step.on is not None:
            yield step.on, child(step.path, "on"), set(names)
    if path.value is not None:
        yield path.value, child(path.path, "value"), names
    agg = path.aggregate
    if agg is not None:
        if agg.of is not None and agg.of.strip() != "*":
            yield agg.of, child(agg.path, "of"), names
        if agg.filter is not None:
            yield agg.filter, child(agg.path, "filter"), names
    c = path.collection
    if c is not None:
        for f in c.fields:
            if f.expression:   # a missing one is the schema's finding
                yield f.expression, f.path, names
        if c.filter is not None:
            yield c.filter, child(c.path, "filter"), names
        if c.order_by is not None:
            for part in _order_parts(c.order_by):
                yield part, child(c.path, "order_by"), names


def _fragments(draft: Draft) -> Iterator[Fragment]:
    for table in draft.contract.tables:
        for owner in owners(draft, table):
            source = owner.source_table or ""
            for attribute in owner.attributes:
                if attribute.join is not None:
                    yield from _join_fragments(draft, attribute.join, source)
                if attribute.calculation is not None:
                    yield from _calculation_fragments(draft, attribute.calculation, source)
                if attribute.relational_path is not None:
                    yield from _path_fragments(attribute.relational_path, source)


def findings(draft: Draft) -> Iterator[Finding]:
    for text, path, names in _fragments(draft):
        try:
            tree = parse_fragment(text).tree
        except FragmentError as exc:
            yield Finding(E, path, f"'{text}' {exc}", None, exc.code)
            continue
        for column in tree.find_all(exp.Column):
            if column.table and column.table.lower() not in names:
                yield Finding(W, path, f"'{text}' names '{column.table}', which is not a table of this join",
                              "name the source table, the target table or the join_alias", "sql.table")
                break
