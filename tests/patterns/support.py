"""Shared machinery of the pattern tests: the MySQL tables, row strategies, contract helpers,
and `PatternDB`, which loads rows, compiles a contract table's view, creates it with root
pymysql and compares what the view returns with `reference.expected_rows`.
"""

from __future__ import annotations

import datetime as dt
import os
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from migrator.compile.contract import entity_plans
from migrator.compile.names import view_name
from migrator.compile.views import ViewSpec, compile_view
from migrator.contract.typed import build_contract
from migrator.contract.document import check_contract
from migrator.contract.model import Table
from migrator.findings import Finding, Severity
from migrator.mysql_schema import schema_from_doc, server_info_from_doc
from migrator.mysql_schema import SchemaInfo, ServerInfo
from migrator.servers.mysql import MySQLTools, Settings
from tests.patterns.reference import SourceTable, expected_rows, sql_literal

# =============================================================================== tables

# name -> (DDL, {column: kind}, primary key, {decimal column: scale})
TABLES: dict[str, tuple[str, dict[str, str], tuple[str, ...], dict[str, int]]] = {
    "customers": (
        "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64) NULL, email VARCHAR(64) NULL, tier INT NULL, "
        "country VARCHAR(8) NULL, region_code INT NULL, created DATETIME(6) NULL, born DATE NULL, "
        "balance DECIMAL(12,4) NULL, signup_epoch BIGINT NULL, signup_ms BIGINT NULL, prefs TEXT NULL)",
        {"id": "int", "name": "text", "email": "text", "tier": "int", "country": "text", "region_code": "int",
         "created": "datetime", "born": "date", "balance": "decimal", "signup_epoch": "int", "signup_ms": "int",
         "prefs": "text"}, ("id",), {"balance": 4}),
    "orders": (
        "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NULL, billing_address_id INT NULL, "
        "shipping_address_id INT NULL, status_code INT NULL, kind INT NULL, amount DECIMAL(10,2) NULL, qty INT NULL, "
        "status VARCHAR(16) NULL, note VARCHAR(64) NULL, created DATETIME NULL, shipped DATETIME NULL, due DATE NULL, "
        "delay_days INT NULL)",
        {"id": "int", "customer_id": "int", "billing_address_id": "int", "shipping_address_id": "int",
         "status_code": "int", "kind": "int", "amount": "decimal", "qty": "int", "status": "text", "note": "text",
         "created": "datetime", "shipped": "datetime", "due": "date", "delay_days": "int"}, ("id",), {"amount": 2}),
    "addresses": (
        "CREATE TABLE addresses (id INT PRIMARY KEY, city VARCHAR(64) NULL, street VARCHAR(64) NULL)",
        {"id": "int", "city": "text", "street": "text"}, ("id",), {}),
    "order_statuses": (
        "CREATE TABLE order_statuses (code INT PRIMARY KEY, label VARCHAR(64) NULL)",
        {"code": "int", "label": "text"}, ("code",), {}),
    "order_items": (
        "CREATE TABLE order_items (id INT PRIMARY KEY, order_id INT NULL, product_id INT NULL, qty INT NULL, "
        "price DECIMAL(10,2) NULL, added DATETIME(6) NULL, label VARCHAR(64) NULL, rank_no INT NULL)",
        {"id": "int", "order_id": "int", "product_id": "int", "qty": "int", "price": "decimal", "added": "datetime",
         "label": "text", "rank_no": "int"}, ("id",), {"price": 2}),
    "products": (
        "CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(64) NULL, category_id INT NULL, "
        "price DECIMAL(10,2) NULL)",
        {"id": "int", "name": "text", "category_id": "int", "price": "decimal"}, ("id",), {"price": 2}),
    "categories": (
        "CREATE TABLE categories (id INT PRIMARY KEY, name VARCHAR(64) NULL, parent_id INT NULL, "
        "department_id INT NULL)",
        {"id": "int", "name": "text", "parent_id": "int", "department_id": "int"}, ("id",), {}),
    "departments": (
        "CREATE TABLE departments (id INT PRIMARY KEY, name VARCHAR(64) NULL)",
        {"id": "int", "name": "text"}, ("id",), {}),
    "regions": (
        "CREATE TABLE regions (country VARCHAR(8) NOT NULL, code INT NOT NULL, name VARCHAR(64) NULL, "
        "PRIMARY KEY (country, code))",
        {"country": "text", "code": "int", "name": "text"}, ("country", "code"), {}),
    "employees": (
        "CREATE TABLE employees (id INT PRIMARY KEY, name VARCHAR(64) NULL, manager_id INT NULL, mentor_id INT NULL, "
        "salary DECIMAL(10,2) NULL)",
        {"id": "int", "name": "text", "manager_id": "int", "mentor_id": "int", "salary": "decimal"}, ("id",),
        {"salary": 2}),
}

# =============================================================================== strategies

#: hypothesis settings of every pattern test. Failing examples are shrunk (without the slow `explain`
#: phase); PATTERN_TESTS_NO_SHRINK=1 skips shrinking too, for quick runs while the compiler changes.
_NO_SHRINK = os.environ.get("PATTERN_TESTS_NO_SHRINK") == "1"
SETTINGS = settings(
    max_examples=20, deadline=None, report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[p for p in Phase if p is not Phase.explain and not (_NO_SHRINK and p is Phase.shrink)])

CHARS = ["a", "Z", "0", " ", "é", "ß", "汉", "字", "🚀", "😀", "'", '"', "\\", ",", ";", "%", "_", "{", "}", "#",
         "\n"]
TEXT = st.text(alphabet=st.sampled_from(CHARS), max_size=6)
NTEXT = st.none() | TEXT
MAX_ROWS = 15


def _zero(d: Decimal) -> Decimal:
    return abs(d) if d == 0 else d


def decimals(places: int, bound: int = 9999) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=-bound, max_value=bound, places=places, allow_nan=False,
                       allow_infinity=False).map(_zero)


def ndecimals(places: int, bound: int = 9999) -> st.SearchStrategy[Decimal | None]:
    return st.none() | decimals(places, bound)


DATETIME = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2035, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
DATETIME6 = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2035, 12, 31))
#: few distinct values, so that order_by sees ties
TIE_DATETIME6 = st.sampled_from([dt.datetime(2024, 4, 2, 15, 30, 45, 123456), dt.datetime(2024, 4, 2, 15, 30, 45),
                                 dt.datetime(1999, 12, 31, 23, 59, 59, 999999)])
DATE = st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2035, 12, 31))
#: month ends and leap days make month arithmetic interesting
EDGE_DATETIME = st.sampled_from([dt.datetime(2024, 1, 31, 10, 0, 0), dt.datetime(2024, 2, 29, 9, 0, 0),
                                 dt.datetime(2023, 12, 31, 23, 59, 59), dt.datetime(2024, 3, 31, 0, 0, 0)])
IDS = st.lists(st.integers(1, 20), unique=True, max_size=MAX_ROWS)
FK = st.none() | st.integers(1, 23)          # 21..23 never exist: dangling
#: few ids, so that related rows meet often (several items per order, children per category)
FEW_IDS = st.lists(st.integers(1, 6), unique=True, max_size=6)


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def ref_to(ids: Sequence[Any]) -> st.SearchStrategy[Any]:
    """A foreign key into `ids`: mostly an existing id, else NULL or dangling."""
    return st.one_of(st.sampled_from(list(ids)), st.sampled_from(list(ids)), FK) if ids else FK


def keys(rows: Sequence[Mapping[str, Any]], key: str = "id") -> list[Any]:
    return [r[key] for r in rows]


@st.composite
def rows_of(draw: st.DrawFn, fields: Mapping[str, st.SearchStrategy[Any]], key: str = "id",
            ids: st.SearchStrategy[list[Any]] = IDS, self_refs: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows with unique `key`s; `self_refs` columns point at this table's own rows (or nowhere)."""
    drawn = draw(ids)
    every = {**fields, **{name: ref_to(drawn) for name in self_refs}}
    return [{key: k, **{name: draw(s) for name, s in every.items()}} for k in drawn]


Rows = st.SearchStrategy[list[dict[str, Any]]]


def customers(ids: st.SearchStrategy[list[Any]] = IDS, **over: st.SearchStrategy[Any]) -> Rows:
    fields = {"name": NTEXT, "email": NTEXT, "tier": nullable(st.integers(-3, 3)),
              "country": nullable(st.sampled_from(["aa", "bb"])), "region_code": nullable(st.integers(1, 3)),
              "created": nullable(DATETIME6 | TIE_DATETIME6), "born": nullable(DATE),
              "balance": ndecimals(4, 99), "signup_epoch": nullable(st.integers(0, 2_000_000_000)),
              "signup_ms": nullable(st.integers(0, 2_000_000_000_999)), "prefs": st.none()}
    return rows_of({**fields, **over}, ids=ids)


def orders(ids: st.SearchStrategy[list[Any]] = IDS, **over: st.SearchStrategy[Any]) -> Rows:
    fields = {"customer_id": FK, "billing_address_id": FK, "shipping_address_id": FK, "status_code": FK,
              "kind": nullable(st.integers(0, 2)), "amount": ndecimals(2, 500), "qty": nullable(st.integers(-5, 5)),
              "status": nullable(st.sampled_from(["paid", "open", "void"])), "note": NTEXT,
              "created": nullable(DATETIME | EDGE_DATETIME), "shipped": nullable(DATETIME | EDGE_DATETIME),
              "due": nullable(DATE), "delay_days": nullable(st.integers(-40, 40))}
    return rows_of({**fields, **over}, ids=ids)


def addresses(**over: st.SearchStrategy[Any]) -> Rows:
    return rows_of({"city": NTEXT, "street": NTEXT, **over})


def statuses(**over: st.SearchStrategy[Any]) -> Rows:
    return rows_of({"label": NTEXT, **over}, key="code")


def order_items(ids: st.SearchStrategy[list[Any]] = IDS, **over: st.SearchStrategy[Any]) -> Rows:
    fields = {"order_id": FK, "product_id": FK, "qty": nullable(st.integers(0, 2)), "price": ndecimals(2, 100),
              "added": nullable(TIE_DATETIME6 | DATETIME6), "label": NTEXT, "rank_no": nullable(st.integers(0, 2))}
    return rows_of({**fields, **over}, ids=ids)


def products(**over: st.SearchStrategy[Any]) -> Rows:
    return rows_of({"name": NTEXT, "category_id": FK, "price": ndecimals(2, 100), **over})


def categories(**over: st.SearchStrategy[Any]) -> Rows:
    return rows_of({"name": NTEXT, "department_id": FK, **over}, self_refs=("parent_id",))


def departments(**over: st.SearchStrategy[Any]) -> Rows:
    return rows_of({"name": NTEXT, **over})


def employees(**over: st.SearchStrategy[Any]) -> Rows:
    return rows_of({"name": NTEXT, "salary": ndecimals(2, 1000), **over}, self_refs=("manager_id", "mentor_id"))


REGIONS = st.lists(st.tuples(st.sampled_from(["aa", "bb", "cc"]), st.integers(1, 4)), unique=True,
                   max_size=MAX_ROWS).flatmap(
    lambda pairs: st.tuples(*[NTEXT for _ in pairs]).map(
        lambda names: [{"country": c, "code": k, "name": n} for (c, k), n in zip(pairs, names)]))

# =============================================================================== contracts


def attr(name: str, kind: str, source_table: str, source_column: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": source_table, "source_column": source_column, **extra}


def single(name: str, source: str, attributes: list[dict[str, Any]], pk: str = "id",
           sk: str | None = None) -> dict[str, Any]:
    table = {"table": name, "type": "single-entity", "source_table": source, "pk": pk, "attributes": attributes,
             "satisfies": ["AP1"], "estimated_item_size_bytes": 200}
    if sk is not None:
        table["sk"] = sk
    return table


def lit(text: str) -> str:
    """A SQL string literal for a fragment."""
    return sql_literal(text)


def model(table_doc: Mapping[str, Any]) -> tuple[Table, list[Finding]]:
    """The typed table of a one-table contract; the contract must have no ERROR finding."""
    doc = json.loads(json.dumps({"tables": [table_doc]}))
    findings = check_contract(doc)
    errors = [f.sentence() for f in findings if f.severity is Severity.ERROR]
    assert not errors, f"the test's contract is invalid: {errors}"
    return build_contract(doc, "pattern-test").tables[0], findings


def entity_views(table: Table, schema: SchemaInfo, server: ServerInfo
                 ) -> list[tuple[str | None, str, ViewSpec | None, list[Finding]]]:
    """(entity type, view name, spec, findings) of every view of a contract table, compiled the way
    `compile_contract` does (one `Entity` per view from `entity_plans`)."""
    out = []
    for plan in entity_plans(table):
        name = view_name(table.name, plan.entity_type)
        spec, findings = compile_view(plan.entity, name, table.name, schema, server, plan.entity_type)
        out.append((plan.entity_type, name, spec, list(findings)))
    return out


# =============================================================================== comparison

def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return ("obj", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("arr", tuple(_freeze(v) for v in value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, Decimal)):
        return ("num", Decimal(value).normalize())
    return ("str", value)


def canonical(value: Any, kind: str, is_json: bool) -> Any:
    """How one cell is compared: N numerically, JSON parsed, everything else exactly."""
    if value is None:
        return None
    assert not isinstance(value, float), f"the view returned a float ({value!r}); numbers must stay exact"
    if is_json:
        text = value.decode() if isinstance(value, bytes) else value
        try:
            return ("json", _freeze(json.loads(text, parse_float=Decimal)))
        except (TypeError, ValueError):
            return ("not-json", text)
    if kind == "N":
        try:
            return ("num", Decimal(str(value)).normalize())
        except ArithmeticError:
            return ("not-a-number", repr(value))
    if isinstance(value, bytes):
        return ("bytes", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, bool):
        return ("num", str(int(value)))
    if isinstance(value, (int, Decimal)):
        return ("num", str(value))
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    return (type(value).__name__, repr(value))


def _attribute_kinds(table_doc: Mapping[str, Any], entity_type: str | None) -> tuple[dict[str, str], set[str]]:
    if table_doc["type"] == "multi-entity":
        entity = next(e for e in table_doc["entities"] if e["entity_type"] == entity_type)
        attrs = entity["attributes"]
        kinds = {k: "S" for k in (table_doc.get("pk"), table_doc.get("sk")) if k}
    else:
        attrs, kinds = table_doc["attributes"], {}
    kinds.update({a["name"]: a["type"] for a in attrs})
    json_attrs = {a["name"] for a in attrs if (a.get("join") or {}).get("type") == "json-construction"}
    return kinds, json_attrs


def compare(actual: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]], kinds: Mapping[str, str],
            json_attrs: set[str], context: str) -> None:
    """The view's rows equal the expected rows as multisets (see `canonical` for how cells compare)."""
    def key(row: Mapping[str, Any]) -> tuple:
        return tuple(sorted((k, canonical(v, kinds.get(k, "S"), k in json_attrs)) for k, v in row.items()))

    got, want = Counter(key(r) for r in actual), Counter(key(r) for r in expected)
    if got == want:
        return
    missing, extra = want - got, got - want

    def show(rows: Sequence[Mapping[str, Any]], keep: Counter) -> str:
        picked = [r for r in rows if keep[key(r)] > 0 and not keep.subtract([key(r)])]  # type: ignore[func-returns-value]
        return "\n".join("  " + repr(dict(r)) for r in picked[:6])

    raise AssertionError(f"view rows differ from the reference ({len(actual)} vs {len(expected)} rows)\n"
                         f"expected but missing ({sum(missing.values())}):\n{show(expected, Counter(missing))}\n"
                         f"returned but not expected ({sum(extra.values())}):\n{show(actual, Counter(extra))}\n"
                         f"{context}")


# =============================================================================== the database

class PatternDB:
    """One fresh database holding every pattern table; rows replaced per hypothesis example."""

    def __init__(self, sandbox: Any, database: str) -> None:
        self.database = database
        self.conn = pymysql.connect(unix_socket=str(sandbox.mariadb.socket), user="root", database=database,
                                    autocommit=True, charset="utf8mb4", init_command="SET time_zone='+00:00'")
        with self.conn.cursor() as cur:
            for ddl, *_ in TABLES.values():
                cur.execute(ddl)
        env = sandbox.mysql_env()
        tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                    password=env["MYSQL_PASSWORD"], database=database, read_only=False,
                                    connect_timeout=10))
        self.schema_doc = tools.describe_schema()
        self.schema = schema_from_doc(self.schema_doc)
        d = tools.server_info()
        self.server = server_info_from_doc(d)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self._filled: set[str] = set()
        self._compiled: dict[str, list[tuple[str | None, str, ViewSpec | None, list[Finding]]]] = {}
        self._views: dict[str, str] = {}

    def close(self) -> None:
        self.conn.close()

    def load(self, rows: Mapping[str, list[dict[str, Any]]]) -> None:
        """Every pattern table emptied, then `rows` inserted (tables not named stay empty)."""
        unknown = set(rows) - set(TABLES)
        assert not unknown, unknown
        with self.conn.cursor() as cur:
            for name in sorted(self._filled):
                cur.execute(f"DELETE FROM `{name}`")
            self._filled.clear()
            for name, table_rows in rows.items():
                if not table_rows:
                    continue
                self._filled.add(name)
                cols = list(table_rows[0])
                sql = (f"INSERT INTO `{name}` ({', '.join(f'`{c}`' for c in cols)}) "
                       f"VALUES ({', '.join(['%s'] * len(cols))})")
                cur.executemany(sql, [tuple(r[c] for c in cols) for r in table_rows])
        self.rows = {name: list(rows.get(name, [])) for name in TABLES}

    def sources(self) -> dict[str, SourceTable]:
        return {name: SourceTable(name, dict(kinds), pk, list(self.rows.get(name, [])), dict(scales))
                for name, (_, kinds, pk, scales) in TABLES.items()}

    def read_view(self, name: str, select_sql: str) -> tuple[list[str], list[dict[str, Any]]]:
        with self.conn.cursor() as cur:
            if self._views.get(name) != select_sql:   # the same view is not recreated for every example
                cur.execute(f"CREATE OR REPLACE VIEW `{name}` AS {select_sql}")
                self._views[name] = select_sql
            cur.execute(f"SELECT * FROM `{name}`")
            names = [d[0] for d in cur.description]
            return names, [dict(zip(names, row)) for row in cur.fetchall()]

    def check(self, table_doc: Mapping[str, Any], rows: Mapping[str, list[dict[str, Any]]] | None = None
              ) -> list[Finding]:
        """Load `rows` (when given), compile every view of `table_doc`, and compare each with the reference;
        the compile findings of all its views."""
        if rows is not None:
            self.load(rows)
        key = json.dumps(table_doc, sort_keys=True)
        if key not in self._compiled:
            table, _ = model(table_doc)
            self._compiled[key] = entity_views(table, self.schema, self.server)
        every: list[Finding] = []
        for entity_type, name, spec, findings in self._compiled[key]:
            every += findings
            errors = [f.sentence() for f in findings if f.severity is Severity.ERROR]
            assert spec is not None and not errors, f"compile_view refused {name}: {errors}"
            columns, actual = self.read_view(name, spec.select_sql)
            expected = expected_rows(self.sources(), table_doc, entity_type)
            kinds, json_attrs = _attribute_kinds(table_doc, entity_type)
            want_columns = list(kinds) if entity_type is None else None
            context = f"view {name}:\n{spec.select_sql}\ncontract table:\n{json.dumps(table_doc, ensure_ascii=False)}"
            if want_columns is not None:
                assert columns == want_columns, f"view columns {columns} != attributes {want_columns}\n{context}"
            else:
                assert sorted(columns) == sorted(kinds), f"view columns {columns} != item attributes {sorted(kinds)}"
            compare(actual, expected, kinds, json_attrs, context)
        return every


def dump_schema(db: PatternDB, path: Path) -> None:
    path.write_text(json.dumps(db.schema_doc, default=str))
