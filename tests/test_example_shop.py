"""examples/shop: the schema loads on the real sandbox MariaDB, the seed data is deterministic and
keeps its edge cases, and contract.json matches the live schema and the data (keys never NULL,
never duplicated, joins on primary keys so they never multiply rows).

Nothing is mocked: the rows go through pymysql into the session sandbox.
"""

from __future__ import annotations

import json
import os
import re
import string
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pymysql
import pymysql.cursors
import pytest

from migrator.sandbox import lifecycle
from tests.conftest import REPO, root_connection
from tests.helpers import example_module

SHOP = REPO / "examples" / "shop"
CONTRACT = SHOP / "contract.json"
PUBLIC_SCHEMA = REPO / "migrator" / "contract" / "migration_contract.schema.json"
JSON_COLUMNS = {("customers", "preferences"), ("products", "tags")}
NUMERIC_TYPES = {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal"}
TEXT_TYPES = {"char", "varchar", "text", "mediumtext", "longtext", "tinytext"}
TEMPORAL_TYPES = {"date", "datetime", "timestamp"}
JOIN_CONDITION = re.compile(r"^\s*(\w+)\.(\w+)\s*=\s*(\w+)\.(\w+)\s*$")
SELECT_COLUMN = re.compile(r"^\s*(\w+)\.(\w+)\s*$")


seed = example_module(SHOP / "seed.py", "examples_shop_seed")


def _contract() -> dict[str, Any]:
    return json.loads(CONTRACT.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def shop_db(sandbox: lifecycle.SandboxRecord) -> Iterator[tuple[str, dict[str, int], float]]:
    """A fresh database holding the default-scale example (loaded once for this module)."""
    name = f"shop_{uuid.uuid4().hex[:10]}"
    admin = root_connection(sandbox)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn = root_connection(sandbox, name)
    try:
        rows = seed.generate()
        began = time.monotonic()
        counts = seed.load(conn, rows)
        elapsed = time.monotonic() - began
        yield name, counts, elapsed
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def db(sandbox: lifecycle.SandboxRecord, shop_db: tuple[str, dict[str, int], float]) -> Iterator[Any]:
    conn = root_connection(sandbox, shop_db[0])
    try:
        yield conn
    finally:
        conn.close()


def _scalar(conn: Any, sql: str, args: Any = None) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def _dicts(conn: Any, sql: str, args: Any = None) -> list[dict[str, Any]]:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def _columns(conn: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """table -> column -> information_schema facts, read from the running database."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in _dicts(conn, "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS data_type, "
                            "COLUMN_TYPE AS column_type, IS_NULLABLE AS nullable, COLUMN_KEY AS col_key "
                            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"):
        out.setdefault(row["t"], {})[row["c"]] = row
    return out


# ------------------------------------------------------------------------------ generation

def test_generate_is_pure_and_deterministic() -> None:
    first, second = seed.generate(), seed.generate()
    assert first == second
    assert seed.fingerprint(first) == seed.fingerprint(second)
    assert [repr(r) for r in first["orders"]] == [repr(r) for r in second["orders"]]  # byte-identical, not just ==
    other = seed.generate(seed=7)
    assert seed.fingerprint(other) != seed.fingerprint(first)
    assert seed.generate(1, 7) == other
    for table in seed.TABLES:
        assert all(len(row) == len(seed.COLUMNS[table]) for row in first[table]), table


def test_fingerprint_is_stable_across_processes_and_hash_seeds() -> None:
    outputs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, str(SHOP / "seed.py"), "--dry-run"], capture_output=True, text=True,
                              env=env, timeout=60, cwd=REPO)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert f"fingerprint  {seed.fingerprint(seed.generate())}" in outputs[0]


def test_default_scale_has_the_documented_size() -> None:
    counts = {table: len(rows) for table, rows in seed.generate().items()}
    assert counts["customers"] == 200 and counts["products"] == 50 and counts["orders"] == 500
    assert 1300 <= counts["order_items"] <= 1700
    assert counts["addresses"] >= 200 and counts["reviews"] >= 100 and counts["categories"] >= 10
    doubled = {table: len(rows) for table, rows in seed.generate(scale=2).items()}
    assert doubled["customers"] == 400 and doubled["orders"] == 1000
    with pytest.raises(ValueError):
        seed.generate(scale=0)


# ------------------------------------------------------------------------------ loading

def test_load_counts_equal_generated_and_is_fast(shop_db: tuple[str, dict[str, int], float]) -> None:
    _, counts, elapsed = shop_db
    rows = seed.generate()
    assert counts == {table: len(rows[table]) for table in seed.TABLES}
    assert elapsed < 3.0  # measured ~0.15 s on the sandbox


def test_rows_read_back_equal_generated(db: Any) -> None:
    """Unicode, quotes, backslashes, NULL vs '' vs 'null', cents: all survive the round trip."""
    rows = seed.generate()
    for table in seed.TABLES:
        columns = seed.COLUMNS[table]
        with db.cursor() as cur:
            cur.execute(f"SELECT {', '.join(f'`{c}`' for c in columns)} FROM `{table}` ORDER BY id")
            stored = [tuple(r) for r in cur.fetchall()]
        json_at = [i for i, c in enumerate(columns) if (table, c) in JSON_COLUMNS]

        def norm(row: tuple[Any, ...], json_at: list[int] = json_at) -> tuple[Any, ...]:
            # MySQL 8.0 re-serialises JSON documents: compare JSON values, not text.
            return tuple(json.loads(v) if i in json_at and v is not None else v for i, v in enumerate(row))

        assert [norm(r) for r in stored] == [norm(r) for r in rows[table]], table


def test_reload_drops_only_the_example_tables(db: Any) -> None:
    with db.cursor() as cur:
        cur.execute("CREATE TABLE bystander (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO bystander VALUES (1)")
    try:
        counts = seed.load(db, seed.generate())
        assert counts["orders"] == 500
        assert _scalar(db, "SELECT COUNT(*) FROM bystander") == 1
    finally:
        with db.cursor() as cur:
            cur.execute("DROP TABLE bystander")


def test_cli_loads_into_a_sandbox_database(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`seed.py --sandbox DIR` connects as the sandbox's user with the recorded password."""
    code = seed.main(["--sandbox", sandbox.root, "--database", mysql_db, "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    expected = {table: len(rows) for table, rows in seed.generate(seed=3).items()}
    for table, n in expected.items():
        assert re.search(rf"^{table}\s+{n}$", out, re.M), (table, out)
    conn = root_connection(sandbox, mysql_db)
    try:
        assert _scalar(conn, "SELECT COUNT(*) FROM order_items") == expected["order_items"]
    finally:
        conn.close()


def test_cli_without_a_sandbox_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert seed.main(["--sandbox", str(tmp_path / "none")]) == 2
    assert "migrator sandbox up" in capsys.readouterr().err


# ------------------------------------------------------------------------------ integrity and edge cases

def test_schema_has_related_tables_and_every_foreign_key_holds(db: Any) -> None:
    fks = _dicts(db, "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, REFERENCED_TABLE_NAME AS rt, "
                     "REFERENCED_COLUMN_NAME AS rc FROM information_schema.KEY_COLUMN_USAGE "
                     "WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL")
    assert len({fk["t"] for fk in fks} | {fk["rt"] for fk in fks}) >= 5
    assert len(fks) >= 9
    engines = _dicts(db, "SELECT TABLE_NAME AS t, ENGINE AS e, TABLE_COLLATION AS coll FROM information_schema.TABLES "
                         "WHERE TABLE_SCHEMA = DATABASE()")
    assert {e["t"] for e in engines} == set(seed.TABLES)
    assert all(e["e"] == "InnoDB" and e["coll"].startswith("utf8mb4") for e in engines)
    for fk in fks:
        orphans = _scalar(db, f"SELECT COUNT(*) FROM `{fk['t']}` child LEFT JOIN `{fk['rt']}` parent "
                              f"ON parent.`{fk['rc']}` = child.`{fk['c']}` "
                              f"WHERE child.`{fk['c']}` IS NOT NULL AND parent.`{fk['rc']}` IS NULL")
        assert orphans == 0, fk


def test_edge_cases_are_in_the_data(db: Any) -> None:
    # optional foreign keys that find no partner in a LEFT JOIN
    assert _scalar(db, "SELECT COUNT(*) FROM orders o LEFT JOIN addresses a ON a.id = o.shipping_address_id "
                       "WHERE a.id IS NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM orders WHERE coupon_id IS NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM orders WHERE coupon_id IS NOT NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM reviews WHERE customer_id IS NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM categories WHERE parent_id IS NULL") > 0
    # an order without items, a customer without addresses
    assert _scalar(db, "SELECT COUNT(*) FROM orders o LEFT JOIN order_items i ON i.order_id = o.id "
                       "WHERE i.id IS NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM customers c LEFT JOIN addresses a ON a.customer_id = c.id "
                       "WHERE a.id IS NULL") > 0
    # NULL, empty string and the text 'null' are three different things
    assert _scalar(db, "SELECT COUNT(*) FROM customers WHERE last_name IS NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM customers WHERE last_name = ''") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM customers WHERE phone = ''") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM orders WHERE notes = 'null'") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM products WHERE description = ''") > 0
    # JSON: NULL, empty object, empty array
    assert _scalar(db, "SELECT COUNT(*) FROM customers WHERE preferences IS NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM customers WHERE JSON_LENGTH(preferences) = 0") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM products WHERE JSON_LENGTH(tags) = 0") > 0
    # money with cents, round money, zero
    prices = [r["price"] for r in _dicts(db, "SELECT price FROM products")]
    assert any(p % 1 != 0 for p in prices) and any(p == Decimal("0.00") for p in prices)
    assert any(p % 1 == 0 and p > 0 for p in prices)
    # unicode: accents, CJK, Arabic, emoji; quotes, commas, backslashes, newlines
    names = [r["first_name"] + " " + (r["last_name"] or "") for r in _dicts(db, "SELECT first_name, last_name "
                                                                                "FROM customers")]
    assert any("ë" in n for n in names) and any("芳" in n for n in names) and any("محمد" in n for n in names)
    assert any(any(ord(ch) >= 0x1F000 for ch in n) for n in names)  # emoji, 4-byte utf8mb4
    assert any("'" in n for n in names) and any("," in n for n in names) and any('"' in n for n in names)
    product_names = [r["name"] for r in _dicts(db, "SELECT name FROM products")]
    assert 'Widget "Pro", 2-pack' in product_names and "The Book of \\Backslashes\\" in product_names
    assert _scalar(db, "SELECT COUNT(*) FROM reviews WHERE body LIKE %s", ("%\n%",)) > 0
    # money adds up
    assert _scalar(db, "SELECT COUNT(*) FROM orders WHERE total <> subtotal - discount + shipping_fee") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM orders o WHERE subtotal <> (SELECT COALESCE(SUM(line_total), 0) "
                       "FROM order_items i WHERE i.order_id = o.id)") == 0


# ------------------------------------------------------------------------------ the contract

def test_contract_follows_the_public_schema() -> None:
    doc = _contract()
    jsonschema.validate(doc, json.loads(PUBLIC_SCHEMA.read_text()))
    assert len(doc["tables"]) >= 3
    for table in doc["tables"]:
        assert table["type"] == "single-entity"
        assert table["satisfies"] and table["estimated_item_size_bytes"] > 0
        for attr in table["attributes"]:
            # only what the walking skeleton compiles
            assert "calculation" not in attr, attr["name"]
            assert attr.get("join", {"type": "foreign-key"})["type"] == "foreign-key", attr["name"]
            assert attr.get("transformation", {"type": "string-format"})["type"] == "string-format", attr["name"]


def _placeholders(fmt: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(fmt) if name]


def test_contract_matches_the_live_schema(db: Any) -> None:
    columns = _columns(db)
    for t_index, table in enumerate(_contract()["tables"]):
        where = f"$.tables[{t_index}]"
        source = table["source_table"]
        assert source in columns, where
        attrs = {a["name"]: a for a in table["attributes"]}
        assert len(attrs) == len(table["attributes"]), f"{where}: duplicate attribute names"
        for a_index, attr in enumerate(table["attributes"]):
            at = f"{where}.attributes[{a_index}] ({attr['name']})"
            assert attr["source_table"] == source, at
            assert attr["source_column"] in columns[source], at
            value_table, value_column = source, attr["source_column"]
            if "join" in attr:
                join = attr["join"]
                target = join["target_table"]
                assert target in columns and target != source, at
                left_t, left_c, right_t, right_c = JOIN_CONDITION.match(join["join_condition"]).groups()  # type: ignore[union-attr]
                assert {left_t, right_t} == {target, source}, at
                for t, c in ((left_t, left_c), (right_t, right_c)):
                    assert c in columns[t], (at, t, c)
                target_col = left_c if left_t == target else right_c
                source_col = right_c if left_t == target else left_c
                assert columns[target][target_col]["col_key"] == "PRI", f"{at}: join must hit the target's key"
                assert source_col == attr["source_column"], at
                sel_t, sel_c = SELECT_COLUMN.match(join["select_column"]).groups()  # type: ignore[union-attr]
                assert sel_t == target and sel_c in columns[target], at
                value_table, value_column = target, sel_c
            if "transformation" in attr:
                assert attr["type"] == "S", at
                for name in _placeholders(attr["transformation"]["format"]):
                    assert name in attrs or name in columns[source], (at, name)
                continue
            facts = columns[value_table][value_column]
            expected = {"N": NUMERIC_TYPES, "S": TEXT_TYPES | TEMPORAL_TYPES, "BOOL": {"tinyint"},
                        "M": {"json", "longtext"}, "L": {"json", "longtext"}}[attr["type"]]
            assert facts["data_type"] in expected, (at, facts)
            if attr["type"] == "BOOL":
                assert facts["column_type"] == "tinyint(1)", at
            if attr["type"] in ("M", "L"):
                assert (value_table, value_column) in JSON_COLUMNS, at
        for key in ("pk", "sk"):
            if table.get(key):
                assert table[key] in attrs, f"{where}.{key}"
        for g_index, gsi in enumerate(table.get("gsis", [])):
            for key in ("pk", "sk"):
                if gsi.get(key):
                    assert gsi[key] in attrs, f"{where}.gsis[{g_index}].{key}"
            if gsi.get("projection") == "INCLUDE":
                assert gsi["projected_attributes"] and set(gsi["projected_attributes"]) <= set(attrs)


def _items(db: Any, table: dict[str, Any]) -> list[dict[str, Any]]:
    """The items a correct migration produces for a single-entity table (the test's own oracle)."""
    source = table["source_table"]
    joins: dict[str, str] = {}  # target -> condition (the contract joins each target on one condition)
    selects = [f"`{source}`.*"]
    for attr in table["attributes"]:
        if "join" in attr:
            join = attr["join"]
            assert joins.setdefault(join["target_table"], join["join_condition"]) == join["join_condition"]
            selects.append(f"{join['select_column']} AS `__j_{attr['name']}`")
    sql = f"SELECT {', '.join(selects)} FROM `{source}`" + "".join(
        f" LEFT JOIN `{target}` ON {cond}" for target, cond in joins.items()) + f" ORDER BY `{source}`.id"
    items = []
    for row in _dicts(db, sql):
        item: dict[str, Any] = {}
        for attr in table["attributes"]:  # plain and joined attributes first: formats may name them
            if "join" in attr:
                item[attr["name"]] = row[f"__j_{attr['name']}"]
            elif "transformation" not in attr:
                item[attr["name"]] = row[attr["source_column"]]
        for attr in table["attributes"]:
            if "transformation" in attr:
                fmt = attr["transformation"]["format"]
                values = {n: item[n] if n in item else row[n] for n in _placeholders(fmt)}
                item[attr["name"]] = None if any(v is None for v in values.values()) else fmt.format(**values)
        items.append(item)
    return items


def test_contract_keys_are_never_null_and_table_keys_are_unique(db: Any) -> None:
    for table in _contract()["tables"]:
        items = _items(db, table)
        # foreign-key joins hit primary keys: one item per source row, never more
        assert len(items) == _scalar(db, f"SELECT COUNT(*) FROM `{table['source_table']}`"), table["table"]
        keys = [table["pk"], *([table["sk"]] if table.get("sk") else [])]
        key_attrs = set(keys) | {g[k] for g in table.get("gsis", []) for k in ("pk", "sk") if g.get(k)}
        for name in key_attrs:
            assert all(item[name] not in (None, "") for item in items), (table["table"], name)
        dupes = [k for k, n in Counter(tuple(item[k] for k in keys) for item in items).items() if n > 1]
        assert dupes == [], (table["table"], dupes[:5])


def test_contract_optional_joins_leave_attributes_absent_for_some_rows(db: Any) -> None:
    tables = {t["table"]: t for t in _contract()["tables"]}
    orders = _items(db, tables["Orders"])
    for name in ("shipping_city", "coupon_code"):
        assert any(item[name] is None for item in orders) and any(item[name] is not None for item in orders)
    assert all(item["customer_email"] is not None for item in orders)
    reviews = _items(db, tables["Reviews"])
    assert any(item["reviewer_name"] is None for item in reviews)
    products = _items(db, tables["Products"])
    assert len({item["category_name"] for item in products}) > 3
