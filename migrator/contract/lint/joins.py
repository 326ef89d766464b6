"""Joins: the lists a chain or multi-column join needs, and what a JSON construction
builds (a positive limit, some columns, a list or map attribute to hold it)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.edits import Edit, Remove
from migrator.contract.typed import Draft, is_whole
from migrator.contract.lint.common import E, W, kind_of, linted_tables, owners, retype
from migrator.contract.model import Attribute, Join, Table
from migrator.contract.paths import child
from migrator.findings import Finding


def json_type(produces: str, expected: str, kind: str | None, type_path: str,
              edit: Edit | None = None) -> list[Finding]:
    """A JSON value (list L, map M) declared with another type: S stores the text, others cannot hold it.
    `edit` declares `expected` (None when the attribute's other roles forbid it: then the fix says so)."""
    if kind is None or kind == expected:
        return []
    shape = "list" if expected == "L" else "map"
    also = "" if edit is not None else " (and use another attribute where this one is a key, the ttl_attribute or a load column)"
    if kind == "S":
        return [Finding(W, type_path, f"{produces} gives a {shape}, which an S attribute stores as JSON text",
                        f"declare type {expected} to store a {shape}{also}", "attribute.json_as_string", edit)]
    return [Finding(E, type_path, f"{produces} gives a {shape}, which a {kind} attribute cannot hold",
                    f"declare type {expected}{also}", "attribute.type_mismatch", edit)]


#: what an empty list of a join needs (a foreign-key join needs one join_condition, not an empty list)
_EMPTY_FIX = {"joins": "add the steps, each with target_table, join_condition and select_column",
              "join_conditions": "add the conditions, or for a single one use a foreign-key join with "
                                 "`join_condition` in place of `join_conditions`"}


def _join(draft: Draft, table: Table, attribute: Attribute, join: Join) -> Iterator[Finding]:
    path = join.path
    for list_key, what in (("joins", "chain"), ("join_conditions", "multi-column")):
        if join.type == what and draft.is_empty(path, list_key):
            yield Finding(E, child(path, list_key), f"a {what} join needs at least one entry in `{list_key}`",
                          _EMPTY_FIX[list_key], "join.empty")
    construction = join.construction
    if join.type != "json-construction" or construction is None:
        return
    limit = construction.limit
    if limit is not None and (not is_whole(limit) or limit < 1):
        yield Finding(E, child(construction.path, "limit"), f"limit {limit} is not a positive whole number",
                      "remove the limit, or use 1 or more", "join.limit", Remove(child(construction.path, "limit")))
    if draft.is_empty(construction.path, "select_columns"):
        yield Finding(E, child(construction.path, "select_columns"), "`select_columns` is empty",
                      'map each JSON key to a column, e.g. {"product_id": "product_id"}', "join.empty")
    shape = construction.type
    if shape in ("array", "object"):
        expected = "L" if shape == "array" else "M"
        yield from json_type(f"a json-construction {shape}", expected, kind_of(attribute),
                             child(attribute.path, "type"), retype(draft, table, attribute, expected))


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                if attribute.join is not None:
                    yield from _join(draft, table, attribute, attribute.join)
