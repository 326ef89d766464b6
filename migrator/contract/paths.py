"""JSON paths (`$.tables[0].attributes[3].join`): the address of every finding.

Paths are strings so findings stay plain data; these helpers build them without string
surgery at call sites, read them back (tests, sorting) and name the node they point at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

PathPart = str | int

ROOT = "$"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOKEN = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')

# What a node is called in messages, by the key (or list) that holds it.
_NODE_NAMES = {
    "tables": "table", "gsis": "GSI", "entities": "entity", "attributes": "attribute",
    "joins": "chain step", "cases": "case", "join": "join", "calculation": "calculation",
    "transformation": "transformation", "construction": "construction",
}


def child(path: str, key: PathPart) -> str:
    """The path of `key` (an object key or a list index) under `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def json_path(parts: Iterable[PathPart]) -> str:
    path = ROOT
    for part in parts:
        path = child(path, part)
    return path


def parse_path(path: str) -> tuple[PathPart, ...]:
    """The parts of a path made by `child`; ValueError for anything else."""
    if not path.startswith(ROOT):
        raise ValueError(f"not a JSON path: {path!r}")
    parts: list[PathPart] = []
    pos = len(ROOT)
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            raise ValueError(f"not a JSON path: {path!r}")
        name, index, quoted = m.groups()
        parts.append(name if name is not None else int(index) if index is not None else json.loads(quoted))
        pos = m.end()
    return tuple(parts)


def sort_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Document order for siblings in lists (`[2]` before `[10]`), names alphabetically."""
    try:
        parts = parse_path(path)
    except ValueError:
        return ((2, path),)
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in parts)


def node_name(parts: tuple[PathPart, ...]) -> str:
    """What the node at `parts` is called in a message ("attribute", "join", ...)."""
    for part in reversed(parts):
        if isinstance(part, str):
            return _NODE_NAMES.get(part, f"`{part}`")
    return "contract"
