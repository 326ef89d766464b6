"""Benchmark: which SQL shape a relational path should compile to (issue 23), on a private MariaDB.

Two things a path says that one join cannot, over 100k entity rows:

- aggregates across joins: per product, how often it was ordered (COUNT of order lines), by how
  many distinct customers (COUNT DISTINCT through order_lines -> orders) and its revenue (SUM);
- a collection through a link table: per product, its tags with their names, ordered by name,
  as a JSON array (product -> product_tags -> tags).

Each is written in the two shapes that are correct on MariaDB 10.11 and in MySQL 8 syntax:

- `grouped`: one derived table grouped by the entity's key, LEFT JOINed on it (one row per
  entity: it cannot multiply rows);
- `correlated`: a correlated subquery per value in the SELECT list.

(LATERAL, MySQL >= 8.0.14 only, is not in MariaDB: it cannot be the one shape for both.)

Each view is read whole `--rounds` times, alternating, and every row is checked against values
computed in Python from the raw rows (no SQL joins). Printed: rows/s per shape (median) and the
ratio correlated / grouped, for the full read and for a keyed read of 1,000 entities (what a
change stream re-deriving some items does).

    python benchmarks/path_shapes.py [--products 100000] [--lines 300000] [--tags-per-product 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator.sandbox import lifecycle  # noqa: E402

AGGREGATES = {
    "grouped": """SELECT p.id, COALESCE(g.times_ordered, 0) AS times_ordered, COALESCE(g.customers, 0) AS customers,
  g.revenue FROM products AS p LEFT JOIN (
    SELECT ol.product_id, COUNT(*) AS times_ordered, COUNT(DISTINCT o.customer_id) AS customers,
           SUM(ol.qty * ol.price) AS revenue
    FROM order_lines AS ol JOIN orders AS o ON o.id = ol.order_id GROUP BY ol.product_id) AS g
  ON g.product_id = p.id""",
    "correlated": """SELECT p.id,
  (SELECT COUNT(*) FROM order_lines AS ol WHERE ol.product_id = p.id) AS times_ordered,
  (SELECT COUNT(DISTINCT o.customer_id) FROM order_lines AS ol JOIN orders AS o ON o.id = ol.order_id
    WHERE ol.product_id = p.id) AS customers,
  (SELECT SUM(ol.qty * ol.price) FROM order_lines AS ol WHERE ol.product_id = p.id) AS revenue
FROM products AS p""",
}
TAGS = {
    "grouped": """SELECT p.id, COALESCE(g.tags, JSON_ARRAY()) AS tags FROM products AS p LEFT JOIN (
    SELECT pt.product_id, JSON_ARRAYAGG(JSON_OBJECT('name', t.name) ORDER BY t.name, t.id) AS tags
    FROM product_tags AS pt JOIN tags AS t ON t.id = pt.tag_id GROUP BY pt.product_id) AS g
  ON g.product_id = p.id""",
    "correlated": """SELECT p.id, COALESCE((SELECT JSON_ARRAYAGG(JSON_OBJECT('name', t.name) ORDER BY t.name, t.id)
    FROM product_tags AS pt JOIN tags AS t ON t.id = pt.tag_id WHERE pt.product_id = p.id), JSON_ARRAY()) AS tags
FROM products AS p""",
}


def _attribute(name: str, path: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": "L" if name == "tags" else "N", "source_table": "products",
                           "source_column": "id"}
    return {**out, "path": path} if path else out


LINES = {"table": "order_lines", "as": "ol", "on": "ol.product_id = products.id"}
#: the same values as relational paths of a contract: what migrator compiles them to is the third shape
PATH_TABLES = {
    "aggregates": [_attribute("id"),
                   _attribute("times_ordered", {"steps": [LINES], "aggregate": {"function": "COUNT"}}),
                   _attribute("customers", {"steps": [LINES, {"table": "orders", "as": "o", "on": "o.id = ol.order_id"}],
                                            "aggregate": {"function": "COUNT", "of": "o.customer_id", "distinct": True}}),
                   _attribute("revenue", {"steps": [LINES], "aggregate": {"function": "SUM", "of": "ol.qty * ol.price"}})],
    "tags": [_attribute("id"),
             _attribute("tags", {"steps": [{"table": "product_tags", "as": "pt", "on": "pt.product_id = products.id"},
                                           {"table": "tags", "as": "t", "on": "t.id = pt.tag_id"}],
                                 "collect": {"type": "list", "values": {"name": "t.name"}, "order_by": "t.name"}})],
}


def compiled(record: lifecycle.SandboxRecord) -> dict[str, str]:
    """The SELECT migrator compiles for each of PATH_TABLES, against the live schema."""
    from migrator.compile.contract import entity_plans
    from migrator.compile.views import compile_view
    from migrator.contract.typed import build_contract
    from migrator.mysql_schema import schema_from_doc, server_info_from_doc
    from migrator.servers.mysql import MySQLTools, Settings

    env = record.mysql_env()
    tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                password=env["MYSQL_PASSWORD"], database=env["MYSQL_DATABASE"], read_only=True,
                                connect_timeout=10))
    schema = schema_from_doc(tools.describe_schema())
    d = tools.server_info()
    server = server_info_from_doc(d)
    out = {}
    for name, attributes in PATH_TABLES.items():
        doc = {"tables": [{"table": f"Bench{name}", "type": "single-entity", "source_table": "products", "pk": "id",
                           "satisfies": ["AP1"], "estimated_item_size_bytes": 100, "attributes": attributes}]}
        [plan] = entity_plans(build_contract(doc).tables[0])
        spec, findings = compile_view(plan.entity, f"v_{name}", f"Bench{name}", schema, server)
        assert spec is not None, [f.sentence() for f in findings]
        out[name] = spec.select_sql
    return out


def seed(cur: Any, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    """The tables, filled; returns the raw rows the expectations are computed from."""
    cur.execute("CREATE TABLE customers (id INT PRIMARY KEY)")
    cur.execute("CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    cur.execute("CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, KEY (customer_id))")
    cur.execute("CREATE TABLE order_lines (id INT PRIMARY KEY, order_id INT NOT NULL, product_id INT NOT NULL, "
                "qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, KEY (order_id), KEY (product_id))")
    cur.execute("CREATE TABLE tags (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    cur.execute("CREATE TABLE product_tags (product_id INT NOT NULL, tag_id INT NOT NULL, "
                "PRIMARY KEY (product_id, tag_id), KEY (tag_id))")
    n_customers, n_orders, n_tags = max(1, args.products // 5), max(1, args.lines // 3), 1000
    raw: dict[str, list[tuple[Any, ...]]] = {
        "customers": [(i,) for i in range(1, n_customers + 1)],
        "products": [(i, f"p{i}") for i in range(1, args.products + 1)],
        "orders": [(i, rng.randint(1, n_customers)) for i in range(1, n_orders + 1)],
        "order_lines": [(i, rng.randint(1, n_orders), rng.randint(1, args.products), rng.randint(1, 5),
                         Decimal(rng.randint(100, 99_999)) / 100) for i in range(1, args.lines + 1)],
        "tags": [(i, f"tag{rng.randint(0, 10**6):07d}") for i in range(1, n_tags + 1)],
    }
    raw["product_tags"] = sorted({(p, rng.randint(1, n_tags)) for p in range(1, args.products + 1)
                                  for _ in range(args.tags_per_product) if rng.random() < 0.9})
    for table, rows in raw.items():
        marks = ", ".join(["%s"] * len(rows[0]))
        for start in range(0, len(rows), 10_000):
            cur.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[start:start + 10_000])
    return raw


def expected(raw: dict[str, Any]) -> tuple[dict[int, tuple[int, int, Decimal | None]], dict[int, list[str]]]:
    """Per product, from the raw rows in Python: (times ordered, distinct customers, revenue) and its tags."""
    customer_of = dict(raw["orders"])
    lines: dict[int, list[tuple[int, int, Decimal]]] = {}
    for _, order, product, qty, price in raw["order_lines"]:
        lines.setdefault(product, []).append((customer_of[order], qty, price))
    aggregates = {p: (len(lines.get(p, [])), len({c for c, _, _ in lines.get(p, [])}),
                      sum((q * pr for _, q, pr in lines[p]), Decimal(0)) if p in lines else None)
                  for p, _ in raw["products"]}
    tag_name = dict(raw["tags"])
    tags: dict[int, list[tuple[str, int]]] = {}
    for product, tag in raw["product_tags"]:
        tags.setdefault(product, []).append((tag_name[tag], tag))
    names = {p: [name for name, _ in sorted(tags.get(p, []))] for p, _ in raw["products"]}
    return aggregates, names


def timed(cur: Any, sql: str) -> tuple[float, list[tuple[Any, ...]]]:
    began = time.perf_counter()
    cur.execute(sql)
    rows = cur.fetchall()
    return time.perf_counter() - began, list(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--tags-per-product", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keyed", type=int, default=1000, help="entities read by key (WHERE id IN ...)")
    args = parser.parse_args()
    rng = random.Random(23)
    with tempfile.TemporaryDirectory() as folder:
        record = lifecycle.up(Path(folder))
        try:
            conn = pymysql.connect(unix_socket=record.mysql_socket, user="root", database=record.mysql_database,
                                   autocommit=True)
            cur = conn.cursor()
            raw = seed(cur, args, rng)
            cur.execute("ANALYZE TABLE customers, products, orders, order_lines, tags, product_tags")
            cur.fetchall()
            want_aggregates, want_tags = expected(raw)
            keys = ", ".join(str(k) for k in rng.sample(range(1, args.products + 1), min(args.keyed, args.products)))
            cur.execute("SELECT VERSION()")
            print(f"{cur.fetchone()[0]}: {args.products:,} products, {len(raw['order_lines']):,} order lines, "
                  f"{len(raw['product_tags']):,} product tags")
            migrator_sql = compiled(record)
            choice = {what: "grouped" if "GROUP BY" in sql else "correlated" for what, sql in migrator_sql.items()}
            print(f"migrator compiles aggregates to the {choice['aggregates']} shape and lists to the "
                  f"{choice['tags']} shape (the 'migrator' figures below are its own SQL)")
            for what, shapes in (("aggregates across joins", {**AGGREGATES, "migrator": migrator_sql["aggregates"]}),
                                 ("tags through a link table", {**TAGS, "migrator": migrator_sql["tags"]})):
                for shape, sql in shapes.items():
                    cur.execute(f"CREATE OR REPLACE VIEW v_{shape} AS {sql}")
                full: dict[str, list[float]] = {s: [] for s in shapes}
                keyed: dict[str, list[float]] = {s: [] for s in shapes}
                for n in range(args.rounds):
                    for shape in (list(shapes) if n % 2 == 0 else list(reversed(shapes))):
                        seconds, rows = timed(cur, f"SELECT * FROM v_{shape}")
                        assert len(rows) == args.products, (shape, len(rows))
                        for row in rows:
                            if what.startswith("aggregates"):
                                got = (int(row[1]), int(row[2]), None if row[3] is None else Decimal(row[3]))
                                assert got == want_aggregates[row[0]], (shape, row, want_aggregates[row[0]])
                            else:
                                names = [t["name"] for t in json.loads(row[1])]
                                assert names == want_tags[row[0]], (shape, row, want_tags[row[0]])
                        full[shape].append(args.products / seconds)
                        seconds, rows = timed(cur, f"SELECT * FROM v_{shape} WHERE id IN ({keys})")
                        assert len(rows) == min(args.keyed, args.products)
                        keyed[shape].append(len(rows) / seconds)
                grouped, correlated = statistics.median(full["grouped"]), statistics.median(full["correlated"])
                g_key, c_key = statistics.median(keyed["grouped"]), statistics.median(keyed["correlated"])
                m_full, m_key = statistics.median(full["migrator"]), statistics.median(keyed["migrator"])
                print(f"{what}: whole view grouped {grouped:,.0f} rows/s, correlated {correlated:,.0f} rows/s, "
                      f"ratio correlated/grouped {correlated / grouped:.2f}, migrator's SQL {m_full:,.0f} rows/s "
                      f"({m_full / max(grouped, correlated):.2f} of the faster); {args.keyed:,} keyed rows: grouped "
                      f"{g_key:,.0f} rows/s, correlated {c_key:,.0f} rows/s, ratio {c_key / g_key:.2f}, "
                      f"migrator's SQL {m_key:,.0f} rows/s ({m_key / max(g_key, c_key):.2f} of the faster)")
        finally:
            lifecycle.down(Path(folder))


if __name__ == "__main__":
    main()
