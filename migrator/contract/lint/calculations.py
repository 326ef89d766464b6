"""Calculations: the operands each kind needs (cases, parts, a date-math operation, unit
and one operand)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, linted_tables, owners
from migrator.contract.model import Calculation
from migrator.contract.paths import child
from migrator.findings import Finding


def _calculation(draft: Draft, calculation: Calculation) -> Iterator[Finding]:
    kind, path = calculation.type, calculation.path

    def needs(key: str, message: str, fix: str) -> Finding:
        return Finding(E, child(path, key), message, fix, "calculation.required")

    if kind == "case" and draft.is_empty(path, "cases"):
        yield needs("cases", "a case calculation needs at least one case", 'add {"when": ..., "then": ...}')
    elif kind == "concat" and not draft.has(path, "parts"):
        yield needs("parts", "a concat calculation needs `parts`",
                    "list the columns and quoted literals to join, e.g. [\"first_name\", \"' '\", \"last_name\"]")
    elif kind == "date-math":
        for key, fix in (("operation", "use add, subtract or diff"),
                         ("unit", "use one of SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR")):
            if not draft.has(path, key):
                yield needs(key, f"a date-math calculation needs `{key}`", fix)
        has_value, has_other = draft.has(path, "value"), draft.has(path, "other_column")
        if not has_value and not has_other:
            yield needs("value", "a date-math calculation needs `value` or `other_column`",
                        "give a constant `value` or the `other_column` to use")
        elif has_value and has_other:
            yield Finding(E, child(path, "other_column"), "`value` and `other_column` are both given",
                          "keep one of them", "calculation.ambiguous")


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                if attribute.calculation is not None:
                    yield from _calculation(draft, attribute.calculation)
