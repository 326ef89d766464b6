"""Hypothesis strategies for contracts: arbitrary JSON, contract-shaped JSON, and the
workshop's real contract after random mutations. Shared by the contract tests and
`benchmarks/fuzz_contracts.py`."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from migrator.contract.paths import PathPart

WORKSHOP_FILE = Path(__file__).resolve().parent / "fixtures" / "contracts" / "modernizr.json"
WORKSHOP: dict[str, Any] = json.loads(WORKSHOP_FILE.read_text())


def workshop() -> dict[str, Any]:
    return copy.deepcopy(WORKSHOP)


SCALARS = st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=6)
JSON = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids,
                                                                                           max_size=4), max_leaves=16)
VOCAB = ["tables", "table", "type", "source_table", "source_column", "pk", "sk", "gsis", "index_name",
         "projection", "projected_attributes", "attributes", "entities", "entity_type", "pk_template", "sk_template",
         "name", "join", "calculation", "transformation", "satisfies", "estimated_item_size_bytes", "joins",
         "construction", "select_columns", "cases", "parts", "value", "decimals", "pad", "format"]
WORDS = ["single-entity", "multi-entity", "INCLUDE", "KEYS_ONLY", "ALL", "S", "N", "M", "L", "BOOL", "self-join",
         "foreign-key", "multi-column", "conditional", "chain", "lookup-table", "json-construction", "aggregate",
         "case", "concat", "date-math", "string-format", "date-format", "number-format", "json-parse", "array",
         "object", "PK", "SK", "GSI1PK", "users", "{x", "{}", ""]
CONTRACTISH = st.recursive(
    SCALARS | st.sampled_from(WORDS),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(VOCAB), kids, max_size=6),
    max_leaves=30)


def locations(doc: Any, parts: tuple[PathPart, ...] = ()) -> Iterator[tuple[PathPart, ...]]:
    yield parts
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from locations(value, (*parts, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from locations(value, (*parts, i))


def get(doc: Any, parts: tuple[PathPart, ...]) -> Any:
    for part in parts:
        doc = doc[part]
    return doc


@st.composite
def mutated_workshop(draw: st.DrawFn) -> Any:
    """The workshop contract after 1-4 mutations: drop, retype, insert junk, duplicate, swap a word.

    Half start from the form the workshop's schema accepts (Users given `"attributes": []`), so
    that the superset property is exercised on contracts that schema accepts.
    """
    doc: Any = workshop()
    if draw(st.booleans()):
        doc["tables"][0]["attributes"] = []
    for _ in range(draw(st.integers(1, 4))):
        parts = draw(st.sampled_from(list(locations(doc))))
        node = get(doc, parts)
        op = draw(st.sampled_from(["drop", "retype", "junk", "duplicate", "word"]))
        if not parts and op in ("drop", "retype", "word"):
            continue
        parent: Any = get(doc, parts[:-1]) if parts else None
        if op == "drop":
            del parent[parts[-1]]
        elif op in ("retype", "word"):
            values = SCALARS | st.lists(SCALARS, max_size=2) if op == "retype" else st.sampled_from(WORDS)
            parent[parts[-1]] = draw(values)
        elif op == "junk" and isinstance(node, dict):
            node[draw(st.sampled_from([*VOCAB, "junk", "comment", "source_colum", "tabel"]))] = draw(JSON)
        elif op == "junk" and isinstance(node, list):
            node.insert(draw(st.integers(0, len(node))), draw(JSON))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(int(parts[-1]), copy.deepcopy(node))
        elif op == "duplicate" and isinstance(node, list) and node:
            node.append(copy.deepcopy(node[-1]))
    return doc


