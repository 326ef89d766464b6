"""The shape of the contract and its tables: something to migrate, items DynamoDB can
store, and the list a table's type reads (the other one is ignored, with a warning)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.edits import Remove
from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, W
from migrator.contract.paths import ROOT, child
from migrator.findings import Finding

MAX_ITEM_BYTES = 400 * 1024        # DynamoDB's item size limit


def findings(draft: Draft) -> Iterator[Finding]:
    if draft.is_empty(ROOT, "tables"):
        yield Finding(W, child(ROOT, "tables"), "the contract has no tables; there is nothing to migrate",
                      "add a table", "contract.empty")
    for table in draft.contract.tables:
        size = table.estimated_item_size_bytes
        if size is not None and size > MAX_ITEM_BYTES:
            yield Finding(W, child(table.path, "estimated_item_size_bytes"),
                          f"estimated item size {size} bytes exceeds DynamoDB's 400 KB item limit",
                          "move large values out of the item (e.g. to S3) or split the entity", "table.item_size")
        if table.type == "single-entity" and draft.has(table.path, "entities"):
            yield Finding(W, child(table.path, "entities"), "a single-entity table's `entities` are ignored",
                          "remove them, or make the table multi-entity", "table.entities_ignored",
                          Remove(child(table.path, "entities")))
        if table.type == "multi-entity":
            if draft.has(table.path, "attributes"):
                yield Finding(W, child(table.path, "attributes"), "a multi-entity table's `attributes` are ignored",
                              "move them into the entities, or make the table single-entity",
                              "table.attributes_ignored")
            if draft.is_empty(table.path, "entities"):
                yield Finding(E, child(table.path, "entities"), "a multi-entity table needs at least one entity",
                              "add the entities whose items the table holds", "table.empty")
