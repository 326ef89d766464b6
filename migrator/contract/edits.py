"""A finding's fix as data: one change to the contract document that a tool can apply.

A fix in prose says what to do; when that is one concrete change (rename a misspelled key,
remove a field that is ignored or conflicts, set a field to a value that can be decided
without the author), the finding also carries it as an `Edit`. `apply_edit` applies one to a
parsed document and returns a new document (the input is never changed); `edit_json` and
`edit_from_json` are its plain-data form, in the output of `migrator validate --json`.

Paths are the findings' own (`$.tables[0].attributes[3].join`, see `paths`). Every edit of a
finding is tested (tests/test_properties_suggestions.py): applied to a contract with that
finding, the finding is gone and no error appears that was not there before.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from migrator.contract.paths import PathPart, child, json_path, parse_path

#: what `SetValue` writes: a JSON scalar (edits stay hashable, like the findings that carry them)
Scalar = str | int | float | bool | None


class EditError(ValueError):
    """The edit does not fit the document: its path is missing, or the key it renames to exists."""


@dataclass(frozen=True)
class SetValue:
    """Set the value at `path`: replace it, or add the key to the object that holds it."""

    path: str
    value: Scalar


@dataclass(frozen=True)
class Remove:
    """Remove the key (or the list item) at `path`."""

    path: str


@dataclass(frozen=True)
class Rename:
    """Rename the key at `path` to `new_key`, keeping its value and its place in the object."""

    path: str
    new_key: str

    @property
    def target(self) -> str:
        """The path the value has after the edit."""
        return child(_parent(self.path), self.new_key)


@dataclass(frozen=True)
class Batch:
    """Several edits applied one after the other (a rename and the fields that refer to the name)."""

    edits: tuple[Edit, ...]


Edit = SetValue | Remove | Rename | Batch


# ---------------------------------------------------------------------------- applying

def _parts(path: str) -> tuple[PathPart, ...]:
    try:
        parts = parse_path(path)
    except ValueError as exc:
        raise EditError(str(exc)) from exc
    if not parts:
        raise EditError("an edit cannot replace the whole document")
    return parts


def _parent(path: str) -> str:
    return json_path(_parts(path)[:-1])


def _locate(doc: Any, path: str) -> tuple[Any, PathPart]:
    """The container of the node at `path` (an object or a list of the document) and its key there."""
    parts = _parts(path)
    node = doc
    for depth, part in enumerate(parts[:-1]):
        node = _step(node, part, parts[:depth + 1])
    last = parts[-1]
    if isinstance(last, int) != isinstance(node, list) or not isinstance(node, list | dict):
        raise EditError(f"{path} is not in the document")
    return node, last


def _step(node: Any, part: PathPart, parts: tuple[PathPart, ...]) -> Any:
    if isinstance(part, int) and isinstance(node, list) and part < len(node):
        return node[part]
    if isinstance(part, str) and isinstance(node, dict) and part in node:
        return node[part]
    raise EditError(f"{json_path(parts)} is not in the document")


def _apply(doc: Any, edit: Edit) -> None:
    """Apply `edit` to `doc` in place."""
    if isinstance(edit, Batch):
        for one in edit.edits:
            _apply(doc, one)
        return
    container, key = _locate(doc, edit.path)
    if isinstance(container, list):
        assert isinstance(key, int)
        if key >= len(container) or isinstance(edit, Rename):
            raise EditError(f"{edit.path} is not an item of the list")
        if isinstance(edit, SetValue):
            container[key] = edit.value
        else:
            del container[key]
        return
    if isinstance(edit, SetValue):
        container[key] = edit.value
        return
    if key not in container:
        raise EditError(f"{edit.path} is not in the document")
    if isinstance(edit, Remove):
        del container[key]
        return
    if edit.new_key in container:
        raise EditError(f"{edit.target} is already in the document")
    items = [(edit.new_key if k == key else k, v) for k, v in container.items()]
    container.clear()
    container.update(items)


def apply_edit(doc: Any, edit: Edit) -> Any:
    """A new document: `doc` with `edit` applied (`doc` is not changed); EditError when it does not fit."""
    out = copy.deepcopy(doc)
    _apply(out, edit)
    return out


# ---------------------------------------------------------------------------- as plain data

def edit_json(edit: Edit) -> dict[str, Any]:
    """The edit as JSON: `{"op": "set" | "remove" | "rename" | "batch", ...}`."""
    if isinstance(edit, SetValue):
        return {"op": "set", "path": edit.path, "value": edit.value}
    if isinstance(edit, Remove):
        return {"op": "remove", "path": edit.path}
    if isinstance(edit, Rename):
        return {"op": "rename", "path": edit.path, "to": edit.new_key}
    return {"op": "batch", "edits": [edit_json(e) for e in edit.edits]}


def edit_from_json(data: Any) -> Edit:
    """The edit `edit_json` wrote; EditError for anything else."""
    if not isinstance(data, dict):
        raise EditError("an edit is a JSON object")
    op, path = data.get("op"), data.get("path")
    if op == "batch" and isinstance(data.get("edits"), list):
        return Batch(tuple(edit_from_json(e) for e in data["edits"]))
    if not isinstance(path, str):
        raise EditError("an edit needs a `path`")
    _parts(path)
    value = data.get("value")
    if op == "set" and "value" in data and (value is None or isinstance(value, str | int | float | bool)):
        return SetValue(path, value)
    if op == "remove":
        return Remove(path)
    if op == "rename" and isinstance(data.get("to"), str):
        return Rename(path, data["to"])
    raise EditError(f"not an edit: {data!r}")
