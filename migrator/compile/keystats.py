"""One grouped count over a table's entity views: how many rows have an unloadable (NULL or
empty) key, and how many share a (pk, sk) with another row and would overwrite it.

Used by the plan (over the compiled SELECTs, before any view exists) and by the check
after a load (over the views). S and B keys group by their bytes, as DynamoDB compares
them (a MySQL collation would call 'a' and 'A' equal); N keys by their value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from migrator.sql.dialect import generate


@dataclass(frozen=True)
class KeyStats:
    rows: int             # rows of all the table's entities
    unloadable: int       # NULL or empty key: the load rejects them
    keys: int             # distinct loadable keys = items the table will hold
    colliding_rows: int   # loadable rows whose key another row also has
    colliding_keys: int   # keys held by more than one row

    @property
    def overwritten(self) -> int:
        """Rows whose item another row's item replaces."""
        return self.colliding_rows - self.colliding_keys


def _key(expr: exp.Expression, kind: str) -> exp.Expression:
    return expr if kind == "N" else exp.Cast(this=expr, to=exp.DataType.build("BINARY"))


def key_stats_sql(sources: Sequence[str | exp.Expression], keys: Sequence[tuple[str, str]]) -> str:
    """`sources`: view names, or SELECT statements (as SQL text) of the entities.

    `keys`: (attribute name, DynamoDB type) of the table's pk and, when it has one, sk.
    """
    parts: list[exp.Expression] = []
    for source in sources:
        if isinstance(source, str) and source.lstrip().upper().startswith(("SELECT", "WITH", "(")):
            from_: exp.Expr = exp.alias_(exp.Subquery(this=exp.maybe_parse(source, dialect="mysql")), "s",
                                               table=True)
        elif isinstance(source, str):
            from_ = exp.to_table(source, quoted=True)
        else:
            from_ = source
        parts.append(exp.select(*[exp.alias_(exp.column(name, quoted=True), f"k{i}", quoted=True)
                                  for i, (name, _) in enumerate(keys)]).from_(from_))
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.Union(this=union, expression=part, distinct=False)
    all_rows = exp.alias_(exp.Subquery(this=union), "v", table=True)

    def col(i: int) -> exp.Column:
        return exp.column(f"k{i}", table="v", quoted=True)

    loadable: exp.Expression | None = None
    for i, (_, kind) in enumerate(keys):
        cond: exp.Expression = exp.Not(this=exp.Is(this=col(i), expression=exp.Null()))
        if kind != "N":
            cond = exp.And(this=cond, expression=exp.NEQ(this=exp.func("LENGTH", col(i)), expression=exp.Literal.number(0)))
        loadable = cond if loadable is None else exp.And(this=loadable, expression=cond)
    assert loadable is not None
    grouped = (exp.select(exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
               .from_(all_rows.copy()).where(loadable)
               .group_by(*[_key(col(i), kind) for i, (_, kind) in enumerate(keys)]))
    n = exp.column("n", table="g", quoted=True)
    one = exp.Literal.number(1)
    zero = exp.Literal.number(0)
    summary = exp.select(
        exp.alias_(exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(all_rows.copy())), "rows_", quoted=True),
        exp.alias_(exp.func("COALESCE", exp.Sum(this=n.copy()), zero), "loadable_", quoted=True),
        exp.alias_(exp.Count(this=exp.Star()), "keys_", quoted=True),
        exp.alias_(exp.func("COALESCE", exp.Sum(this=exp.Case(ifs=[exp.If(this=exp.GT(this=n.copy(), expression=one),
                                                                          true=n.copy())], default=zero)), zero),
                   "colliding_rows_", quoted=True),
        exp.alias_(exp.func("COALESCE", exp.Sum(this=exp.Case(ifs=[exp.If(this=exp.GT(this=n.copy(), expression=one),
                                                                          true=one)], default=zero)), zero),
                   "colliding_keys_", quoted=True),
    ).from_(exp.alias_(exp.Subquery(this=grouped), "g", table=True))
    return generate(summary)


def key_stats(row: Sequence[object]) -> KeyStats:
    rows, loadable, keys, colliding_rows, colliding_keys = (int(v or 0) for v in row)  # type: ignore[call-overload]
    return KeyStats(rows=rows, unloadable=rows - loadable, keys=keys, colliding_rows=colliding_rows,
                    colliding_keys=colliding_keys)
