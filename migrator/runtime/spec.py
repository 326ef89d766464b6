"""The item spec: how one view's rows become one table's items, as one typed, versioned document.

Why one shape: the plan decides the mapping (attribute types, key roles, encodings, the write
mode and its version column); the load job applies it; the sample compare and `verify --full`
map rows with it to know what the table should hold. Compile builds an `ItemSpec`, the job
script embeds `to_json()` as one document, and every reader parses it once with `from_json`,
which checks it with the same rules `migrator validate` applies to the contract
(`write_mode_problems`), so a spec the plan accepted is a spec the job accepts.

Index keys are not in the document: they are read from the live table when the job runs
(`with_index_keys`), so adding an index changes neither the script nor the load.

Runs in the Glue job: Python 3.9, nothing from migrator outside `migrator.runtime`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

#: the version of the document's shape; a job refuses another (the bundle and the script come
#: from the same migrator, so a mismatch means a script from another version is being run)
FORMAT = 1

TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
KEY_TYPES = ("S", "N", "B")
MAX_PARTITION_KEY_BYTES = 2048   # DynamoDB's limit for a partition key, of the table and of an index
MAX_SORT_KEY_BYTES = 1024        # DynamoDB's limit for a sort key, of the table and of an index

SET_SPLIT = "set-split"
#: encoding -> the attribute types it applies to (compile/types.py decides which one a value needs)
ENCODINGS: Dict[str, Tuple[str, ...]] = {SET_SPLIT: ("SS", "NS")}

WRITE_MODES = ("overwrite", "insert_only", "version_guarded")
#: a version must compare with `<` in a ConditionExpression: DynamoDB orders N, S and B values
VERSION_TYPES = ("N", "S", "B")


class SpecError(ValueError):
    """A spec document that cannot be used; the message is one sentence naming the field."""


@dataclass(frozen=True)
class AttributeSpec:
    """One item attribute: its name (= the view's column), DynamoDB type, key role and the
    encoding the plan decided for its value (None: the type's own)."""

    name: str
    type: str
    key: bool = False          # table key (partition or sort)
    index_key: bool = False    # GSI key: may be NULL (sparse index), never empty
    sort_key: bool = False     # a sort key (of the table or an index): 1,024 bytes at most, not 2,048
    encoding: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"attribute name must be a non-empty string, got {self.name!r}")
        if self.type not in TYPES:
            raise SpecError(f"attribute {self.name!r}: type {self.type!r} is not one of {', '.join(TYPES)}")
        if (self.key or self.index_key) and self.type not in KEY_TYPES:
            raise SpecError(f"attribute {self.name!r}: a key attribute must be S, N or B, not {self.type}")
        if self.encoding is not None and self.type not in ENCODINGS.get(self.encoding, ()):
            known = ", ".join(f"{e} ({'/'.join(t)})" for e, t in sorted(ENCODINGS.items()))
            raise SpecError(f"attribute {self.name!r}: encoding {self.encoding!r} does not apply to {self.type}; "
                            f"known: {known}")

    @property
    def max_key_bytes(self) -> int:
        return MAX_SORT_KEY_BYTES if self.sort_key else MAX_PARTITION_KEY_BYTES

    def to_doc(self) -> Dict[str, Any]:
        """Name, type and encoding: the key roles come from the spec's `keys` and the live indexes."""
        doc: Dict[str, Any] = {"name": self.name, "type": self.type}
        if self.encoding is not None:
            doc["encoding"] = self.encoding
        return doc


ATTRIBUTE_FIELDS = frozenset({"name", "type", "encoding"})
SPEC_FIELDS = frozenset({"format", "view", "table", "keys", "attributes", "write_mode", "version_column"})


@dataclass(frozen=True)
class SpecProblem:
    """One broken rule of a write mode: the field it is about, a stable code, what and what to do."""

    field: str
    code: str
    message: str
    fix: str


def write_mode_problems(mode: Optional[str], version_column: Optional[str], types: Mapping[str, str],
                        keys: Iterable[str], label: str) -> List[SpecProblem]:
    """The rules of `write_mode` and `version_column` over the attributes (`types`: name -> type,
    the attributes whose type is known) and the table keys; `label` names the items ("table
    `Orders`"). `migrator validate` and the job both ask this, so they cannot disagree.

    A key cannot be the version: it never changes, so no row would ever be newer."""
    mode = mode or "overwrite"
    if mode not in WRITE_MODES:
        return [SpecProblem("write_mode", "load.write_mode", f"write_mode {mode!r} of {label} is not one of "
                            + ", ".join(WRITE_MODES), "use one of them")]
    if mode != "version_guarded":
        return []
    wanted = " or ".join(VERSION_TYPES)
    if version_column is None:
        return [SpecProblem("write_mode", "load.version_missing",
                            f"write_mode version_guarded needs a version_column for {label}",
                            f"add version_column: the attribute ({wanted}) whose greater value wins")]
    if version_column in set(keys):
        return [SpecProblem("version_column", "load.version_column_key",
                            f"version_column `{version_column}` of {label} is a table key, which never changes, "
                            "so no row could ever be newer", f"name another attribute of type {wanted}")]
    if version_column not in types:
        return [SpecProblem("version_column", "load.version_column_unknown",
                            f"version_column `{version_column}` is not an attribute of {label}",
                            f"name one of its attributes of type {wanted}")]
    if types[version_column] not in VERSION_TYPES:
        return [SpecProblem("version_column", "load.version_column_type",
                            f"version_column `{version_column}` of {label} is of type {types[version_column]}, "
                            f"not {wanted}", f"name an attribute of type {wanted}")]
    return []


@dataclass(frozen=True)
class ItemSpec:
    """How the rows of `view` become the items of `table`.

    `keys` is the table key (partition key, then sort key); the attributes carry their key roles
    marked from it, so a reader never derives them again. Build one with `ItemSpec.of` or
    `from_doc`/`from_json`: both check every rule."""

    view: str
    table: str
    attributes: Tuple[AttributeSpec, ...]
    keys: Tuple[str, ...]
    write_mode: str = "overwrite"
    version_column: Optional[str] = None

    @staticmethod
    def of(view: str, table: str, attributes: Sequence[AttributeSpec], keys: Sequence[str],
           write_mode: Optional[str] = None, version_column: Optional[str] = None) -> ItemSpec:
        """A checked spec with the key roles marked from `keys`; SpecError names what is wrong."""
        if not isinstance(view, str) or not view or not isinstance(table, str) or not table:
            raise SpecError("an item spec needs a view and a table name")
        attributes = tuple(attributes)
        if not attributes:
            raise SpecError(f"the item spec of table {table} has no attributes")
        names = [a.name for a in attributes]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise SpecError(f"attribute names repeat in the item spec of table {table}: {', '.join(repeated)}")
        keys = tuple(keys)
        if not 1 <= len(keys) <= 2 or len(set(keys)) != len(keys) or not all(isinstance(k, str) for k in keys):
            raise SpecError(f"the key of table {table} must be one or two distinct attribute names, got {list(keys)}")
        unknown = [k for k in keys if k not in names]
        if unknown:
            raise SpecError(f"key attribute(s) {', '.join(unknown)} of table {table} are not among its attributes")
        marked = tuple(replace(a, key=a.name in keys, sort_key=a.sort_key or (len(keys) > 1 and a.name == keys[1]))
                       for a in attributes)
        problems = write_mode_problems(write_mode, version_column, {a.name: a.type for a in marked}, keys,
                                       f"table {table}")
        if problems:
            raise SpecError(problems[0].message)
        mode = write_mode or "overwrite"
        return ItemSpec(view, table, marked, keys, mode, version_column if mode == "version_guarded" else None)

    # -- reading ----------------------------------------------------------------------

    @property
    def names(self) -> List[str]:
        """The view's columns, in the spec's order."""
        return [a.name for a in self.attributes]

    def with_index_keys(self, index_keys: Union[Iterable[str], Mapping[str, str]]) -> ItemSpec:
        """The spec with every attribute the live table indexes marked an index key: such a value
        may be absent (a sparse index) but never empty. With the roles (`index_key_roles`: name ->
        HASH or RANGE), an index sort key is also marked a sort key (1,024 bytes at most); plain
        names are partition keys."""
        roles: Mapping[str, str] = index_keys if isinstance(index_keys, Mapping) else dict.fromkeys(index_keys,
                                                                                                     "HASH")
        try:
            marked = tuple(replace(a, index_key=a.index_key or (a.name in roles and not a.key),
                                   sort_key=a.sort_key or roles.get(a.name) == "RANGE") for a in self.attributes)
        except SpecError as exc:
            raise SpecError(f"table {self.table}: {exc}") from None
        return replace(self, attributes=marked)

    # -- the document -----------------------------------------------------------------

    def to_doc(self) -> Dict[str, Any]:
        doc: Dict[str, Any] = {"format": FORMAT, "view": self.view, "table": self.table, "keys": list(self.keys),
                               "attributes": [a.to_doc() for a in self.attributes], "write_mode": self.write_mode}
        if self.version_column is not None:
            doc["version_column"] = self.version_column
        return doc

    def to_json(self) -> str:
        """Compact, sorted: the same spec is the same bytes (scripts and plans are compared)."""
        return json.dumps(self.to_doc(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_doc(doc: Any) -> ItemSpec:
        if not isinstance(doc, dict) or set(doc) - SPEC_FIELDS:
            extra = sorted(set(doc) - SPEC_FIELDS) if isinstance(doc, dict) else []
            raise SpecError("an item spec must be an object with " + ", ".join(sorted(SPEC_FIELDS))
                            + (f"; unknown: {', '.join(extra)}" if extra else ""))
        if doc.get("format") != FORMAT:
            raise SpecError(f"the item spec has format {doc.get('format')!r}, but this runtime reads format {FORMAT}: "
                            "the job script and its runtime bundle come from different migrator versions; "
                            "run `migrator apply` to upload both again")
        raw = doc.get("attributes")
        if not isinstance(raw, list):
            raise SpecError("the item spec's attributes must be a list")
        attributes = []
        for entry in raw:
            if not isinstance(entry, dict) or set(entry) - ATTRIBUTE_FIELDS or not isinstance(entry.get("name"), str) \
                    or not isinstance(entry.get("type"), str) \
                    or not isinstance(entry.get("encoding"), (str, type(None))):
                raise SpecError(f"attribute spec {entry!r} must be an object with a string name and type, "
                                "and optionally a string encoding")
            attributes.append(AttributeSpec(entry["name"], entry["type"], encoding=entry.get("encoding")))
        keys = doc.get("keys")
        if not isinstance(keys, list):
            raise SpecError("the item spec's keys must be a list of one or two attribute names")
        view, table = doc.get("view"), doc.get("table")
        if not isinstance(view, str) or not isinstance(table, str):
            raise SpecError("an item spec needs a view and a table name")
        mode, version = doc.get("write_mode"), doc.get("version_column")
        if not isinstance(mode, (str, type(None))) or not isinstance(version, (str, type(None))):
            raise SpecError("an item spec's write_mode and version_column must be text")
        return ItemSpec.of(view, table, attributes, keys, mode, version)

    @staticmethod
    def from_json(text: Union[str, bytes]) -> ItemSpec:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise SpecError(f"the item spec is not JSON: {exc}") from None
        return ItemSpec.from_doc(doc)


def index_key_roles(description: Mapping[str, Any]) -> Dict[str, str]:
    """The key attributes of a table's secondary indexes (a DescribeTable "Table"): name -> "RANGE"
    when it is the sort key of any index (the stricter limit), else "HASH"."""
    indexes = list(description.get("GlobalSecondaryIndexes") or []) + list(
        description.get("LocalSecondaryIndexes") or [])
    roles: Dict[str, str] = {}
    for index in indexes:
        for key in index.get("KeySchema") or []:
            name = key["AttributeName"]
            roles[name] = "RANGE" if key.get("KeyType") == "RANGE" or roles.get(name) == "RANGE" else "HASH"
    return dict(sorted(roles.items()))
