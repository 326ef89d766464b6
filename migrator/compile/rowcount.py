"""The invariant the mapping cannot fool: an entity's view has exactly one row per row of its
source table. A LEFT JOIN never drops a row, so the only ways to break it are a join that
meets several rows (it multiplies) or an aggregate outside a subquery (it collapses).

Pure: what to count and how. The plan counts the compiled SELECT against the source table
before anything exists (planning/live_checks.py) and, when they differ, counts again after each
join the contract wrote, in the order the SELECT joins them, to name the first that
multiplies; the check after a load and `verify` count the view itself (compare/rowcount.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from migrator.compile.view_core import BASE, ViewSpec
from migrator.sql.dialect import generate


@dataclass(frozen=True)
class JoinStep:
    """The rows after every join up to the last one written at `path` (one attribute's joins)."""

    path: str
    table: str
    count_sql: str


@dataclass(frozen=True)
class RowCount:
    """How to prove one entity's view keeps its rows."""

    view: str
    owner: str                  # "table Orders" / "entity USER of table Users", for messages
    path: str                   # the entity's JSON path
    source_table: str
    counts_sql: str             # one row: (source_rows, view_rows)
    steps: tuple[JoinStep, ...]


def _count(from_: exp.Expr) -> exp.Select:
    return exp.select(exp.Count(this=exp.Star())).from_(from_)


def _source(table: str) -> exp.Expr:
    return exp.alias_(exp.to_table(table, quoted=True), BASE, table=True, quoted=True)


def source_count_sql(table: str) -> str:
    return generate(_count(exp.to_table(table, quoted=True)))


def view_count_sql(view: str) -> str:
    return generate(_count(exp.to_table(view, quoted=True)))


def row_count(spec: ViewSpec, owner: str, path: str) -> RowCount:
    """What to count for `spec`: the whole SELECT against its source table, and the rows after
    each contract path's joins (a path's joins are consecutive: one attribute adds them together)."""
    select: exp.Expr = exp.maybe_parse(spec.select_sql, dialect="mysql")
    counts = exp.select(
        exp.alias_(exp.Subquery(this=_count(exp.to_table(spec.source_table, quoted=True))), "source_rows", quoted=True),
        exp.alias_(exp.Subquery(this=_count(exp.alias_(exp.Subquery(this=select), "v", table=True))), "view_rows",
                   quoted=True))
    steps: list[JoinStep] = []
    query = _count(_source(spec.source_table))
    for i, join in enumerate(spec.joins):
        query = query.join(join.node.copy())
        last_of_path = i + 1 == len(spec.joins) or spec.joins[i + 1].path != join.path
        if last_of_path:
            steps.append(JoinStep(join.path, join.table, generate(query)))
    return RowCount(spec.name, owner, path, spec.source_table, generate(counts), tuple(steps))
