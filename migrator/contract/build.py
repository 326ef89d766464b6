"""The typed model from a checked document.

`build_contract` expects a document without ERROR findings; on anything else it raises a
`MigratorError` naming the path (never another exception). Keys a node's type does not
use (already warned about by the linter) are left out of the model, so later stages only
see what the contract means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from migrator.contract.lint import is_whole
from migrator.contract.model import Attribute, Calculation, CaseWhen, ChainStep, Construction, Contract, Entity, Gsi, Join, Table, Transformation
from migrator.findings import Finding
from migrator.contract.paths import ROOT, child
from migrator.contract.schema import node_keys
from migrator.errors import MigratorError

Node = Mapping[str, Any]


def _unchecked(path: str, what: str) -> MigratorError:
    return MigratorError(f"{path} must be {what}", hint="run `migrator validate` on the contract first")


def _node(value: Any, path: str) -> Node:
    if not isinstance(value, dict):
        raise _unchecked(path, "an object")
    return value


def _nodes(value: Any, path: str) -> list[tuple[str, Node]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _unchecked(path, "a list")
    return [(child(path, i), _node(v, child(path, i))) for i, v in enumerate(value)]


def _req_str(node: Node, key: str, path: str) -> str:
    value = node.get(key)
    if not isinstance(value, str):
        raise _unchecked(child(path, key), "a string")
    return value


def _opt_str(node: Node, key: str, path: str) -> str | None:
    value = node.get(key)
    if value is not None and not isinstance(value, str):
        raise _unchecked(child(path, key), "a string")
    return value


def _strs(node: Node, key: str, path: str) -> tuple[str, ...]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _unchecked(child(path, key), "a list of strings")
    return tuple(value)


def _opt_int(node: Node, key: str, path: str) -> int | None:
    value = node.get(key)
    if value is None:
        return None
    if not is_whole(value):
        raise _unchecked(child(path, key), "a whole number")
    return int(value)


def _only(node: Node, keys: Iterable[str]) -> dict[str, Any]:
    """The entries of `node` its type uses."""
    wanted = set(keys)
    return {k: v for k, v in node.items() if k in wanted}


# ---------------------------------------------------------------------------- joins

def _chain_step(node: Node, path: str) -> ChainStep:
    return ChainStep(_req_str(node, "target_table", path), _req_str(node, "join_condition", path),
                     _req_str(node, "select_column", path), path)


def _construction(node: Node, path: str) -> Construction:
    columns = node.get("select_columns")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise _unchecked(child(path, "select_columns"), "an object of strings")
    return Construction(_req_str(node, "type", path), tuple(columns.items()), _opt_str(node, "order_by", path),
                        _opt_int(node, "limit", path))


def build_join(raw: Node, path: str) -> Join:
    node = _only(raw, node_keys("join", raw))
    construction = node.get("construction")
    return Join(
        type=_req_str(node, "type", path), path=path,
        target_table=_opt_str(node, "target_table", path), join_condition=_opt_str(node, "join_condition", path),
        join_conditions=_strs(node, "join_conditions", path), select_column=_opt_str(node, "select_column", path),
        join_alias=_opt_str(node, "join_alias", path), null_value=_opt_str(node, "null_value", path),
        condition=_opt_str(node, "condition", path), else_value=_opt_str(node, "else_value", path),
        chain_separator=_opt_str(node, "chain_separator", path),
        joins=tuple(_chain_step(n, p) for p, n in _nodes(node.get("joins"), child(path, "joins"))),
        construction=None if construction is None else _construction(_node(construction, child(path, "construction")),
                                                                      child(path, "construction")),
    )


# ---------------------------------------------------------------------------- calculations, transformations

def _value(node: Node, path: str) -> str | int | float | None:
    value = node.get("value")
    if value is None or isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise _unchecked(child(path, "value"), "a number or a string")


def build_calculation(raw: Node, path: str) -> Calculation:
    node = _only(raw, node_keys("calculation", raw))
    cases = tuple(CaseWhen(_req_str(n, "when", p), _req_str(n, "then", p))
                  for p, n in _nodes(node.get("cases"), child(path, "cases")))
    return Calculation(
        type=_req_str(node, "type", path), path=path, operation=_opt_str(node, "operation", path),
        target_table=_opt_str(node, "target_table", path), join_condition=_opt_str(node, "join_condition", path),
        select_column=_opt_str(node, "select_column", path), cases=cases, else_value=_opt_str(node, "else", path),
        parts=_strs(node, "parts", path), separator=_opt_str(node, "separator", path),
        unit=_opt_str(node, "unit", path), value=_value(node, path), other_column=_opt_str(node, "other_column", path),
    )


def build_transformation(raw: Node, path: str) -> Transformation:
    node = _only(raw, node_keys("transformation", raw))
    return Transformation(
        type=_req_str(node, "type", path), path=path, format=_opt_str(node, "format", path),
        source_format=_opt_str(node, "source_format", path), decimals=_opt_int(node, "decimals", path),
        pad=_opt_int(node, "pad", path),
    )


# ---------------------------------------------------------------------------- attributes, tables

def _source_column(node: Node, path: str) -> str | tuple[str, ...]:
    value = node.get("source_column")
    if isinstance(value, str):
        return value
    return _strs(node, "source_column", path)


def build_attribute(node: Node, path: str) -> Attribute:
    join, calculation, transformation = node.get("join"), node.get("calculation"), node.get("transformation")
    denormalized = node.get("denormalized", False)
    if not isinstance(denormalized, bool):
        raise _unchecked(child(path, "denormalized"), "true or false")
    return Attribute(
        name=_req_str(node, "name", path), type=_req_str(node, "type", path),
        source_table=_req_str(node, "source_table", path), source_column=_source_column(node, path), path=path,
        join=None if join is None else build_join(_node(join, child(path, "join")), child(path, "join")),
        calculation=None if calculation is None else build_calculation(
            _node(calculation, child(path, "calculation")), child(path, "calculation")),
        transformation=None if transformation is None else build_transformation(
            _node(transformation, child(path, "transformation")), child(path, "transformation")),
        denormalized=denormalized, justification=_opt_str(node, "justification", path),
    )


def _attributes(node: Node, path: str) -> tuple[Attribute, ...]:
    return tuple(build_attribute(n, p) for p, n in _nodes(node.get("attributes"), child(path, "attributes")))


def build_gsi(node: Node, path: str) -> Gsi:
    return Gsi(index_name=_req_str(node, "index_name", path), pk=_req_str(node, "pk", path), path=path,
               sk=_opt_str(node, "sk", path), projection=_opt_str(node, "projection", path) or "ALL",
               projected_attributes=_strs(node, "projected_attributes", path))


def build_entity(node: Node, path: str) -> Entity:
    return Entity(entity_type=_req_str(node, "entity_type", path), source_table=_req_str(node, "source_table", path),
                  pk_template=_req_str(node, "pk_template", path), sk_template=_req_str(node, "sk_template", path),
                  attributes=_attributes(node, path), path=path)


def build_table(node: Node, path: str) -> Table:
    kind = _req_str(node, "type", path)
    if kind not in ("single-entity", "multi-entity"):
        raise _unchecked(child(path, "type"), "single-entity or multi-entity")
    size = node.get("estimated_item_size_bytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float)):
        raise _unchecked(child(path, "estimated_item_size_bytes"), "a number")
    multi = kind == "multi-entity"
    return Table(
        name=_req_str(node, "table", path), type=kind, source_table=_req_str(node, "source_table", path),
        pk=_req_str(node, "pk", path), path=path, sk=_opt_str(node, "sk", path),
        gsis=tuple(build_gsi(n, p) for p, n in _nodes(node.get("gsis"), child(path, "gsis"))),
        attributes=() if multi else _attributes(node, path),
        entities=tuple(build_entity(n, p) for p, n in _nodes(node.get("entities"), child(path, "entities")))
        if multi else (),
        satisfies=_strs(node, "satisfies", path), estimated_item_size_bytes=size,
        allow_data_loss=node.get("allow_data_loss") is True,
    )


def build_contract(doc: Any, source: str = "", findings: Sequence[Finding] = ()) -> Contract:
    """The typed contract of a document that `check_contract` found no errors in."""
    root = _node(doc, ROOT)
    tables = tuple(build_table(n, p) for p, n in _nodes(root.get("tables"), child(ROOT, "tables")))
    return Contract(tables=tables, source=source, findings=tuple(findings))
