"""The contract: schema (a superset of the workshop's), lint, typed model, `migrator validate`.

No database: everything here is offline. The workshop contract and schema are public
(aws-samples/aws-dynamodb-examples, workshops/modernizer) and copied into fixtures.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

import migrator
import migrator.contract.schema
from migrator.compile.tables import table_config
from migrator.contract.typed import build_contract, build_draft
from migrator.contract.lint.keys import column_type_findings
from migrator.contract.document import check_contract, parse_json, read_contract, validate_file
from migrator.service.errors import ContractInvalid
from migrator.service.files import load_contract
from migrator.contract.model import Contract
from migrator.contract.paths import PathPart, child, json_path, parse_path
from migrator.contract.schema import SCHEMA_FILE, contract_schema, schema_findings, schema_path
from migrator.errors import MigratorError
from migrator.findings import Finding, Severity
from tests.contract_strategies import CONTRACTISH, JSON, WORKSHOP, get, mutated_workshop, workshop

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "contracts"
WORKSHOP_SCHEMA = Draft7Validator(json.loads((FIXTURES / "modernizr_schema.json").read_text()))
BASELINE = {("$.tables[0].entities[2].attributes[5].type", "attribute.json_as_string"),
            ("$.tables[2].attributes[0].join.else_value", "sql.table"),
            ("$.tables[2].attributes[11].join.else_value", "sql.table")}

Doc = dict[str, Any]


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def resolves(doc: Any, path: str) -> bool:
    """The path names a value of `doc`, or a missing key of an object that exists."""
    node = doc
    parts = parse_path(path)
    for n, part in enumerate(parts):
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return False
            node = node[part]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return isinstance(node, dict) and n == len(parts) - 1
    return True


# ---------------------------------------------------------------------------- schema file

def test_schema_copies_are_identical_and_valid_draft7() -> None:
    canonical = REPO / "schemas" / SCHEMA_FILE
    packaged = Path(migrator.__file__).parent / "contract" / SCHEMA_FILE
    assert canonical.read_bytes() == packaged.read_bytes()
    assert schema_path() == canonical
    Draft7Validator.check_schema(contract_schema())


def test_schema_documents_the_extensions() -> None:
    defs = contract_schema()["definitions"]
    branches = {b["if"]["properties"]["type"]["const"]: b["then"] for b in defs["calculation"]["allOf"]}
    assert set(branches["concat"]["properties"]) == {"parts", "separator"}
    assert branches["date-math"]["properties"]["operation"]["enum"] == ["add", "subtract", "diff"]
    assert {"value", "other_column", "unit"} <= set(branches["date-math"]["properties"])
    assert "else" in branches["case"]["properties"]
    number = defs["transformation"]["allOf"][0]["then"]["properties"]
    assert set(number) == {"decimals", "pad"}
    assert "join_alias" in defs["join"]["properties"]
    for fragment in (*branches.values(), {"properties": number}):
        assert all(p.get("description") for p in fragment["properties"].values())


# ---------------------------------------------------------------------------- the workshop contract

def test_workshop_contract_validates_with_one_warning() -> None:
    contract, findings = read_contract(FIXTURES / "modernizr.json")
    assert errors(findings) == []
    assert {(f.path, f.code) for f in findings} == BASELINE
    assert isinstance(contract, Contract)
    users, products, categories = contract.tables
    assert (users.type, len(users.entities), users.attributes) == ("multi-entity", 3, ())
    assert [e.entity_type for e in users.entities] == ["USER", "CART", "ORDER"]
    assert [g.index_name for g in users.gsis] == ["GSI1", "GSI2", "GSI3"]
    assert products.attribute("category_path") is not None
    join = products.attributes[4].join
    assert join is not None and (join.type, join.join_alias, join.null_value) == ("self-join", "cat_hierarchy", "")
    assert join.path == "$.tables[1].attributes[4].join"
    order_items = users.entities[2].attributes[5]
    assert order_items.join is not None and order_items.join.construction is not None
    assert order_items.join.construction.select_columns[0] == ("product_id", "product_id")
    level = categories.attributes[7].calculation
    assert level is not None and (level.type, level.operation) == ("aggregate", "COUNT")
    assert contract.findings == tuple(findings)
    assert load_contract(FIXTURES / "modernizr.json").tables == contract.tables


def test_workshop_schema_rejects_its_own_contract_and_ours_does_not() -> None:
    assert not WORKSHOP_SCHEMA.is_valid(WORKSHOP)          # Users (multi-entity) has no `attributes`
    assert schema_findings(WORKSHOP) == []
    doc = workshop()
    doc["tables"][0]["attributes"] = []
    assert WORKSHOP_SCHEMA.is_valid(doc) and schema_findings(doc) == []


# ---------------------------------------------------------------------------- accepted forms

ATTR = {"name": "v", "type": "S", "source_table": "t", "source_column": "c"}


def single_entity(*attributes: dict[str, Any], **table: Any) -> Doc:
    doc = {"tables": [{"table": "Things", "type": "single-entity", "source_table": "t", "pk": "PK",
                       "attributes": [{"name": "PK", "type": "S", "source_table": "t", "source_column": "id"},
                                      *attributes],
                       "satisfies": ["AP1"], "estimated_item_size_bytes": 100}]}
    doc["tables"][0].update(table)
    return doc


def _attr(**extra: Any) -> dict[str, Any]:
    return {**ATTR, **extra}


ACCEPTED: dict[str, Doc] = {
    "minimal": single_entity(),
    "sk null": single_entity(sk=None),
    "sk": single_entity(_attr(name="SK", type="N"), sk="SK"),
    "no satisfies entries": single_entity(satisfies=[]),
    "source_column list": single_entity(_attr(source_column=["a", "b"])),
    "denormalized": single_entity(_attr(denormalized=True, justification="why")),
    "gsi default projection": single_entity(_attr(name="G"), gsis=[{"index_name": "GSI1", "pk": "G"}]),
    "gsi keys only": single_entity(_attr(name="G", type="B"), gsis=[{"index_name": "GSI1", "pk": "G", "sk": None,
                                                                     "projection": "KEYS_ONLY"}]),
    "gsi include": single_entity(_attr(name="G"), _attr(name="x"), gsis=[{"index_name": "by-g", "pk": "G", "sk": "PK",
                                 "projection": "INCLUDE", "projected_attributes": ["x"]}]),
    "self-join": single_entity(_attr(join={"type": "self-join", "join_alias": "p", "join_condition": "p.id = t.pid",
                                           "select_column": "p.name", "null_value": ""})),
    "foreign-key": single_entity(_attr(source_table="t", join={"type": "foreign-key", "target_table": "u",
                                 "join_condition": "u.id = t.uid", "select_column": "u.email"})),
    "foreign-key from another source_table": single_entity(_attr(source_table="u", join={
        "type": "foreign-key", "target_table": "u", "join_condition": "u.id = t.uid", "select_column": "u.email"})),
    "multi-column": single_entity(_attr(join={"type": "multi-column", "target_table": "u",
                                  "join_conditions": ["u.a = t.a", "u.b = t.b"], "select_column": "u.c"})),
    "conditional": single_entity(_attr(join={"type": "conditional", "condition": "t.pid IS NULL", "target_table": "u",
                                 "join_condition": "u.id = t.pid", "select_column": "u.name",
                                 "else_value": "'ROOT'"})),
    "chain": single_entity(_attr(join={"type": "chain", "chain_separator": "/", "joins": [
        {"target_table": "u", "join_condition": "u.id = t.uid", "select_column": "u.name"},
        {"target_table": "w", "join_condition": "w.id = u.wid", "select_column": "w.name"}]})),
    "lookup-table": single_entity(_attr(join={"type": "lookup-table", "target_table": "tags",
                                  "join_condition": "tags.id = t.tag_id", "select_column": "tags.label"})),
    "json-construction array": single_entity(_attr(type="L", join={
        "type": "json-construction", "target_table": "items", "join_condition": "items.tid = t.id",
        "construction": {"type": "array", "select_columns": {"id": "id", "q": "quantity * 2"},
                         "order_by": "id", "limit": 10}})),
    "json-construction object": single_entity(_attr(type="M", join={
        "type": "json-construction", "target_table": "t", "join_condition": "t.id = t.id",
        "construction": {"type": "object", "select_columns": {"first": "first_name"}}})),
    "aggregate": single_entity(_attr(type="N", calculation={"type": "aggregate", "target_table": "o",
                               "join_condition": "o.tid = t.id", "operation": "SUM", "select_column": "o.total"})),
    "case": single_entity(_attr(calculation={"type": "case", "cases": [{"when": "t.a > 1", "then": "'big'"}],
                                             "else": "'small'"})),
    "concat": single_entity(_attr(calculation={"type": "concat", "parts": ["first", "' '", "last"],
                                               "separator": ""})),
    "date-math value": single_entity(_attr(calculation={"type": "date-math", "operation": "add", "unit": "DAY",
                                                        "value": 30})),
    "date-math other_column": single_entity(_attr(type="N", calculation={
        "type": "date-math", "operation": "diff", "unit": "SECOND", "other_column": "created_at"})),
    "string-format": single_entity(_attr(transformation={"type": "string-format", "format": "T#{c}#{PK}"})),
    "date-format": single_entity(_attr(transformation={"type": "date-format", "format": "YYYY-MM-DD",
                                                       "source_format": "epoch_millis"})),
    "number-format": single_entity(_attr(name="rank", transformation={"type": "number-format", "decimals": 0,
                                                                      "pad": 8})),
    "json-parse": single_entity(_attr(type="M", transformation={"type": "json-parse"})),
    "$comment anywhere": single_entity(_attr(**{"$comment": "a note"})),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_single_entity_forms(name: str) -> None:
    doc = ACCEPTED[name]
    findings = check_contract(doc)
    assert findings == [], [f.sentence() for f in findings]
    build_contract(doc, "test")
    if name not in ("concat", "date-math value", "date-math other_column", "number-format", "$comment anywhere"):
        assert WORKSHOP_SCHEMA.is_valid(doc)   # a workshop-valid form, not only ours


def test_model_carries_extension_fields() -> None:
    doc = single_entity(
        _attr(name="a", calculation={"type": "date-math", "operation": "subtract", "unit": "HOUR", "value": 2.5}),
        _attr(name="b", transformation={"type": "number-format", "decimals": 2.0, "pad": 6}),
        _attr(name="c", calculation={"type": "case", "cases": [{"when": "x", "then": "y"}], "else": "z"}))
    table = build_contract(doc).tables[0]
    a, b, c = (table.attribute(n) for n in "abc")
    assert a is not None and a.calculation is not None
    assert (a.calculation.operation, a.calculation.unit, a.calculation.value) == ("subtract", "HOUR", 2.5)
    assert b is not None and b.transformation is not None
    assert (b.transformation.decimals, b.transformation.pad) == (2, 6)
    assert c is not None and c.calculation is not None and c.calculation.else_value == "z"


def test_keys_unused_by_a_type_stay_out_of_the_model() -> None:
    doc = single_entity(_attr(join={"type": "foreign-key", "target_table": "u", "join_condition": "u.id = t.uid",
                                    "select_column": "u.e", "null_value": "-", "joins": 5}))
    findings = check_contract(doc)
    assert {(f.path, f.code, f.severity) for f in findings} == {
        ("$.tables[0].attributes[1].join.null_value", "contract.unused_key", Severity.WARNING),
        ("$.tables[0].attributes[1].join.joins", "contract.unused_key", Severity.WARNING)}
    join = build_contract(doc).tables[0].attributes[1].join
    assert join is not None and (join.null_value, join.joins) == (None, ())


# ---------------------------------------------------------------------------- broken contracts

def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *head, last = parse_path(path)
        node: Any = doc
        for part in head:
            node = node[part]
        node[last] = value
    return apply


def _drop(path: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *head, last = parse_path(path)
        node: Any = doc
        for part in head:
            node = node[part]
        del node[last]
    return apply


def _users_attributes_only(doc: Doc) -> None:
    users = doc["tables"][0]
    users["attributes"] = users.pop("entities")[0]["attributes"]


def _cart_without_sk_attribute(doc: Doc) -> None:
    cart = doc["tables"][0]["entities"][1]
    del cart["attributes"][1]
    cart["sk_template"] = ""


P = "$.tables[1]"          # Products (single-entity)
C = "$.tables[2]"          # Categories (single-entity)
U = "$.tables[0]"          # Users (multi-entity)
E = Severity.ERROR
W = Severity.WARNING

BROKEN: list[tuple[str, Callable[[Doc], None], set[tuple[str, str, Severity]]]] = [
    ("self-join without select_column", _drop(f"{P}.attributes[4].join.select_column"),
     {(f"{P}.attributes[4].join.select_column", "schema.required", E)}),
    ("conditional without else_value", _drop(f"{C}.attributes[0].join.else_value"),
     {(f"{C}.attributes[0].join.else_value", "schema.required", E)}),
    ("join without type: no cascade", _drop(f"{P}.attributes[4].join.type"),
     {(f"{P}.attributes[4].join.type", "schema.required", E)}),
    ("multi-entity with attributes, no entities", _users_attributes_only,
     {(f"{U}.entities", "schema.required", E), (f"{U}.attributes", "table.attributes_ignored", W)}),
    ("single-entity without attributes", _drop(f"{P}.attributes"),
     {(f"{P}.attributes", "schema.required", E)}),
    ("missing tables", _drop("$.tables"), {("$.tables", "schema.required", E)}),
    ("no tables", _set("$.tables", []), {("$.tables", "contract.empty", W)}),
    ("attribute type wrong JSON type", _set(f"{P}.attributes[6].type", 5),
     {(f"{P}.attributes[6].type", "schema.type", E)}),
    ("attribute type not a DynamoDB type", _set(f"{P}.attributes[6].type", "STRING"),
     {(f"{P}.attributes[6].type", "schema.enum", E)}),
    ("source_column of numbers", _set(f"{P}.attributes[6].source_column", [1]),
     {(f"{P}.attributes[6].source_column", "schema.one_of", E)}),
    ("empty source_column", _set(f"{P}.attributes[6].source_column", []),
     {(f"{P}.attributes[6].source_column", "attribute.source_column", E)}),
    ("pk not an attribute", _set(f"{P}.pk", "PKK"), {(f"{P}.pk", "key.undefined", E)}),
    ("gsi sk not an attribute", _set(f"{P}.gsis[1].sk", "nope"), {(f"{P}.gsis[1].sk", "key.undefined", E)}),
    ("gsi key of type M", _set(f"{P}.attributes[12].type", "M"), {(f"{P}.attributes[12].type", "key.type", E)}),
    ("multi-entity gsi key defined by no entity", _set(f"{U}.gsis[0].pk", "GSI9PK"),
     {(f"{U}.gsis[0].pk", "key.undefined", E)}),
    ("multi-entity key types disagree", _set(f"{U}.entities[0].attributes[0].type", "N"),
     {(f"{U}.pk", "key.type_conflict", E)}),
    ("multi-entity key attribute of type BOOL", _set(f"{U}.entities[2].attributes[9].type", "BOOL"),
     {(f"{U}.entities[2].attributes[9].type", "key.type", E)}),
    ("include without projected_attributes", _set(f"{P}.gsis[0].projection", "INCLUDE"),
     {(f"{P}.gsis[0].projection", "gsi.projection", E)}),
    ("projected_attributes with ALL", _set(f"{P}.gsis[0].projected_attributes", ["price"]),
     {(f"{P}.gsis[0].projected_attributes", "gsi.projection_ignored", W)}),
    ("include of an unknown attribute", lambda d: d["tables"][1]["gsis"][0].update(
        projection="INCLUDE", projected_attributes=["prices"]),
     {(f"{P}.gsis[0].projected_attributes[0]", "gsi.projected_undefined", W)}),
    ("duplicate gsi name", _set(f"{P}.gsis[1].index_name", "GSI1"), {(f"{P}.gsis[1].index_name", "gsi.duplicate", E)}),
    ("invalid gsi name", _set(f"{P}.gsis[1].index_name", "G2"), {(f"{P}.gsis[1].index_name", "gsi.name", E)}),
    ("21 gsis", lambda d: d["tables"][1]["gsis"].extend(
        {"index_name": f"X{i:02}", "pk": "PK", "projection": "KEYS_ONLY"} for i in range(19)),
     {(f"{P}.gsis", "gsi.limit", E)}),
    ("duplicate table", _set(f"{C}.table", "Products"), {(f"{C}.table", "table.duplicate", E)}),
    ("invalid table name", _set(f"{P}.table", "Pro ducts"), {(f"{P}.table", "table.name", E)}),
    ("short table name", _set(f"{P}.table", "P"), {(f"{P}.table", "table.name", E)}),
    ("empty attribute name", _set(f"{P}.attributes[6].name", " "), {(f"{P}.attributes[6].name", "attribute.name", E)}),
    ("duplicate attribute", _set(f"{P}.attributes[6].name", "product_name"),
     {(f"{P}.attributes[6].name", "attribute.duplicate", E)}),
    ("duplicate attribute in an entity", _set(f"{U}.entities[1].attributes[7].name", "created_at"),
     {(f"{U}.entities[1].attributes[7].name", "attribute.duplicate", E)}),
    ("duplicate entity type", _set(f"{U}.entities[2].entity_type", "CART"),
     {(f"{U}.entities[2].entity_type", "entity.duplicate", E)}),
    ("other source_table without a join", _set(f"{P}.attributes[2].source_table", "users"),
     {(f"{P}.attributes[2].source_table", "attribute.source_table", E)}),
    ("join and calculation", _set(f"{P}.attributes[4].calculation", {"type": "case", "cases": [
        {"when": "1", "then": "2"}]}), {(f"{P}.attributes[4].calculation", "attribute.join_and_calculation", E)}),
    ("entities on a single-entity table", _set(f"{P}.entities", []), {(f"{P}.entities", "table.entities_ignored", W)}),
    ("attributes on a multi-entity table", _set(f"{U}.attributes", []),
     {(f"{U}.attributes", "table.attributes_ignored", W)}),
    ("no entities", _set(f"{U}.entities", []), {(f"{U}.entities", "table.empty", E)}),
    ("typo in a key", lambda d: d["tables"][1]["attributes"][6].update(
        source_colum=d["tables"][1]["attributes"][6].pop("source_column")),
     {(f"{P}.attributes[6].source_colum", "contract.unknown_key", W),
      (f"{P}.attributes[6].source_column", "schema.required", E)}),
    ("unknown table key", _set(f"{P}.gsi", []), {(f"{P}.gsi", "contract.unknown_key", W)}),
    ("unbalanced template", _set(f"{U}.entities[0].pk_template", "{email"),
     {(f"{U}.entities[0].pk_template", "template.braces", E)}),
    ("empty placeholder", _set(f"{U}.entities[1].sk_template", "CART#{ }"),
     {(f"{U}.entities[1].sk_template", "template.placeholder", E)}),
    ("unbalanced format", _set(f"{P}.attributes[1].transformation.format", "#META}"),
     {(f"{P}.attributes[1].transformation.format", "template.braces", E)}),
    ("template disagrees with the key attribute", _set(f"{U}.entities[2].sk_template", "ORDER#{order_id}"),
     {(f"{U}.entities[2].sk_template", "template.mismatch", W)}),
    ("empty template", _set(f"{U}.entities[1].sk_template", ""),
     set()),   # CART defines SK explicitly: the attribute wins, the empty template is unused
    ("empty template without a key attribute", _cart_without_sk_attribute,
     {(f"{U}.entities[1].sk_template", "template.empty", E)}),
    ("sk_template without a table sk", _set(f"{U}.sk", None),
     {(f"{U}.entities[{i}].sk_template", "template.ignored", W) for i in (0, 1, 2)}),
    ("concat without parts", _set(f"{C}.attributes[8].calculation", {"type": "concat"}),
     {(f"{C}.attributes[8].calculation.parts", "calculation.required", E)}),
    ("concat with no parts", _set(f"{C}.attributes[8].calculation", {"type": "concat", "parts": []}),
     {(f"{C}.attributes[8].calculation.parts", "schema.min_items", E)}),
    ("date-math without unit", _set(f"{C}.attributes[8].calculation", {"type": "date-math", "operation": "add",
                                                                       "value": 1}),
     {(f"{C}.attributes[8].calculation.unit", "calculation.required", E)}),
    ("date-math with both operands", _set(f"{C}.attributes[8].calculation", {
        "type": "date-math", "operation": "diff", "unit": "DAY", "value": 1, "other_column": "created_at"}),
     {(f"{C}.attributes[8].calculation.other_column", "calculation.ambiguous", E)}),
    ("date-math operation in capitals", _set(f"{C}.attributes[8].calculation", {
        "type": "date-math", "operation": "ADD", "unit": "DAY", "value": 1}),
     {(f"{C}.attributes[8].calculation.operation", "schema.enum", E)}),
    ("case without cases", _set(f"{C}.attributes[8].calculation", {"type": "case", "cases": []}),
     {(f"{C}.attributes[8].calculation.cases", "calculation.required", E)}),
    ("aggregate typo in type", _set(f"{C}.attributes[8].calculation.type", "aggregat"),
     {(f"{C}.attributes[8].calculation.type", "schema.enum", E)}),
    ("number-format without options", _set(f"{P}.attributes[7].transformation", {"type": "number-format"}),
     {(f"{P}.attributes[7].transformation.decimals", "transformation.required", E)}),
    ("pad on a number", _set(f"{P}.attributes[7].transformation", {"type": "number-format", "pad": 8}),
     {(f"{P}.attributes[7].transformation.pad", "transformation.pad_number", W)}),
    ("negative decimals", _set(f"{P}.attributes[7].transformation", {"type": "number-format", "decimals": -1}),
     {(f"{P}.attributes[7].transformation.decimals", "schema.minimum", E)}),
    ("decimals on a string-format", _set(f"{P}.attributes[1].transformation.decimals", 2),
     {(f"{P}.attributes[1].transformation.decimals", "contract.unused_key", W)}),
    ("string-format without format", _drop(f"{P}.attributes[1].transformation.format"),
     {(f"{P}.attributes[1].transformation.format", "transformation.required", E)}),
    ("unknown source_format", _set(f"{P}.attributes[10].transformation", {"type": "date-format",
                                                                         "source_format": "epoch"}),
     {(f"{P}.attributes[10].transformation.source_format", "transformation.source_format", E)}),
    ("json-parse into N", _set(f"{P}.attributes[7].transformation", {"type": "json-parse"}),
     {(f"{P}.attributes[7].type", "attribute.type_mismatch", E)}),
    ("json-construction array into N", _set(f"{U}.entities[2].attributes[5].type", "N"),
     {(f"{U}.entities[2].attributes[5].type", "attribute.type_mismatch", E)}),
    ("json-construction limit 0", _set(f"{U}.entities[2].attributes[5].join.construction.limit", 0),
     {(f"{U}.entities[2].attributes[5].join.construction.limit", "join.limit", E)}),
    ("json-construction limit 2.5", _set(f"{U}.entities[2].attributes[5].join.construction.limit", 2.5),
     {(f"{U}.entities[2].attributes[5].join.construction.limit", "join.limit", E)}),
    ("chain without steps", _set(f"{P}.attributes[4].join", {"type": "chain", "joins": []}),
     {(f"{P}.attributes[4].join.joins", "join.empty", E)}),
    ("item larger than DynamoDB allows", _set(f"{P}.estimated_item_size_bytes", 500_000),
     {(f"{P}.estimated_item_size_bytes", "table.item_size", W)}),
    ("ttl_attribute of a number", _set(f"{P}.ttl_attribute", "inventory_quantity"), set()),
    ("ttl_attribute no item carries", _set(f"{P}.ttl_attribute", "expires_at"),
     {(f"{P}.ttl_attribute", "ttl.unknown_attribute", E)}),
    ("ttl_attribute of a string", _set(f"{P}.ttl_attribute", "created_at"),
     {(f"{P}.attributes[10].type", "ttl.not_a_number", E)}),
    ("ttl_attribute in every entity of a multi-entity table", _set(f"{U}.ttl_attribute", "created_at"),
     {(f"{U}.entities[{i}].attributes[{n}].type", "ttl.not_a_number", E) for i, n in ((0, 7), (1, 6), (2, 6))}),
    ("ttl_attribute not text", _set(f"{P}.ttl_attribute", 5), {(f"{P}.ttl_attribute", "schema.type", E)}),
    ("hierarchy path instead of the self-join", _set(f"{C}.attributes[6]", {
        "name": "category_path", "type": "S", "source_table": "categories", "source_column": "id",
        "hierarchy": {"table": "categories", "parent_column": "parent_id", "value": "path", "path_column": "name"}}),
     set()),
    ("hierarchy beside a join", _set(f"{C}.attributes[6].hierarchy", {
        "table": "categories", "parent_column": "parent_id", "value": "path", "path_column": "name"}),
     {(f"{C}.attributes[6].hierarchy", "hierarchy.two_sources", E)}),
    ("hierarchy path without path_column", _set(f"{C}.attributes[7]", {
        "name": "level", "type": "S", "source_table": "categories", "source_column": "id",
        "hierarchy": {"table": "categories", "parent_column": "parent_id", "value": "path"}}),
     {(f"{C}.attributes[7].hierarchy.path_column", "hierarchy.path_column", E)}),
    ("hierarchy depth as BOOL", _set(f"{C}.attributes[7]", {
        "name": "level", "type": "BOOL", "source_table": "categories", "source_column": "id",
        "hierarchy": {"table": "categories", "parent_column": "parent_id", "value": "depth"}}),
     {(f"{C}.attributes[7].type", "hierarchy.type", E)}),
    ("hierarchy value misspelt", _set(f"{C}.attributes[7]", {
        "name": "level", "type": "N", "source_table": "categories", "source_column": "id",
        "hierarchy": {"table": "categories", "parent_column": "parent_id", "value": "level", "max_depth": 300}}),
     {(f"{C}.attributes[7].hierarchy.value", "schema.enum", E),
      (f"{C}.attributes[7].hierarchy.max_depth", "schema.maximum", E)}),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_contracts(case: tuple[str, Callable[[Doc], None], set[tuple[str, str, Severity]]]) -> None:
    _, mutate, expected = case
    doc = workshop()
    mutate(doc)
    findings = check_contract(doc)
    new = {(f.path, f.code, f.severity) for f in findings} - {(p, c, W) for p, c in BASELINE}
    assert new == expected, [f.sentence() for f in findings]
    for f in findings:
        assert f.message and f.fix and resolves(doc, f.path)


def test_messages_say_what_and_how() -> None:
    doc = workshop()
    del doc["tables"][1]["attributes"][4]["join"]["select_column"]
    doc["tables"][1]["pk"] = "PKK"
    by_code = {f.code: f for f in check_contract(doc)}
    assert by_code["schema.required"].message == "a self-join needs `select_column`"
    assert by_code["key.undefined"].fix == "did you mean `PK`?"
    doc = workshop()
    doc["tables"][2]["attributes"][8]["calculation"] = {"type": "date-math", "operation": "ADD", "unit": "day",
                                                        "value": 1}
    fixes = {f.path.rsplit(".", 1)[-1]: f.fix for f in check_contract(doc) if f.code == "schema.enum"}
    assert fixes == {"operation": 'did you mean "add"?', "unit": 'did you mean "DAY"?'}


def test_contract_not_an_object() -> None:
    assert [(f.path, f.code) for f in check_contract([1, 2])] == [("$", "schema.type")]


def test_duplicate_json_keys_are_errors() -> None:
    text = '{"tables": [], "tables": [{"table": "x"}], "x": {"a": 1, "a": 1}}'
    findings = check_contract(parse_json(text))
    assert ("$.tables", "json.duplicate_key") in {(f.path, f.code) for f in findings}
    assert ("$.x.a", "json.duplicate_key") in {(f.path, f.code) for f in findings}


def test_findings_sorted_in_document_order() -> None:
    doc = workshop()
    for i in (2, 10):
        doc["tables"][1]["attributes"][i]["type"] = 7
    paths = [f.path for f in check_contract(doc)]
    assert paths.index("$.tables[1].attributes[2].type") < paths.index("$.tables[1].attributes[10].type")


# ---------------------------------------------------------------------------- loading

def test_load_errors_are_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "tables": [\n    1,\n  ]\n}\n')
    with pytest.raises(MigratorError, match=r"not valid JSON: .* at line 4, column 3"):
        load_contract(bad)
    with pytest.raises(MigratorError, match="does not exist"):
        load_contract(tmp_path / "missing.json")
    with pytest.raises(MigratorError, match="is a directory"):
        load_contract(tmp_path)
    (tmp_path / "nan.json").write_text('{"tables": NaN}')
    with pytest.raises(MigratorError, match="NaN is not a JSON number"):
        load_contract(tmp_path / "nan.json")
    (tmp_path / "latin1.json").write_bytes('{"tables": "\xe9"}'.encode("latin-1"))
    with pytest.raises(MigratorError, match="not UTF-8"):
        load_contract(tmp_path / "latin1.json")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"tables": [{}]}))
    with pytest.raises(ContractInvalid) as info:
        load_contract(invalid)
    assert str(info.value).count("\n") == 0 and "has 6 error(s)" in str(info.value) and len(info.value.findings) >= 6
    assert read_contract(invalid)[0] is None


# ---------------------------------------------------------------------------- CLI

def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", "validate", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_cli_text_valid(tmp_path: Path) -> None:
    result = run_cli(str(FIXTURES / "modernizr.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "warning  $.tables[0].entities[2].attributes[5].type  a json-construction array gives a list, which an S "
        "attribute stores as JSON text; declare type L to store a list.",
        "warning  $.tables[2].attributes[0].join.else_value  'parent.name' names 'parent', which is not a table of "
        "this join; name the source table, the target table or the join_alias.",
        "warning  $.tables[2].attributes[11].join.else_value  'parent.id' names 'parent', which is not a table of "
        "this join; name the source table, the target table or the join_alias.",
        "Contract valid: 3 tables, 3 warnings.",
    ]


def test_cli_text_invalid(tmp_path: Path) -> None:
    doc = single_entity(_attr(name="v", sorce_column="x"), pk="ID")
    del doc["tables"][0]["attributes"][1]["source_column"]
    (tmp_path / "c.json").write_text(json.dumps(doc))
    result = run_cli("c.json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "warning  $.tables[0].attributes[1].sorce_column  unknown key `sorce_column` in the attribute (ignored); "
        "did you mean `source_column`?",
        "error    $.tables[0].attributes[1].source_column  the attribute needs `source_column`; "
        "rename `sorce_column` to `source_column`.",
        "error    $.tables[0].pk  the partition key is `ID`, which is not an attribute of the table; "
        "add an attribute named `ID` (type S, N or B).",
        "Contract invalid: 2 errors, 1 warning.",
    ]
    assert "Traceback" not in result.stderr


def test_cli_json(tmp_path: Path) -> None:
    doc = workshop()
    doc["tables"][1]["pk"] = "PKK"
    (tmp_path / "c.json").write_text(json.dumps(doc))
    result = run_cli("c.json", "--json", cwd=tmp_path)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert (out["valid"], out["tables"]) == (False, 3)
    assert out["findings"][1] == {"severity": "error", "path": "$.tables[1].pk", "code": "key.undefined",
                                  "message": "the partition key is `PKK`, which is not an attribute of the table",
                                  "fix": "did you mean `PK`?",
                                  "edit": {"op": "set", "path": "$.tables[1].pk", "value": "PK"}}
    result = run_cli(str(FIXTURES / "modernizr.json"), "--json", cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["valid"] is True


def test_cli_broken_json_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"tables": [}')
    result = run_cli("broken.json", "--json", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout)["findings"][0]["code"] == "json.syntax"
    result = run_cli("broken.json", cwd=tmp_path)
    assert result.returncode == 1 and "line 1, column 13" in result.stdout
    result = run_cli("missing.json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: contract file missing.json does not exist: check the path."
    assert not (tmp_path / ".migrator").exists()   # no crash log: nothing went wrong inside migrator


def test_validate_file_report(tmp_path: Path) -> None:
    report = validate_file(FIXTURES / "modernizr.json")
    assert (report.valid, report.tables, report.warnings) == (True, 3, 3)
    assert report.summary() == "Contract valid: 3 tables, 3 warnings."


# ---------------------------------------------------------------------------- properties

def check_invariants(doc: Any) -> list[Finding]:
    """check_contract never raises; no errors means the model builds; every path resolves."""
    findings = check_contract(doc)
    for f in findings:
        assert isinstance(f.severity, Severity) and f.code and f.message
        assert resolves(doc, f.path), (f.path, f.code)
    if not errors(findings):
        contract = build_contract(doc, "fuzz", findings)
        assert len(contract.tables) == len(doc["tables"])
    return findings


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, CONTRACTISH, st.builds(lambda t: {"tables": t}, st.lists(CONTRACTISH, max_size=3))))
def test_arbitrary_json_never_raises(doc: Any) -> None:
    check_invariants(doc)


EXTENSION_KEYS = {"parts", "separator", "unit", "value", "other_column", "decimals", "pad", "join_alias", "$schema"}


def _allowed_rejection(doc: Any, finding: Finding) -> bool:
    """Where this schema may reject what the workshop's accepts: entities, and typed extension fields."""
    parts = parse_path(finding.path)
    if finding.code == "schema.required" and parts[-1] == "entities":
        return True
    if EXTENSION_KEYS & {p for p in parts if isinstance(p, str)}:
        return True
    return parts[-1] == "operation" and get(doc, parts[:-1]).get("type") == "date-math"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_workshop())
def test_mutated_workshop_contracts(doc: Any) -> None:
    check_invariants(doc)
    if WORKSHOP_SCHEMA.is_valid(doc):
        rejected = [f for f in schema_findings(doc) if not _allowed_rejection(doc, f)]
        assert rejected == [], [f.sentence() for f in rejected]


@given(st.lists(st.one_of(st.integers(0, 10**6), st.text()), max_size=6))
def test_paths_round_trip(parts: list[PathPart]) -> None:
    assert parse_path(json_path(parts)) == tuple(parts)
    assert child(json_path(parts), "x") == json_path([*parts, "x"])


def test_schema_falls_back_to_the_packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrator, "__file__", str(tmp_path / "site-packages" / "migrator" / "__init__.py"))
    assert schema_path() == Path(migrator.contract.schema.__file__).resolve().with_name(SCHEMA_FILE)


@pytest.mark.parametrize("field, text, message", [
    ("join_condition", "u.id = t.a; DROP TABLE t", "holds more than one statement"),
    ("join_condition", "u.id = t.a /* sneaky */", "contains a comment"),
    ("select_column", "u.name -- hi", "contains a comment"),
    ("select_column", "(SELECT password FROM mysql.user LIMIT 1)", "contains a subquery"),
    ("join_condition", "u.id IN (SELECT id FROM u)", "contains a subquery"),
    ("select_column", "u.name FROM", "is not valid MySQL"),
])
def test_unsafe_sql_fragments_are_errors_with_their_path(tmp_path: Path, field: str, text: str, message: str) -> None:
    join = {"type": "foreign-key", "target_table": "u", "join_condition": "u.id = t.a", "select_column": "u.name"}
    join[field] = text
    doc = {"tables": [{"table": "Tab", "type": "single-entity", "source_table": "t", "pk": "id", "satisfies": [],
                       "estimated_item_size_bytes": 1, "attributes": [
                           {"name": "id", "type": "N", "source_table": "t", "source_column": "id"},
                           {"name": "x", "type": "S", "source_table": "t", "source_column": "a", "join": join}]}]}
    findings = [f for f in check_contract(doc) if f.code == "sql.unsafe"]
    assert [(f.path, f.severity.value) for f in findings] == [(f"$.tables[0].attributes[1].join.{field}", "error")]
    assert message in findings[0].message


# ---------------------------------------------------------------------------- layering, the typed model, keys

def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_contract_and_sql_import_no_later_layer() -> None:
    later = ("migrator.compile", "migrator.mcp", "migrator.engine", "migrator.plan", "migrator.providers")
    for package in ("contract", "sql"):
        for path in sorted((REPO / "migrator" / package).rglob("*.py")):
            bad = sorted(m for m in _imports(path) if m.startswith(later))
            assert bad == [], f"{path.relative_to(REPO)} imports {bad}"


def test_lint_reads_a_draft_model_of_a_broken_contract() -> None:
    doc = single_entity(_attr(name="v", type=5, source_column=None, denormalized="yes"))
    draft = build_draft(doc)
    attr = draft.contract.tables[0].attributes[1]
    assert (attr.name, attr.path) == ("v", "$.tables[0].attributes[1]")
    assert draft.valid(attr.path, "name") and draft.has(attr.path, "type") and not draft.valid(attr.path, "type")
    assert draft.bad(attr.path, "source_column") and draft.bad(attr.path, "denormalized")
    assert build_draft([1]).contract.tables == () and build_draft(None).given == frozenset()
    with pytest.raises(MigratorError, match=r"^\$\.tables\[0\]\.attributes\[1\]\.\w+ must be "):
        build_contract(doc)


def test_number_key_built_as_text_is_refused_offline_and_by_the_compiler() -> None:
    doc = single_entity(_attr(name="SK", type="N", transformation={"type": "string-format", "format": "X#{c}"}),
                        sk="SK")
    found = errors(check_contract(doc))
    assert [(f.path, f.code, f.message) for f in found] == [
        ("$.tables[0].attributes[1].type", "key.type",
         "key attribute 'SK' is declared N but its string-format builds text")]
    table = build_contract(doc).tables[0]          # unchecked: the compiler asks the same rule
    config, findings = table_config(table, {a.name: a for a in table.attributes})
    assert findings == found
    assert config["AttributeDefinitions"] == [{"AttributeName": "PK", "AttributeType": "S"}]


def test_key_type_against_the_mysql_column_type() -> None:
    pk = build_contract(single_entity()).tables[0].attributes[0]       # PK, type S
    assert [(f.path, f.code) for f in column_type_findings(pk, "PK", "INT", "t.id")] == [
        ("$.tables[0].attributes[0].type", "key.numeric_as_string")]
    assert column_type_findings(pk, "PK", "varchar", "t.id") == []
    number = build_contract(single_entity(_attr(name="n", type="N"))).tables[0].attributes[1]
    assert [f.code for f in column_type_findings(number, "n", "varchar", "t.c")] == ["key.text_as_number"]
