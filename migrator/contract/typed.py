"""The typed model from a parsed document, in two modes.

`build_contract` expects a document without ERROR findings; on anything else it raises a
`MigratorError` naming the path (never another exception). Keys a node's type does not
use (already warned about by the schema check) are left out of the model, so later stages
only see what the contract means.

`build_draft` builds the same model from any JSON value and never raises: it is what the
lint rules read, so they can report on a contract the schema check has already found
errors in. A value of the wrong JSON type takes the field's empty value (the schema check
reports it); the `Draft` remembers which keys the document gave, which of them were
malformed and which were empty (null, [], "", ...), so rules can tell "absent" from "given".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from migrator.contract.model import (
    Attribute,
    Calculation,
    Capacity,
    CaseWhen,
    ChainStep,
    Construction,
    Contract,
    Entity,
    Gsi,
    Hierarchy,
    Join,
    LoadOptions,
    PathAggregate,
    PathCollection,
    PathField,
    PathStep,
    RelationalPath,
    Table,
    Transformation,
)
from migrator.contract.paths import ROOT, child
from migrator.contract.schema import node_keys
from migrator.errors import MigratorError
from migrator.findings import Finding

Node = Mapping[str, Any]
_EMPTY: Node = {}


def is_whole(value: Any) -> bool:
    """A JSON number without a fraction (2 and 2.0; not 2.5, not true)."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Draft:
    """The model of a document that may have schema errors, and what the document gave."""

    contract: Contract
    given: frozenset[str]       # paths of every key of every object the model was built from
    malformed: frozenset[str]   # paths of values of the wrong JSON type (the schema check reports them)
    falsy: frozenset[str]       # paths of values that are null, false, 0, "", [] or {}

    def has(self, path: str, key: str) -> bool:
        """The document gives `key` at the node at `path` (with any value)."""
        return child(path, key) in self.given

    def valid(self, path: str, key: str) -> bool:
        """The document gives `key` with a value of the right type."""
        at = child(path, key)
        return at in self.given and at not in self.malformed

    def bad(self, path: str, key: str) -> bool:
        return child(path, key) in self.malformed

    def is_falsy(self, path: str, key: str) -> bool:
        """The document gives `key` as null, false, 0, "", [] or {}."""
        return child(path, key) in self.falsy

    def is_empty(self, path: str, key: str) -> bool:
        """The document gives `key` as an empty list (or object) where one is expected."""
        at = child(path, key)
        return at in self.falsy and at not in self.malformed


def _unchecked(path: str, what: str) -> MigratorError:
    return MigratorError(f"{path} must be {what}", hint="run `migrator validate` on the contract first")


class _Builder:
    """Reads nodes of the document; strict raises on a malformed value, lenient records it."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.given: set[str] = set()
        self.malformed: set[str] = set()
        self.falsy: set[str] = set()

    def bad(self, path: str, what: str) -> None:
        if self.strict:
            raise _unchecked(path, what)
        self.malformed.add(path)

    def node(self, value: Any, path: str) -> Node | None:
        if not isinstance(value, dict):
            self.bad(path, "an object")
            return None
        if not self.strict:
            self.given.update(child(path, k) for k in value)
            self.falsy.update(child(path, k) for k, v in value.items() if not v)
        return value

    def typed(self, raw: Node, definition: str) -> Node:
        """Strict: the entries of `raw` its type uses. Lenient: all of them (lint reads what is written)."""
        if not self.strict:
            return raw
        wanted = node_keys(definition, raw)
        return {k: v for k, v in raw.items() if k in wanted}

    def nodes(self, value: Any, path: str) -> list[tuple[str, Node]]:
        if value is None:
            if path in self.given:   # null where a list belongs (strict: read as an empty list)
                self.malformed.add(path)
            return []
        if not isinstance(value, list):
            self.bad(path, "a list")
            return []
        out = []
        for i, v in enumerate(value):
            if (node := self.node(v, child(path, i))) is not None:
                out.append((child(path, i), node))
        return out

    def req_str(self, node: Node, key: str, path: str) -> str:
        value = node.get(key)
        if not isinstance(value, str):
            self.bad(child(path, key), "a string")
            return ""
        return value

    def opt_str(self, node: Node, key: str, path: str) -> str | None:
        value = node.get(key)
        if value is not None and not isinstance(value, str):
            self.bad(child(path, key), "a string")
            return None
        return value

    def strs(self, node: Node, key: str, path: str) -> tuple[str, ...]:
        value = node.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(child(path, key), "a list of strings")
            return ()
        return tuple(value)

    def opt_int(self, node: Node, key: str, path: str) -> int | None:
        value = node.get(key)
        if value is None:
            return None
        if not is_whole(value):
            self.bad(child(path, key), "a whole number")
            return None
        return int(value)

    def opt_number(self, node: Node, key: str, path: str) -> int | float | None:
        """A whole number (strict); any number as written (lenient: lint says why it is not whole)."""
        if self.strict:
            return self.opt_int(node, key, path)
        value = node.get(key)
        if value is not None and not is_number(value):
            self.bad(child(path, key), "a number")
            return None
        return value

    def child_node(self, node: Node, key: str, path: str) -> Node | None:
        value = node.get(key)
        return None if value is None else self.node(value, child(path, key))

    # ------------------------------------------------------------------------ joins

    def chain_step(self, node: Node, path: str) -> ChainStep:
        return ChainStep(self.req_str(node, "target_table", path), self.req_str(node, "join_condition", path),
                         self.req_str(node, "select_column", path), path)

    def construction(self, node: Node, path: str) -> Construction:
        columns = node.get("select_columns")
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            self.bad(child(path, "select_columns"), "an object of strings")
            columns = {}
        return Construction(self.req_str(node, "type", path), tuple(columns.items()),
                            self.opt_str(node, "order_by", path), self.opt_number(node, "limit", path), path)

    def join(self, raw: Node, path: str) -> Join:
        node = self.typed(raw, "join")
        construction = self.child_node(node, "construction", path)
        return Join(
            type=self.req_str(node, "type", path), path=path,
            target_table=self.opt_str(node, "target_table", path),
            join_condition=self.opt_str(node, "join_condition", path),
            join_conditions=self.strs(node, "join_conditions", path),
            select_column=self.opt_str(node, "select_column", path),
            join_alias=self.opt_str(node, "join_alias", path), null_value=self.opt_str(node, "null_value", path),
            condition=self.opt_str(node, "condition", path), else_value=self.opt_str(node, "else_value", path),
            chain_separator=self.opt_str(node, "chain_separator", path),
            joins=tuple(self.chain_step(n, p) for p, n in self.nodes(node.get("joins"), child(path, "joins"))),
            construction=None if construction is None else self.construction(construction,
                                                                             child(path, "construction")),
        )

    def hierarchy(self, raw: Node, path: str) -> Hierarchy:
        node = self.typed(raw, "hierarchy")
        separator = self.opt_str(node, "separator", path)
        max_depth = self.opt_int(node, "max_depth", path)
        return Hierarchy(table=self.req_str(node, "table", path), parent_column=self.req_str(node, "parent_column", path),
                         value=self.req_str(node, "value", path), path=path,
                         id_column=self.opt_str(node, "id_column", path),
                         path_column=self.opt_str(node, "path_column", path),
                         separator="/" if separator is None else separator,
                         max_depth=16 if max_depth is None else max_depth)

    # ------------------------------------------------------------------------ relational paths

    def path_step(self, raw: Node, path: str) -> PathStep:
        node = self.typed(raw, "path_step")
        return PathStep(table=self.req_str(node, "table", path), path=path, alias=self.opt_str(node, "as", path),
                        on=self.opt_str(node, "on", path), foreign_key=self.opt_str(node, "foreign_key", path))

    def opt_bool(self, node: Node, key: str, path: str) -> bool:
        value = node.get(key, False)
        if not isinstance(value, bool):
            self.bad(child(path, key), "true or false")
            return False
        return value

    def path_aggregate(self, raw: Node, path: str) -> PathAggregate:
        node = self.typed(raw, "path_aggregate")
        return PathAggregate(function=self.req_str(node, "function", path), path=path,
                             of=self.opt_str(node, "of", path), distinct=self.opt_bool(node, "distinct", path),
                             filter=self.opt_str(node, "filter", path))

    def path_fields(self, node: Node, path: str) -> tuple[tuple[PathField, ...], bool]:
        """`values`: one expression (the element is that value) or an object of key -> expression or
        {expression, type}."""
        values = node.get("values")
        vpath = child(path, "values")
        if isinstance(values, str):
            return (PathField(values, vpath),), True
        if isinstance(values, dict) and not self.strict and not values:
            return (), False
        if not isinstance(values, dict):
            self.bad(vpath, "an expression or an object of key -> expression")
            return (), False
        out = []
        for key, spec in values.items():
            fpath = child(vpath, key)
            if isinstance(spec, str):
                out.append(PathField(spec, fpath, key))
            elif (field_node := self.node(spec, fpath)) is not None:
                out.append(PathField(self.req_str(field_node, "expression", fpath), fpath, key,
                                     self.opt_str(field_node, "type", fpath)))
        return tuple(out), False

    def path_collection(self, raw: Node, path: str) -> PathCollection:
        node = self.typed(raw, "path_collection")
        fields_, scalar = self.path_fields(node, path)
        return PathCollection(type=self.req_str(node, "type", path), fields=fields_, path=path, scalar=scalar,
                              order_by=self.opt_str(node, "order_by", path),
                              limit=self.opt_number(node, "limit", path), filter=self.opt_str(node, "filter", path))

    def relational_path(self, raw: Node, path: str) -> RelationalPath:
        node = self.typed(raw, "relational_path")
        aggregate = self.child_node(node, "aggregate", path)
        collection = self.child_node(node, "collect", path)
        return RelationalPath(
            steps=tuple(self.path_step(n, p) for p, n in self.nodes(node.get("steps"), child(path, "steps"))),
            path=path, value=self.opt_str(node, "value", path),
            aggregate=None if aggregate is None else self.path_aggregate(aggregate, child(path, "aggregate")),
            collection=None if collection is None else self.path_collection(collection, child(path, "collect")),
        )

    # ------------------------------------------------------------------------ calculations, transformations

    def value(self, node: Node, path: str) -> str | int | float | None:
        value = node.get("value")
        if value is None or isinstance(value, str) or is_number(value):
            return value
        self.bad(child(path, "value"), "a number or a string")
        return None

    def calculation(self, raw: Node, path: str) -> Calculation:
        node = self.typed(raw, "calculation")
        cases = tuple(CaseWhen(self.req_str(n, "when", p), self.req_str(n, "then", p), p)
                      for p, n in self.nodes(node.get("cases"), child(path, "cases")))
        return Calculation(
            type=self.req_str(node, "type", path), path=path, operation=self.opt_str(node, "operation", path),
            target_table=self.opt_str(node, "target_table", path),
            join_condition=self.opt_str(node, "join_condition", path),
            select_column=self.opt_str(node, "select_column", path), cases=cases,
            else_value=self.opt_str(node, "else", path), parts=self.strs(node, "parts", path),
            separator=self.opt_str(node, "separator", path), unit=self.opt_str(node, "unit", path),
            value=self.value(node, path), other_column=self.opt_str(node, "other_column", path),
        )

    def transformation(self, raw: Node, path: str) -> Transformation:
        node = self.typed(raw, "transformation")
        return Transformation(
            type=self.req_str(node, "type", path), path=path, format=self.opt_str(node, "format", path),
            source_format=self.opt_str(node, "source_format", path), decimals=self.opt_int(node, "decimals", path),
            pad=self.opt_int(node, "pad", path),
        )

    # ------------------------------------------------------------------------ attributes, tables

    def source_column(self, node: Node, path: str) -> str | tuple[str, ...]:
        value = node.get("source_column")
        if isinstance(value, str):
            return value
        return self.strs(node, "source_column", path)

    def attribute(self, node: Node, path: str) -> Attribute:
        join = self.child_node(node, "join", path)
        calculation = self.child_node(node, "calculation", path)
        transformation = self.child_node(node, "transformation", path)
        hierarchy = self.child_node(node, "hierarchy", path)
        relational_path = self.child_node(node, "path", path)
        denormalized = node.get("denormalized", False)
        if not isinstance(denormalized, bool):
            self.bad(child(path, "denormalized"), "true or false")
            denormalized = False
        return Attribute(
            name=self.req_str(node, "name", path), type=self.req_str(node, "type", path),
            source_table=self.req_str(node, "source_table", path), source_column=self.source_column(node, path),
            path=path,
            join=None if join is None else self.join(join, child(path, "join")),
            calculation=None if calculation is None else self.calculation(calculation, child(path, "calculation")),
            transformation=None if transformation is None else self.transformation(
                transformation, child(path, "transformation")),
            denormalized=denormalized, justification=self.opt_str(node, "justification", path),
            hierarchy=None if hierarchy is None else self.hierarchy(hierarchy, child(path, "hierarchy")),
            relational_path=None if relational_path is None else self.relational_path(relational_path,
                                                                                      child(path, "path")),
        )

    def attributes(self, node: Node, path: str) -> tuple[Attribute, ...]:
        return tuple(self.attribute(n, p) for p, n in self.nodes(node.get("attributes"), child(path, "attributes")))

    def gsi(self, node: Node, path: str) -> Gsi:
        projection = self.opt_str(node, "projection", path)
        if self.strict or "projection" not in node:
            projection = projection or "ALL"
        return Gsi(index_name=self.req_str(node, "index_name", path), pk=self.req_str(node, "pk", path), path=path,
                   sk=self.opt_str(node, "sk", path), projection=projection or "",   # lenient "": given, not usable
                   projected_attributes=self.strs(node, "projected_attributes", path))

    def load(self, parent: Node, path: str) -> LoadOptions:
        """The `load` extension; a value of the wrong type is left to its default (the schema says so)."""
        if "load" not in parent:
            return LoadOptions()
        path = child(path, "load")
        node = self.node(parent["load"], path)
        if node is None:
            return LoadOptions(path=path)

        def integer(key: str) -> int | None:
            value = node.get(key)
            if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                return value
            self.bad(child(path, key), "a whole number")
            return None

        def number(key: str) -> float | None:
            value = node.get(key)
            if value is not None and not is_number(value):
                self.bad(child(path, key), "a number")
                return None
            return None if value is None else float(value)

        # Each option is read by its declared type (model.LoadOptions): a new plain option is its
        # field there, its entry in the JSON schema and the code that uses it.
        readers: dict[str, Callable[[str], Any]] = {"str | None": lambda key: self.opt_str(node, key, path),
                                                    "int | None": integer, "float | None": number}
        values: dict[str, Any] = {f.name: readers[str(f.type)](f.name) for f in fields(LoadOptions) if f.name != "path"}
        return LoadOptions(path=path, **values)

    def capacity(self, parent: Node, path: str) -> Capacity | None:
        """The `capacity` extension; lenient: anything not two whole numbers is on-demand (the schema says why)."""
        if "capacity" not in parent:
            return None
        path = child(path, "capacity")
        node = self.node(parent["capacity"], path)
        if node is None:
            return None
        read, write = node.get("read_units"), node.get("write_units")
        if not (isinstance(read, int) and isinstance(write, int)) or isinstance(read, bool) or isinstance(write, bool):
            self.bad(path, "read_units and write_units as whole numbers")
            return None
        return Capacity(read_units=read, write_units=write, path=path)

    def entity(self, node: Node, path: str) -> Entity:
        return Entity(entity_type=self.req_str(node, "entity_type", path),
                      source_table=self.req_str(node, "source_table", path),
                      pk_template=self.req_str(node, "pk_template", path),
                      sk_template=self.req_str(node, "sk_template", path),
                      attributes=self.attributes(node, path), path=path, load=self.load(node, path))

    def table(self, node: Node, path: str) -> Table:
        kind = self.req_str(node, "type", path)
        if self.strict and kind not in ("single-entity", "multi-entity"):
            raise _unchecked(child(path, "type"), "single-entity or multi-entity")
        size = node.get("estimated_item_size_bytes")
        if size is not None and not is_number(size):
            self.bad(child(path, "estimated_item_size_bytes"), "a number")
            size = None
        # strict: a table holds what its type reads; lenient: both lists (lint warns about the ignored one)
        attributes = () if self.strict and kind == "multi-entity" else self.attributes(node, path)
        entities = () if self.strict and kind != "multi-entity" else tuple(
            self.entity(n, p) for p, n in self.nodes(node.get("entities"), child(path, "entities")))
        return Table(
            name=self.req_str(node, "table", path), type=kind, source_table=self.req_str(node, "source_table", path),
            pk=self.req_str(node, "pk", path), path=path, sk=self.opt_str(node, "sk", path),
            gsis=tuple(self.gsi(n, p) for p, n in self.nodes(node.get("gsis"), child(path, "gsis"))),
            attributes=attributes, entities=entities,
            satisfies=self.strs(node, "satisfies", path), estimated_item_size_bytes=size,
            allow_data_loss=node.get("allow_data_loss") is True, load=self.load(node, path),
            capacity=self.capacity(node, path), ttl_attribute=self.opt_str(node, "ttl_attribute", path),
        )

    def contract(self, doc: Any, source: str, findings: Sequence[Finding]) -> Contract:
        root = self.node(doc, ROOT) or _EMPTY
        tables = tuple(self.table(n, p) for p, n in self.nodes(root.get("tables"), child(ROOT, "tables")))
        return Contract(tables=tables, source=source, findings=tuple(findings))


def build_contract(doc: Any, source: str = "", findings: Sequence[Finding] = ()) -> Contract:
    """The typed contract of a document that `check_contract` found no errors in."""
    return _Builder(strict=True).contract(doc, source, findings)


def build_draft(doc: Any) -> Draft:
    """The model of any JSON value, for the lint rules; never raises."""
    builder = _Builder(strict=False)
    contract = builder.contract(doc, "", ())
    return Draft(contract, frozenset(builder.given), frozenset(builder.malformed), frozenset(builder.falsy))

