"""A query's own ORDER BY, carried onto the pages: JSON_ARRAYAGG loses the SQL order, so each
page is numbered by ROW_NUMBER() over the same terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: the output names of ORDER BY expressions the query did not select (read for the order only)
HIDDEN_PREFIX = "__migrator_o"


def order_plan(sql: str, names: Sequence[str]) -> tuple[str, list[tuple[str, bool]]] | None:
    """The query's own ORDER BY as (output column, descending) pairs, so pages keep the SQL order.

    ORDER BY terms that name an output column (by name, alias or position) map directly; other
    expressions become hidden output columns `__migrator_o<n>` (the SQL is rewritten to select
    them). Returns the SQL to run and the terms, or None when the order cannot be carried over.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree: Any = sqlglot.parse_one(sql, read="mysql")
    except Exception:
        return None
    order = tree.args.get("order") if isinstance(tree, exp.Query) else None
    if order is None:
        return sql, []
    lowered = {n.lower(): n for n in names}
    selects = tree.selects if isinstance(tree, exp.Select) else []
    terms: list[tuple[str, bool]] = []
    hidden: list[Any] = []
    for term in order.expressions:
        e, desc = term.this, bool(term.args.get("desc"))
        name: str | None = None
        if isinstance(e, exp.Literal) and e.is_int and 1 <= int(e.this) <= len(names):
            name = names[int(e.this) - 1]
        elif isinstance(e, exp.Column) and not e.table and e.name.lower() in lowered:
            name = lowered[e.name.lower()]
        else:
            for s in selects:  # the same expression (or qualified column) is selected: use its output name
                inner = s.this if isinstance(s, exp.Alias) else s
                if inner == e and s.alias_or_name.lower() in lowered:
                    name = lowered[s.alias_or_name.lower()]
                    break
        if name is None:
            if not isinstance(tree, exp.Select) or tree.args.get("distinct"):
                return None  # a hidden column would change what UNION/DISTINCT return
            name = f"{HIDDEN_PREFIX}{len(hidden)}"
            hidden.append(exp.alias_(e.copy(), name))
        terms.append((name, desc))
    if hidden and isinstance(tree, exp.Select):
        for h in hidden:
            tree.select(h, append=True, copy=False)
        sql = tree.sql(dialect="mysql")
    return sql, terms
