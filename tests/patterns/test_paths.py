"""Relational paths on a real MariaDB: every view row equals a model computed in Python from the
raw rows of each table (no SQL join), for what the seven join kinds could not say:

- a JSON list through a link table (product -> product_tags -> tags) with typed values (BIT(1) and
  TINYINT(1) as true/false, DECIMAL exact, a JSON column as JSON), ordered and limited;
- aggregates across joins with DISTINCT and a filter (times ordered, distinct customers since a
  date, revenue), compiled to a grouped derived table, and one whose first step is not keyed on
  the entity (a correlated subquery);
- a calculation whose operands come from joined rows (due = ordered_at + product.delivery_days);
- a self-join with a condition naming both rows (`colleague.dept = staff.dept AND colleague.id <>
  staff.id`, a user's finding), and a step that comes back to a table already on the path.

Foreign keys are declared but not enforced while rows load, so dangling references and missing
partners are generated too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pymysql
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.findings import Finding, Severity
from migrator.mysql_schema import SchemaInfo, ServerInfo, schema_from_doc, server_info_from_doc
from migrator.sandbox import lifecycle
from migrator.servers.mysql import MySQLTools, Settings
from tests.patterns.support import SETTINGS, entity_views, model

DDL = (
    "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(16) NULL)",
    "CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(16) NULL, delivery_days INT NULL, "
    "price DECIMAL(10,2) NULL, active TINYINT(1) NULL, attrs JSON NULL)",
    "CREATE TABLE tags (id INT PRIMARY KEY, name VARCHAR(16) NULL, featured BIT(1) NULL)",
    "CREATE TABLE product_tags (product_id INT NOT NULL, tag_id INT NOT NULL, PRIMARY KEY (product_id, tag_id), "
    "CONSTRAINT fk_pt_product FOREIGN KEY (product_id) REFERENCES products (id), "
    "CONSTRAINT fk_pt_tag FOREIGN KEY (tag_id) REFERENCES tags (id))",
    "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NULL, ordered_at DATETIME NULL, "
    "CONSTRAINT fk_order_customer FOREIGN KEY (customer_id) REFERENCES customers (id))",
    "CREATE TABLE order_lines (id INT PRIMARY KEY, order_id INT NULL, product_id INT NULL, qty INT NULL, "
    "price DECIMAL(10,2) NULL, CONSTRAINT fk_line_order FOREIGN KEY (order_id) REFERENCES orders (id), "
    "CONSTRAINT fk_line_product FOREIGN KEY (product_id) REFERENCES products (id))",
    "CREATE TABLE staff (id INT PRIMARY KEY, name VARCHAR(16) NULL, dept INT NULL, manager_id INT NULL, "
    "CONSTRAINT fk_staff_manager FOREIGN KEY (manager_id) REFERENCES staff (id))",
)
TABLES = ("customers", "products", "tags", "product_tags", "orders", "order_lines", "staff")
Rows = dict[str, list[dict[str, Any]]]

# Names are lower-case ASCII: ORDER BY a name sorts them as Python does under any collation.
NAME = st.none() | st.text(alphabet="abc", max_size=3)
IDS = st.lists(st.integers(1, 8), unique=True, max_size=6)
SINCE = dt.datetime(2020, 1, 1)


class PathDB:
    """A fresh database with the tables above; rows replaced per example."""

    def __init__(self, sandbox: lifecycle.SandboxRecord, database: str) -> None:
        self.conn = pymysql.connect(unix_socket=str(sandbox.mariadb.socket), user="root", database=database,
                                    autocommit=True, charset="utf8mb4",
                                    init_command="SET time_zone='+00:00', foreign_key_checks=0")
        with self.conn.cursor() as cur:
            for ddl in DDL:
                cur.execute(ddl)
        env = sandbox.mysql_env()
        tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                    password=env["MYSQL_PASSWORD"], database=database, read_only=False,
                                    connect_timeout=10))
        self.schema: SchemaInfo = schema_from_doc(tools.describe_schema())
        d = tools.server_info()
        self.server = server_info_from_doc(d)

    def load(self, rows: Rows) -> None:
        with self.conn.cursor() as cur:
            for name in TABLES:
                cur.execute(f"DELETE FROM `{name}`")
                if rows.get(name):
                    cols = list(rows[name][0])
                    cur.executemany(f"INSERT INTO `{name}` ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                                    [tuple(r[c] for c in cols) for r in rows[name]])

    def compile(self, table_doc: Mapping[str, Any]) -> tuple[str | None, list[Finding]]:
        table, lint = model(table_doc)
        [(_, _, spec, findings)] = entity_views(table, self.schema, self.server)
        return (spec.select_sql if spec is not None else None), [*lint, *findings]

    def view(self, table_doc: Mapping[str, Any]) -> dict[Any, dict[str, Any]]:
        sql, findings = self.compile(table_doc)
        errors = [f.sentence() for f in findings if f.severity is Severity.ERROR]
        assert sql is not None and not errors, errors
        with self.conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute(sql)
            rows = list(cur.fetchall())
        by_key = {r[table_doc["pk"]]: r for r in rows}
        assert len(by_key) == len(rows), "the view multiplied the entity's rows"
        return by_key

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def pathdb(sandbox: lifecycle.SandboxRecord, mysql_db: str) -> Iterator[PathDB]:
    db = PathDB(sandbox, mysql_db)
    try:
        yield db
    finally:
        db.close()


# =============================================================================== rows


def _ref(ids: Sequence[int]) -> st.SearchStrategy[int | None]:
    """Mostly an existing id, sometimes NULL or dangling (9 is never an id)."""
    return st.sampled_from(list(ids)) | st.none() | st.just(9) if ids else st.none() | st.just(9)


@st.composite
def shop(draw: st.DrawFn) -> Rows:
    money = st.none() | st.decimals(min_value=-50, max_value=50, places=2, allow_nan=False, allow_infinity=False)
    customers = [{"id": i, "name": draw(NAME)} for i in draw(IDS)]
    products = [{"id": i, "name": draw(NAME), "delivery_days": draw(st.none() | st.integers(0, 30)),
                 "price": draw(money), "active": draw(st.none() | st.sampled_from([0, 1, 5])),
                 "attrs": draw(st.none() | st.sampled_from(['{"a": 1}', '[1, "x", true]', '{"b": {"c": 1.50}}']))}
                for i in draw(IDS)]
    tags = [{"id": i, "name": draw(NAME), "featured": draw(st.none() | st.booleans())} for i in draw(IDS)]
    # link rows: existing ids, and 9 (never an id) for a link whose row is gone
    pairs = draw(st.lists(st.tuples(st.sampled_from([p["id"] for p in products] + [9]),
                                    st.sampled_from([t["id"] for t in tags] + [9])), unique=True, max_size=12))
    orders = [{"id": i, "customer_id": draw(_ref([c["id"] for c in customers])),
               "ordered_at": draw(st.none() | st.sampled_from([dt.datetime(2019, 12, 31, 23, 59, 59),
                                                               dt.datetime(2020, 1, 1), dt.datetime(2021, 6, 15, 8)]))}
              for i in draw(IDS)]
    lines = [{"id": i, "order_id": draw(_ref([o["id"] for o in orders])),
              "product_id": draw(_ref([p["id"] for p in products])), "qty": draw(st.none() | st.integers(-2, 5)),
              "price": draw(money)} for i in draw(st.lists(st.integers(1, 30), unique=True, max_size=14))]
    staff_ids = draw(IDS)
    staff = [{"id": i, "name": draw(NAME), "dept": draw(st.none() | st.integers(1, 2)),
              "manager_id": draw(_ref(staff_ids))} for i in staff_ids]
    return {"customers": customers, "products": products, "tags": tags,
            "product_tags": [{"product_id": p, "tag_id": t} for p, t in pairs], "orders": orders,
            "order_lines": lines, "staff": staff}


# =============================================================================== contracts


def attr(name: str, kind: str, source: str, path: dict[str, Any] | None = None, column: str = "id") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind, "source_table": source, "source_column": column}
    if path is not None:
        out["path"] = path
    return out


def table(name: str, source: str, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"table": name, "type": "single-entity", "source_table": source, "pk": "id", "attributes": attributes,
            "satisfies": ["AP1"], "estimated_item_size_bytes": 200}


TAG_STEPS = [{"table": "product_tags"}, {"table": "tags"}]   # both steps along their one foreign key
PRODUCTS = table("PathProducts", "products", [
    attr("id", "N", "products"),
    attr("tags", "L", "products", {"steps": TAG_STEPS, "collect": {
        "type": "list", "values": {"name": "tags.name", "featured": "tags.featured", "id": "tags.id"},
        "order_by": "tags.name"}}),
    attr("top_tags", "L", "products", {"steps": TAG_STEPS, "collect": {
        "type": "list", "values": "tags.name", "order_by": "tags.name DESC", "limit": 2,
        "filter": "tags.featured = 1"}}),
    attr("first_tag", "M", "products", {"steps": TAG_STEPS, "collect": {
        "type": "object", "values": {"name": "tags.name", "tag": {"expression": "tags.id", "type": "S"}},
        "order_by": "tags.name"}}),
    attr("times_ordered", "N", "products", {"steps": [{"table": "order_lines", "as": "line",
                                                       "on": "line.product_id = products.id"}],
                                            "aggregate": {"function": "COUNT"}}),
    attr("customers_since", "N", "products", {
        "steps": [{"table": "order_lines", "as": "line", "on": "line.product_id = products.id"},
                  {"table": "orders", "foreign_key": "fk_line_order"}],
        "aggregate": {"function": "COUNT", "of": "orders.customer_id", "distinct": True,
                      "filter": "orders.ordered_at >= '2020-01-01'"}}),
    attr("revenue", "N", "products", {"steps": [{"table": "order_lines", "as": "line",
                                                 "on": "line.product_id = products.id"}],
                                      "aggregate": {"function": "SUM", "of": "line.qty * line.price"}}),
    attr("dearer_lines", "N", "products", {"steps": [{"table": "order_lines", "as": "line",
                                                      "on": "line.product_id = products.id AND line.price > products.price"}],
                                           "aggregate": {"function": "MAX", "of": "line.price"}}),
])
ORDERS = table("PathOrders", "orders", [
    attr("id", "N", "orders"),
    attr("customer", "S", "orders", {"steps": [{"table": "customers"}], "value": "customers.name"}),
    attr("lines", "L", "orders", {
        "steps": [{"table": "order_lines", "as": "line", "on": "line.order_id = orders.id"},
                  {"table": "products", "as": "p", "on": "p.id = line.product_id"}],
        "collect": {"type": "list", "order_by": "line.id", "values": {
            "product": "p.name", "qty": "line.qty", "price": "line.price", "active": "p.active",
            "attrs": "p.attrs", "days": {"expression": "p.delivery_days", "type": "N"}}}}),
])
LINES = table("PathLines", "order_lines", [
    attr("id", "N", "order_lines"),
    attr("due", "S", "order_lines", {
        "steps": [{"table": "orders"}, {"table": "products", "on": "products.id = order_lines.product_id"}],
        "value": "DATE_FORMAT(DATE_ADD(orders.ordered_at, INTERVAL products.delivery_days DAY), '%Y-%m-%d %H:%i:%s')"}),
])
STAFF = table("PathStaff", "staff", [
    attr("id", "N", "staff"),
    attr("manager", "S", "staff", {"steps": [{"table": "staff", "as": "boss", "on": "boss.id = staff.manager_id"}],
                                   "value": "boss.name"}),
    attr("grand_manager", "S", "staff", {
        "steps": [{"table": "staff", "as": "boss", "on": "boss.id = staff.manager_id"},
                  {"table": "staff", "as": "grand", "on": "grand.id = boss.manager_id"}],
        "value": "grand.name"}),
    attr("colleagues", "L", "staff", {
        "steps": [{"table": "staff", "as": "colleague",
                   "on": "colleague.dept = staff.dept AND colleague.id <> staff.id"}],
        "collect": {"type": "list", "values": "colleague.id", "order_by": "colleague.id"}}),
])


# =============================================================================== the model, in Python


def by_id(rows: Sequence[Mapping[str, Any]]) -> dict[Any, Mapping[str, Any]]:
    return {r["id"]: r for r in rows}


def nulls_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def parse(text: str | bytes | None) -> Any:
    if text is None:
        return None
    return json.loads(text.decode() if isinstance(text, bytes) else text, parse_float=Decimal)


def product_model(rows: Rows) -> dict[Any, dict[str, Any]]:
    tags, orders = by_id(rows["tags"]), by_id(rows["orders"])
    out = {}
    for p in rows["products"]:
        links = [lt for lt in rows["product_tags"] if lt["product_id"] == p["id"] and lt["tag_id"] in tags]
        reached = [(tags[lt["tag_id"]], lt) for lt in links]
        # ORDER BY name, then the last step's key, then the link's key
        asc = sorted(reached, key=lambda tl: (nulls_first(tl[0]["name"]), tl[0]["id"], tl[1]["product_id"],
                                              tl[1]["tag_id"]))
        featured = [tl for tl in reached if tl[0]["featured"] is True]
        desc = sorted(featured, key=lambda tl: (tl[1]["product_id"], tl[1]["tag_id"]))
        desc = sorted(desc, key=lambda tl: tl[0]["id"])
        desc = sorted(desc, key=lambda tl: nulls_first(tl[0]["name"]), reverse=True)   # DESC puts NULL last
        lines = [ln for ln in rows["order_lines"] if ln["product_id"] == p["id"]]
        since = {orders[ln["order_id"]]["customer_id"] for ln in lines if ln["order_id"] in orders
                 and (orders[ln["order_id"]]["ordered_at"] or dt.datetime.min) >= SINCE} - {None}
        products_ = [ln["qty"] * ln["price"] for ln in lines if ln["qty"] is not None and ln["price"] is not None]
        dearer = [ln["price"] for ln in lines
                  if ln["price"] is not None and p["price"] is not None and ln["price"] > p["price"]]
        out[p["id"]] = {
            "tags": [{"name": t["name"], "featured": t["featured"], "id": t["id"]} for t, _ in asc],
            "top_tags": [t["name"] for t, _ in desc[:2]],
            "first_tag": ({"name": asc[0][0]["name"], "tag": str(asc[0][0]["id"])} if asc else None),
            "times_ordered": len(lines),
            "customers_since": len(since),
            "revenue": sum(products_) if products_ else None,
            "dearer_lines": max(dearer) if dearer else None,
        }
    return out


def order_model(rows: Rows) -> dict[Any, dict[str, Any]]:
    customers, products = by_id(rows["customers"]), by_id(rows["products"])
    out = {}
    for o in rows["orders"]:
        lines = sorted((ln for ln in rows["order_lines"] if ln["order_id"] == o["id"] and ln["product_id"] in products),
                       key=lambda ln: ln["id"])
        out[o["id"]] = {
            "customer": customers[o["customer_id"]]["name"] if o["customer_id"] in customers else None,
            "lines": [{"product": products[ln["product_id"]]["name"], "qty": ln["qty"], "price": ln["price"],
                       "active": as_bool(products[ln["product_id"]]["active"]),
                       "attrs": parse(products[ln["product_id"]]["attrs"]),
                       "days": products[ln["product_id"]]["delivery_days"]} for ln in lines],
        }
    return out


def line_model(rows: Rows) -> dict[Any, dict[str, Any]]:
    orders, products = by_id(rows["orders"]), by_id(rows["products"])
    out = {}
    for ln in rows["order_lines"]:
        order, product = orders.get(ln["order_id"]), products.get(ln["product_id"])
        due = None
        if order and product and order["ordered_at"] is not None and product["delivery_days"] is not None:
            due = (order["ordered_at"] + dt.timedelta(days=product["delivery_days"])).strftime("%Y-%m-%d %H:%M:%S")
        out[ln["id"]] = {"due": due}
    return out


def staff_model(rows: Rows) -> dict[Any, dict[str, Any]]:
    staff = by_id(rows["staff"])
    out = {}
    for s in rows["staff"]:
        boss = staff.get(s["manager_id"])
        grand = staff.get(boss["manager_id"]) if boss else None
        colleagues = sorted(c["id"] for c in rows["staff"]
                            if s["dept"] is not None and c["dept"] == s["dept"] and c["id"] != s["id"])
        out[s["id"]] = {"manager": boss["name"] if boss else None, "grand_manager": grand["name"] if grand else None,
                        "colleagues": colleagues}
    return out


# =============================================================================== comparison

JSON_ATTRIBUTES = {"tags", "top_tags", "first_tag", "lines", "colleagues"}


def check(db: PathDB, table_doc: Mapping[str, Any], expected: Callable[[Rows], dict[Any, dict[str, Any]]],
          rows: Rows) -> None:
    db.load(rows)
    actual = db.view(table_doc)
    want = expected(rows)
    assert set(actual) == set(want)
    for key, item in want.items():
        got = {k: (parse(v) if k in JSON_ATTRIBUTES else v) for k, v in actual[key].items() if k != "id"}
        assert got == item, f"{table_doc['table']} id {key}: view {got} != model {item}"


@SETTINGS
@given(rows=shop())
def test_link_table_lists_and_aggregates_across_joins(pathdb: PathDB, rows: Rows) -> None:
    check(pathdb, PRODUCTS, product_model, rows)


@SETTINGS
@given(rows=shop())
def test_typed_values_in_a_list_through_a_join_and_a_to_one_value(pathdb: PathDB, rows: Rows) -> None:
    check(pathdb, ORDERS, order_model, rows)


@SETTINGS
@given(rows=shop())
def test_calculation_with_operands_from_joined_rows(pathdb: PathDB, rows: Rows) -> None:
    check(pathdb, LINES, line_model, rows)


@SETTINGS
@given(rows=shop())
def test_self_joins_named_rows_and_a_step_back_to_a_table_on_the_path(pathdb: PathDB, rows: Rows) -> None:
    check(pathdb, STAFF, staff_model, rows)


def test_booleans_stay_booleans_and_decimals_stay_exact(pathdb: PathDB) -> None:
    """A user's finding: a BOOLEAN inside a JSON construction became the number 1."""
    rows = {name: [] for name in TABLES}
    rows["products"] = [{"id": 1, "name": "a", "delivery_days": 2, "price": Decimal("1.10"), "active": 1,
                         "attrs": '{"x": 0.1}'}]
    rows["orders"] = [{"id": 1, "customer_id": None, "ordered_at": None}]
    rows["order_lines"] = [{"id": 1, "order_id": 1, "product_id": 1, "qty": 3, "price": Decimal("0.10")}]
    pathdb.load(rows)
    text = pathdb.view(ORDERS)[1]["lines"]
    assert '"active": true' in text and '"price": 0.10' in text and '"attrs": {"x": 0.1}' in text, text


def test_grouped_and_correlated_shapes(pathdb: PathDB) -> None:
    """Aggregates keyed on the entity's columns read a grouped derived table (measured faster by
    benchmarks/path_shapes.py), shared by the aggregates over the same rows; one whose first step
    has any other condition is a correlated subquery."""
    sql, _ = pathdb.compile(PRODUCTS)
    assert sql is not None
    # times_ordered and revenue read the same rows: one derived table with two columns; customers_since
    # reads through orders with a filter: its own; the MAX's first step is not keyed on the entity
    assert sql.count("GROUP BY") == 2
    assert "AS `v1`" in sql and "MAX(`" in sql


# =============================================================================== findings and their advice


def errors_of(db: PathDB, attribute: dict[str, Any]) -> list[Finding]:
    _, findings = db.compile(table("PathStaff", "staff", [attr("id", "N", "staff"), attribute]))
    return [f for f in findings if f.severity is Severity.ERROR]


def test_a_self_referencing_key_is_never_guessed_and_its_advice_compiles(pathdb: PathDB) -> None:
    path: dict[str, Any] = {"steps": [{"table": "staff", "as": "boss"}], "value": "boss.name"}
    [error] = errors_of(pathdb, attr("manager", "S", "staff", path))
    assert error.code == "path.foreign_key" and error.fix is not None
    forms = [part.split('"')[1] for part in error.fix.split("; or ")]
    assert sorted(forms) == ["boss.manager_id = staff.id", "staff.manager_id = boss.id"]
    for form in forms:       # each form the advice offers, written in, compiles
        path["steps"][0]["on"] = form
        assert errors_of(pathdb, attr("manager", "S", "staff", path)) == []


def test_an_unconstrained_step_is_refused_and_its_advice_compiles(pathdb: PathDB) -> None:
    path: dict[str, Any] = {"steps": [{"table": "order_lines", "as": "line", "on": "line.qty > 0"}],
                            "aggregate": {"function": "COUNT"}}
    doc = table("PathOrders", "orders", [attr("id", "N", "orders"), attr("n", "N", "orders", path)])
    _, findings = pathdb.compile(doc)
    [error] = [f for f in findings if f.severity is Severity.ERROR]
    assert error.code == "path.unconstrained" and error.fix is not None and error.path.endswith("steps[0].on")
    path["steps"][0]["on"] = error.fix.split('"')[3]
    _, findings = pathdb.compile(doc)
    assert [f for f in findings if f.severity is Severity.ERROR] == []


def test_a_value_path_that_meets_several_rows_is_caught_by_the_row_count_invariant(pathdb: PathDB) -> None:
    """The one place a path could multiply rows: the plan counts after each step (compile/rowcount.py)."""
    from migrator.compile.rowcount import row_count
    from migrator.compile.views import compile_view
    from migrator.compile.view_core import Entity

    doc = table("PathOrders", "orders", [attr("id", "N", "orders"), attr("a_line", "N", "orders", {
        "steps": [{"table": "order_lines", "as": "line", "on": "line.order_id = orders.id"}], "value": "line.qty"})])
    built, _ = model(doc)
    spec, _ = compile_view(Entity("table PathOrders", "orders", built.attributes, "$.tables[0]"), "v_orders",
                           "PathOrders", pathdb.schema, pathdb.server)
    assert spec is not None
    rows = {name: [] for name in TABLES}
    rows["orders"] = [{"id": 1, "customer_id": None, "ordered_at": None}]
    rows["order_lines"] = [{"id": i, "order_id": 1, "product_id": None, "qty": i, "price": None} for i in (1, 2)]
    pathdb.load(rows)
    counts = row_count(spec, "table PathOrders", "$.tables[0]")
    with pathdb.conn.cursor() as cur:
        cur.execute(counts.counts_sql)
        assert cur.fetchone() == (1, 2)
        [step] = counts.steps
        assert step.path.endswith(".path.steps[0]")
        cur.execute(step.count_sql)
        assert cur.fetchone() == (2,)


@pytest.mark.parametrize("flavour", ["mariadb", "mysql8"])
def test_path_views_parse_as_mysql_and_mysql8_has_no_ordered_arrayagg(pathdb: PathDB, flavour: str) -> None:
    """MySQL 8 is not available here: its variant (numbered rows and GROUP_CONCAT for ordered lists,
    outer references in a derived table, MySQL >= 8.0.14) is compiled and parsed, never run."""
    import sqlglot
    from sqlglot import exp

    from tests.patterns.test_sql_parses import MYSQL8_MODE, _arrayagg_with_order

    if flavour == "mysql8":
        pathdb.server = ServerInfo("8.0.36", "mysql", (8, 0, 36), MYSQL8_MODE, True, "+00:00", "db", "u@%")
    for doc in (PRODUCTS, ORDERS, LINES, STAFF):
        sql, findings = pathdb.compile(doc)
        assert sql is not None, [f.sentence() for f in findings]
        tree = sqlglot.parse_one(sql, read="mysql")
        assert isinstance(tree, exp.Select)
        ordered = _arrayagg_with_order(tree)
        assert bool(ordered) == (flavour == "mariadb" and doc is not LINES), ordered


def test_a_function_only_the_other_server_has_is_refused_at_plan_time(pathdb: PathDB) -> None:
    """NATURAL_SORT_KEY is MariaDB's: it compiles for MariaDB and is refused, with the server named, for MySQL 8."""
    from tests.patterns.test_sql_parses import MYSQL8_MODE

    doc = table("PathProducts", "products", [attr("id", "N", "products"), attr("sort", "L", "products", {
        "steps": [{"table": "product_tags"}, {"table": "tags"}],
        "collect": {"type": "list", "values": "tags.name", "order_by": "NATURAL_SORT_KEY(tags.name)"}})])
    _, findings = pathdb.compile(doc)
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    pathdb.server = ServerInfo("8.0.36", "mysql", (8, 0, 36), MYSQL8_MODE, True, "+00:00", "db", "u@%")
    _, findings = pathdb.compile(doc)
    [error] = [f for f in findings if f.severity is Severity.ERROR]
    assert error.code == "sql.function_server" and "only MariaDB has" in error.message and "8.0.36" in error.message
