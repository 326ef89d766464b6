"""Every plan-time suggestion is tested (issue 23): a compile finding's `edit`, applied, removes the
finding and adds no error.

The offline lint's edits are tested in tests/test_properties_suggestions.py; this file does the same
for the findings `migrator plan` adds when it compiles the contract against the live MySQL schema
(migrator/compile: `CompileError`, `BuilderCore.warn`, the type table). On a real MariaDB with a
small schema (products in a category tree, orders and their items, with named foreign keys), a
contract that lints and compiles clean is mutated the way authors get it wrong against a schema: a
type the column cannot become, a misspelled column or table, a plain attribute of another table, a
self-join that is a foreign-key join, a path step or chain step not tied to the row before it, a
foreign key misnamed, zero-padding on a number, a hierarchy walked from another table or on a
column that is not the tree's key. Each is linted (`check_contract`, what `migrator validate` runs)
and compiled as `migrator plan` compiles it (`entity_plans`, `compile_view`, `key_findings`); then
for every plan-time finding that carries an edit, the edit is applied and the whole is done again:

(a) that finding (same code, same path) is gone;
(b) no ERROR appears that was not there before.

The edits here never remove a list item or rename a key, so "same path" is plain equality.
`test_every_plan_edit_code_is_reached` makes sure no code with an edit goes untested: each has a
deterministic trigger, and the codes the compiler's source attaches edits to are all listed.
"""

from __future__ import annotations

import ast
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from migrator.compile.contract import entity_plans
from migrator.compile.key_lint import key_findings
from migrator.compile.names import view_name
from migrator.compile.views import compile_view
from migrator.contract.document import check_contract
from migrator.contract.edits import Edit, apply_edit, edit_from_json, edit_json
from migrator.contract.typed import build_contract
from migrator.findings import Finding, Severity
from migrator.mysql_schema import SchemaInfo, ServerInfo, schema_from_doc, server_info_from_doc
from migrator.sandbox import lifecycle
from migrator.servers.mysql import MySQLTools, Settings

REPO = Path(__file__).resolve().parents[1]

DDL = (
    "CREATE TABLE categories (id INT PRIMARY KEY, name VARCHAR(32) NULL, parent_id INT NULL, "
    "CONSTRAINT fk_category_parent FOREIGN KEY (parent_id) REFERENCES categories (id))",
    "CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(32) NULL, category_id INT NULL, price DECIMAL(10,2) NULL, "
    "photo BLOB NULL, flags SET('new','sale') NULL, added DATETIME NULL, "
    "CONSTRAINT fk_product_category FOREIGN KEY (category_id) REFERENCES categories (id))",
    "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(32) NULL, placed DATE NULL)",
    "CREATE TABLE order_items (id INT PRIMARY KEY, order_id INT NULL, product_id INT NULL, qty INT NULL, "
    "CONSTRAINT fk_item_order FOREIGN KEY (order_id) REFERENCES orders (id), "
    "CONSTRAINT fk_item_product FOREIGN KEY (product_id) REFERENCES products (id))",
)

#: every compile code whose findings carry an edit (the AST test below keeps it complete)
PLAN_EDIT_CODES = frozenset({
    "type.mismatch", "attribute.source_table", "schema.column", "schema.table", "join.self_join_foreign_key",
    "join.chain_unconstrained", "path.unconstrained", "path.foreign_key", "transformation.pad_type",
    "hierarchy.id_column", "hierarchy.source_table",
})


def attr(name: str, kind: str, table: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": table, "source_column": column, **extra}


CATEGORY_JOIN = {"type": "foreign-key", "target_table": "categories", "join_condition": "categories.id = products.category_id",
                 "select_column": "categories.name"}
BASE: dict[str, Any] = {"tables": [
    {"table": "Products", "type": "single-entity", "source_table": "products", "pk": "id", "satisfies": ["AP1"],
     "estimated_item_size_bytes": 200, "attributes": [
         attr("id", "N", "products", "id"),
         attr("name", "S", "products", "name"),
         attr("price", "N", "products", "price"),
         attr("photo", "B", "products", "photo"),
         attr("flags", "SS", "products", "flags"),
         attr("added", "S", "products", "added"),
         attr("category_name", "S", "products", "category_id", join=CATEGORY_JOIN),
         attr("category_trail", "S", "products", "category_id",
              hierarchy={"table": "categories", "parent_column": "parent_id", "value": "path", "path_column": "name"}),
         attr("category_chain", "S", "products", "category_id", join={"type": "chain", "joins": [
             {"target_table": "categories", "join_condition": "categories.id = products.category_id",
              "select_column": "categories.name"}]}),
         attr("sold", "N", "products", "id", path={
             "steps": [{"table": "order_items", "as": "items", "on": "items.product_id = products.id"}],
             "aggregate": {"function": "SUM", "of": "items.qty"}}),
         attr("code", "S", "products", "id", transformation={"type": "number-format", "pad": 6}),
         attr("label", "S", "products", "category_id", join={
             "type": "conditional", "target_table": "categories", "join_condition": "categories.id = products.category_id",
             "condition": "products.price > 10", "select_column": "categories.name", "else_value": "products.name"}),
     ]},
    {"table": "Orders", "type": "single-entity", "source_table": "orders", "pk": "id", "sk": "placed",
     "satisfies": ["AP2"], "estimated_item_size_bytes": 200, "attributes": [
         attr("id", "N", "orders", "id"),
         attr("placed", "S", "orders", "placed"),
         attr("customer", "S", "orders", "customer"),
         attr("lines", "L", "orders", "id", path={"steps": [{"table": "order_items", "foreign_key": "fk_item_order"}],
                                                  "collect": {"type": "list", "values": {"qty": "order_items.qty"}}}),
     ]},
]}


# =============================================================================== the schema

class Plan:
    """The schema and server of a fresh database holding DDL: what `migrator plan` compiles against."""

    def __init__(self, schema: SchemaInfo, server: ServerInfo) -> None:
        self.schema, self.server = schema, server

    def findings(self, doc: Any) -> tuple[list[Finding], list[Finding]]:
        """(the lint's findings, the plan's) of a contract, compiled as `compile_contract` compiles each view."""
        lint = check_contract(doc)
        contract = build_contract(doc, "plan-edits")
        planned: list[Finding] = []
        for table in contract.tables:
            for plan in entity_plans(table):
                _, findings = compile_view(plan.entity, view_name(table.name, plan.entity_type), table.name,
                                           self.schema, self.server, plan.entity_type)
                planned += findings + key_findings(table, plan.entity, self.schema, plan.overridden)
        return lint, planned


@pytest.fixture(scope="module")
def plan(sandbox: lifecycle.SandboxRecord) -> Iterator[Plan]:
    """One database for the module (the compiler is pure: the schema is read once), like `mysql_db`'s."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    spec = sandbox.mariadb
    root = pymysql.connect(unix_socket=str(spec.socket), user="root", autocommit=True)
    try:
        with root.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (spec.user, host))
            cur.execute(f"USE `{name}`")
            for ddl in DDL:
                cur.execute(ddl)
        env = sandbox.mysql_env()
        tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                    password=env["MYSQL_PASSWORD"], database=name, read_only=False,
                                    connect_timeout=10))
        d = tools.server_info()
        yield Plan(schema_from_doc(tools.describe_schema()),
                   server_info_from_doc(d))
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        root.close()


# =============================================================================== the property

def check_plan_suggestions(plan: Plan, doc: Any, seen: set[str] | None = None, events: bool = False) -> list[Finding]:
    """Apply each edit of the plan's findings and check the property; the plan's findings with edits."""
    text = json.dumps(doc, sort_keys=True)
    lint, planned = plan.findings(doc)
    errors = {(f.code, f.path) for f in lint + planned if f.severity is Severity.ERROR}
    by_edit: dict[Edit, list[Finding]] = {}
    for finding in planned:
        if finding.edit is not None:
            by_edit.setdefault(finding.edit, []).append(finding)
    for edit, findings in by_edit.items():
        assert edit_from_json(json.loads(json.dumps(edit_json(edit)))) == edit
        edited = apply_edit(doc, edit)
        assert json.dumps(doc, sort_keys=True) == text, f"{edit} changed its input"
        after = [f for group in plan.findings(edited) for f in group]
        new = [f for f in after if f.severity is Severity.ERROR and (f.code, f.path) not in errors]
        for finding in findings:
            again = [f for f in after if f.code == finding.code and f.path == finding.path]
            assert not again, f"{finding.sentence()}\n  edit {edit}\n  leaves {again[0].sentence()}"
            assert not new, (f"{finding.sentence()}\n  edit {edit}\n  brings "
                             + "\n  and ".join(f.sentence() for f in new))
            if seen is not None:
                seen.add(finding.code)
            if events:
                event(finding.code)
    return [f for fs in by_edit.values() for f in fs]


def test_the_base_contract_is_clean(plan: Plan) -> None:
    lint, planned = plan.findings(BASE)
    assert not [f.sentence() for f in lint + planned if f.severity is Severity.ERROR]
    assert not [f.sentence() for f in planned if f.edit is not None]


# =============================================================================== mutations

Pick = Callable[[list[Any]], Any]
Mutation = Callable[[Any, Pick], None]


def _attribute(doc: Any, table: int, name: str) -> dict[str, Any]:
    return next(a for a in doc["tables"][table]["attributes"] if a["name"] == name)


def _misspell(word: str, pick: Pick) -> str:
    """A typo: one letter dropped, doubled or swapped with the next."""
    i = pick(list(range(len(word) - 1)))
    return pick([word[:i] + word[i + 1:], word[:i] + word[i] + word[i:], word[:i] + word[i + 1] + word[i] + word[i + 2:]])


#: (table, attribute) -> types its column cannot become (the pk `id` among them: its edit must keep a key type)
UNFIT = {(0, "photo"): ["S", "N", "BOOL", "SS", "M"], (0, "flags"): ["N", "BOOL", "M", "L", "B"],
         (0, "price"): ["BOOL", "B", "M", "SS"], (0, "added"): ["N", "B", "BOOL"], (0, "id"): ["B"],
         (1, "placed"): ["N", "B"], (1, "id"): ["B"]}


def unfit_type(doc: Any, pick: Pick) -> None:
    """A type the column cannot become: of a plain attribute, or of one branch of a conditional join (whose
    edit must fit the other branch too)."""
    if pick([False, True]):
        join = _attribute(doc, 0, "label")["join"]
        join[pick(["else_value", "select_column"])] = pick(["products.photo", "products.flags"])
        _attribute(doc, 0, "label")["type"] = pick(["S", "N", "M"])
        return
    table, name = pick(sorted(UNFIT))
    _attribute(doc, table, name)["type"] = pick(UNFIT[(table, name)])


def other_source_table(doc: Any, pick: Pick) -> None:
    name = pick(["name", "price", "added"])
    _attribute(doc, 0, name)["source_table"] = pick(["orders", "categories", "Orders"])


def misspelled_column(doc: Any, pick: Pick) -> None:
    where = pick(["source_column", "parent_column", "path_column"])
    if where == "source_column":
        a = _attribute(doc, 0, pick(["name", "price", "photo", "added"]))
        a["source_column"] = _misspell(a["source_column"], pick)
    else:
        h = _attribute(doc, 0, "category_trail")["hierarchy"]
        h[where] = _misspell(h[where], pick)


def misspelled_table(doc: Any, pick: Pick) -> None:
    where = pick(["join", "chain", "hierarchy", "step", "source"])
    if where == "source":   # the entity's table, and maybe its attributes' the same way (all but one)
        table = doc["tables"][pick([0, 1])]
        old, typo = table["source_table"], _misspell(table["source_table"], pick)
        table["source_table"] = typo
        if pick([False, True]):
            for a in table["attributes"][1:]:
                a["source_table"] = typo if a["source_table"] == old else a["source_table"]
        return
    if where == "join":
        node = _attribute(doc, 0, "category_name")["join"]
        key = "target_table"
    elif where == "chain":
        node, key = _attribute(doc, 0, "category_chain")["join"]["joins"][0], "target_table"
    elif where == "hierarchy":
        node, key = _attribute(doc, 0, "category_trail")["hierarchy"], "table"
    else:
        node, key = _attribute(doc, 0, "sold")["path"]["steps"][0], "table"
    node[key] = _misspell(node[key], pick)


def self_join(doc: Any, pick: Pick) -> None:
    """The category's name written as a self-join of products under an alias, on products' key to categories."""
    alias = pick(["cat", "parent", "c"])
    column = pick(["name", "id", "parent_id"])
    _attribute(doc, 0, "category_name")["join"] = {
        "type": "self-join", "join_alias": alias, "join_condition": pick([f"{alias}.id = products.category_id",
                                                                          f"products.category_id = {alias}.id"]),
        "select_column": f"{alias}.{column}"}


def untied_chain(doc: Any, pick: Pick) -> None:
    step = _attribute(doc, 0, "category_chain")["join"]["joins"][0]
    step["join_condition"] = pick(["categories.id = 1", "categories.parent_id IS NULL", "products.category_id = 3"])


def untied_step(doc: Any, pick: Pick) -> None:
    if pick([True, False]):
        _attribute(doc, 0, "sold")["path"]["steps"][0]["on"] = pick(["items.qty > 0", "products.id = 1",
                                                                     "items.id = 2 OR products.id = 1"])
    else:
        step = _attribute(doc, 1, "lines")["path"]["steps"][0]
        del step["foreign_key"]
        step["on"] = pick(["order_items.qty > 0", "orders.id = 4"])


def misnamed_foreign_key(doc: Any, pick: Pick) -> None:
    step = _attribute(doc, 1, "lines")["path"]["steps"][0]
    step["foreign_key"] = pick([_misspell(step["foreign_key"], pick), "fk_item_product", "fk_order"])


def padded_number(doc: Any, pick: Pick) -> None:
    name = pick(["price", "id"])
    _attribute(doc, 0, name)["transformation"] = {"type": "number-format", "pad": pick([4, 8]),
                                                  **pick([{}, {"decimals": 0}])}


def hierarchy_elsewhere(doc: Any, pick: Pick) -> None:
    a = _attribute(doc, 0, "category_trail")
    a["source_table"] = pick(["categories", "order_items"])
    a["source_column"] = pick(["category_id", "parent_id", "id"])


def hierarchy_id(doc: Any, pick: Pick) -> None:
    _attribute(doc, 0, "category_trail")["hierarchy"]["id_column"] = pick(["name", "parent_id", "ID2"])


MUTATIONS: list[Mutation] = [unfit_type, other_source_table, misspelled_column, misspelled_table, self_join,
                             untied_chain, untied_step, misnamed_foreign_key, padded_number, hierarchy_elsewhere,
                             hierarchy_id]
SEEN: set[str] = set()   # codes whose edits the generated contracts exercised


@st.composite
def mutated(draw: st.DrawFn, mutation: Mutation) -> Any:
    """`mutation` on the base contract. One at a time: a compile error stops its attribute, so a second
    mistake in the same attribute would be hidden by the first and show when the first is fixed."""
    doc = copy.deepcopy(BASE)

    def pick(options: list[Any]) -> Any:
        return draw(st.sampled_from(options))

    mutation(doc, pick)
    return doc


@pytest.mark.parametrize("first", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_plan_edit_removes_its_finding_and_adds_no_error(plan: Plan, first: Mutation,
                                                                data: st.DataObject) -> None:
    check_plan_suggestions(plan, data.draw(mutated(first), label="contract"), SEEN, events=True)


# =============================================================================== one trigger per code

def _with(change: Callable[[Any], None]) -> Callable[[], Any]:
    def make() -> Any:
        doc = copy.deepcopy(BASE)
        change(doc)
        return doc
    return make


def _set(table: int, name: str, *keys: str | int, value: Any) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        node: Any = _attribute(doc, table, name)
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


def _self_join(doc: Any) -> None:
    _attribute(doc, 0, "category_name")["join"] = {"type": "self-join", "join_alias": "cat",
                                                   "join_condition": "cat.id = products.category_id",
                                                   "select_column": "cat.name"}


def _untied_foreign_key(doc: Any) -> None:
    _attribute(doc, 1, "lines")["path"]["steps"][0]["foreign_key"] = "fk_item_ordr"


TRIGGERS: dict[str, Callable[[], Any]] = {
    "type.mismatch": _with(_set(0, "photo", "type", value="S")),
    "attribute.source_table": _with(_set(0, "name", "source_table", value="orders")),
    "schema.column": _with(_set(0, "price", "source_column", value="prise")),
    "schema.table": _with(_set(0, "category_name", "join", "target_table", value="categorys")),
    "join.self_join_foreign_key": _with(_self_join),
    "join.chain_unconstrained": _with(_set(0, "category_chain", "join", "joins", 0, "join_condition",
                                           value="categories.id = 1")),
    "path.unconstrained": _with(_set(0, "sold", "path", "steps", 0, "on", value="items.qty > 0")),
    "path.foreign_key": _with(_untied_foreign_key),
    "transformation.pad_type": _with(_set(0, "price", "transformation", value={"type": "number-format", "pad": 6})),
    "hierarchy.id_column": _with(_set(0, "category_trail", "hierarchy", "id_column", value="name")),
    "hierarchy.source_table": _with(_set(0, "category_trail", "source_table", value="categories")),
}


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_trigger(plan: Plan, code: str) -> None:
    doc = TRIGGERS[code]()
    seen: set[str] = set()
    findings = check_plan_suggestions(plan, doc, seen)
    assert code in seen, [f.sentence() for f in findings] or [f.sentence() for g in plan.findings(doc) for f in g]


def test_edits_that_keep_the_rest_valid(plan: Plan) -> None:
    """The edit of a retype keeps what else names the attribute valid: the table's key stays a key type,
    a ttl attribute that must stay a number loses its padding instead of its type."""
    _, planned = plan.findings(TRIGGERS["type.mismatch"]())
    assert {(f.code, str(f.edit)) for f in planned if f.edit is not None} == \
        {("type.mismatch", "SetValue(path='$.tables[0].attributes[3].type', value='B')")}
    doc = _with(_set(0, "id", "type", value="B"))()
    [finding] = [f for f in plan.findings(doc)[1] if f.code == "type.mismatch"]
    assert finding.edit is not None and getattr(finding.edit, "value", None) == "N"   # BOOL fits, but is no key type
    doc = _with(_set(0, "price", "transformation", value={"type": "number-format", "pad": 6}))()
    doc["tables"][0]["ttl_attribute"] = "price"
    [finding] = [f for f in plan.findings(doc)[1] if f.code == "transformation.pad_type"]
    assert "remove the transformation" in (finding.fix or "")
    assert check_plan_suggestions(plan, doc)


def _edit_codes_in_source() -> set[str]:
    """Codes of the compiler's `CompileError(...)`, `.warn(...)` and `Finding(...)` calls that pass an edit."""
    places = {"CompileError": (4, 3), "warn": (4, 3), "Finding": (5, 4)}   # name -> (edit, code) argument index
    codes: set[str] = set()
    for path in sorted((REPO / "migrator" / "compile").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in places:
                continue
            at_edit, at_code = places[name]
            edit = node.args[at_edit] if len(node.args) > at_edit else \
                next((k.value for k in node.keywords if k.arg == "edit"), None)
            if edit is None or (isinstance(edit, ast.Constant) and edit.value is None):
                continue
            code = node.args[at_code] if len(node.args) > at_code else \
                next((k.value for k in node.keywords if k.arg == "code"), None)
            if isinstance(code, ast.Name) and code.id == "code":
                continue   # CompileError and warn forwarding theirs to the Finding
            assert isinstance(code, ast.Constant) and isinstance(code.value, str), \
                f"{path.name}:{node.lineno}: a finding with an edit needs a literal code"
            codes.add(code.value)
    return codes


def test_every_plan_edit_code_is_reached(plan: Plan) -> None:
    """Every compile code with an edit has a trigger above, is listed, and the generated contracts reach them all."""
    assert _edit_codes_in_source() == PLAN_EDIT_CODES
    assert set(TRIGGERS) == PLAN_EDIT_CODES
    if PLAN_EDIT_CODES - SEEN:   # run alone, or on a worker that did not run every property example: run them here
        for mutation in MUTATIONS:
            test_every_plan_edit_removes_its_finding_and_adds_no_error(plan, mutation)
    missing = PLAN_EDIT_CODES - SEEN
    assert not missing, f"the generated contracts never reach: {sorted(missing)}"
