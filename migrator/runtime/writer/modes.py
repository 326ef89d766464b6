"""Write modes: what a later write does to an item that is already in the table.

- overwrite: a later row of a key replaces the item (BatchWriteItem, no condition);
- insert_only: `attribute_not_exists(<partition key>)`, existing items are never touched (and
  of two rows with one key, the first wins);
- version_guarded: the item is written if it does not exist or its version attribute is lower
  than the row's (`attribute_not_exists(pk) OR version < :row_version`); equal or higher
  versions are skipped, so re-running an older extract never rolls an item back.

BatchWriteItem takes no condition, so a writer with a condition sends each item as one
conditional PutItem (see BatchWriter).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence

from migrator.runtime.spec import WRITE_MODES   # one list of modes for the contract's lint, the job and here
from migrator.runtime.writer.interface import Item

Condition = Callable[[Item], Dict[str, Any]]


def put_condition(mode: str, key_names: Sequence[str], version_column: Optional[str] = None) -> Optional[Condition]:
    """The PutItem condition arguments of one item in `mode`; None for overwrite (no condition)."""
    if mode not in WRITE_MODES:
        raise ValueError(f"write mode must be one of {', '.join(WRITE_MODES)}, got {mode!r}")
    if mode == "overwrite":
        return None
    names = {"#pk": key_names[0]}
    if mode == "insert_only":
        return lambda item: {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": names}
    if not version_column:
        raise ValueError("write mode version_guarded needs a version column")
    guarded = {**names, "#version": version_column}

    def newer(item: Item) -> Dict[str, Any]:
        if version_column not in item:
            raise ValueError(f"the item has no {version_column!r} (its version) to compare")
        return {"ConditionExpression": "attribute_not_exists(#pk) OR #version < :version",
                "ExpressionAttributeNames": guarded, "ExpressionAttributeValues": {":version": item[version_column]}}
    return newer
