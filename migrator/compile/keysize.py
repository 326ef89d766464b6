"""Keys over DynamoDB's size limits, counted in MySQL before anything loads: a partition key may
hold 2,048 bytes, a sort key 1,024 (of the table and of every index). The load rejects such a row
(runtime/items.py, the same limits); the plan says how many there are, so nobody learns it from
a failed apply. Only S and B keys can be long: a number is at most 38 digits.

Pure: which attributes to measure in which entity's SELECT, and the one query that counts them.
MySQL measures the bytes of the value the view gives; the runtime stores the same text for
strings and numbers, and temporal values as ISO text of the same order of length, so the
count is MySQL's count of the rows the load will reject for this reason (said as such)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from migrator.contract.model import Attribute, Table
from migrator.runtime.spec import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES
from migrator.sql.dialect import generate


@dataclass(frozen=True)
class KeyLimit:
    """One key attribute of an entity and the most bytes its value may have."""

    attribute: str
    path: str          # the attribute's JSON path
    role: str          # "partition key of table X" / "sort key of index Y"
    limit: int


@dataclass(frozen=True)
class KeySizeCount:
    """The keys of one entity to measure, and the query that counts the rows over each limit."""

    owner: str
    source_table: str
    limits: tuple[KeyLimit, ...]
    count_sql: str     # one row: per limit, the rows whose value is longer


def key_limits(table: Table, attributes: Sequence[Attribute]) -> list[KeyLimit]:
    """The S and B attributes that are a partition or sort key of the table or of an index."""
    roles: list[tuple[str, str, int]] = [(table.pk, f"partition key of table {table.name}", MAX_PARTITION_KEY_BYTES)]
    if table.sk:
        roles.append((table.sk, f"sort key of table {table.name}", MAX_SORT_KEY_BYTES))
    for gsi in table.gsis:
        roles.append((gsi.pk, f"partition key of index {gsi.index_name}", MAX_PARTITION_KEY_BYTES))
        if gsi.sk:
            roles.append((gsi.sk, f"sort key of index {gsi.index_name}", MAX_SORT_KEY_BYTES))
    by_name = {a.name: a for a in attributes}
    out = []
    for name, role, limit in roles:
        attr = by_name.get(name)
        if attr is not None and attr.type in ("S", "B"):
            out.append(KeyLimit(name, attr.path, role, limit))
    return out


def key_size_count(select_sql: str, owner: str, source_table: str, limits: Sequence[KeyLimit]) -> KeySizeCount | None:
    """None when the entity has no key that can be long."""
    if not limits:
        return None
    rows = exp.alias_(exp.Subquery(this=exp.maybe_parse(select_sql, dialect="mysql")), "v", table=True)
    over = [exp.func("COALESCE", exp.Sum(this=exp.GT(
        this=exp.func("LENGTH", exp.Cast(this=exp.column(k.attribute, table="v", quoted=True),
                                         to=exp.DataType.build("BINARY"))),
        expression=exp.Literal.number(k.limit))), exp.Literal.number(0)) for k in limits]
    return KeySizeCount(owner, source_table, tuple(limits), generate(exp.select(*over).from_(rows)))
