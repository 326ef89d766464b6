"""Joins: the lists a chain or multi-column join needs, and what a JSON construction
builds (a positive limit, some columns, a list or map attribute to hold it)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.typed import Draft, is_whole
from migrator.contract.lint.common import E, W, kind_of, linted_tables, owners
from migrator.contract.model import Attribute, Join
from migrator.contract.paths import child
from migrator.findings import Finding


def json_type(produces: str, expected: str, kind: str | None, type_path: str) -> list[Finding]:
    """A JSON value (list L, map M) declared with another type: S stores the text, others cannot hold it."""
    if kind is None or kind == expected:
        return []
    shape = "list" if expected == "L" else "map"
    if kind == "S":
        return [Finding(W, type_path, f"{produces} gives a {shape}, which an S attribute stores as JSON text",
                        f"declare type {expected} to store a {shape}", "attribute.json_as_string")]
    return [Finding(E, type_path, f"{produces} gives a {shape}, which a {kind} attribute cannot hold",
                    f"declare type {expected}", "attribute.type_mismatch")]


def _join(draft: Draft, attribute: Attribute, join: Join) -> Iterator[Finding]:
    path = join.path
    for list_key, what in (("joins", "chain"), ("join_conditions", "multi-column")):
        if join.type == what and draft.is_empty(path, list_key):
            yield Finding(E, child(path, list_key), f"a {what} join needs at least one entry in `{list_key}`",
                          "add them, or use a foreign-key join", "join.empty")
    construction = join.construction
    if join.type != "json-construction" or construction is None:
        return
    limit = construction.limit
    if limit is not None and (not is_whole(limit) or limit < 1):
        yield Finding(E, child(construction.path, "limit"), f"limit {limit} is not a positive whole number",
                      "use 1 or more, or remove the limit", "join.limit")
    if draft.is_empty(construction.path, "select_columns"):
        yield Finding(E, child(construction.path, "select_columns"), "`select_columns` is empty",
                      'map each JSON key to a column, e.g. {"product_id": "product_id"}', "join.empty")
    shape = construction.type
    if shape in ("array", "object"):
        yield from json_type(f"a json-construction {shape}", "L" if shape == "array" else "M", kind_of(attribute),
                             child(attribute.path, "type"))


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                if attribute.join is not None:
                    yield from _join(draft, attribute, attribute.join)
