"""The modernizr example's items computed the plain way from the raw MySQL rows, following the
contract's evident intent as docs/patterns.md resolves it, for tests that check what migrator
loaded (read back with boto3) against something it did not compute.

- Users (multi-entity): USER, CART and ORDER items under the user's email; `profile_data` is
  the same user's {first_name, last_name} (JSON nulls kept); `order_items` is the JSON text of
  the order's items in primary-key order, `[]` for an order without items; the ORDER sort key
  holds created_at as ISO-8601 UTC with milliseconds.
- Products: `category_path` (a "self-join" of products on category_id) is the category's name.
- Categories: keys and attributes from the parent row, counts of children and products.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import json
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import REPO, root_connection
from tests.helpers import example_module, scan_items

EXAMPLE = REPO / "examples" / "modernizr"
CONTRACT = EXAMPLE / "contract.json"
#: the same contract opted into the hierarchy extension (full category paths and depths)
HIERARCHY_CONTRACT = EXAMPLE / "contract.hierarchy.json"
TABLES = ("Users", "Products", "Categories")
SOURCE_TABLES = ("users", "categories", "products", "shopping_carts", "orders", "order_items")


seed = example_module(EXAMPLE / "seed.py", "examples_modernizr_seed")


# ------------------------------------------------------------------------ expected items

def iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _n(value: Any) -> decimal.Decimal:
    return decimal.Decimal(str(value))


def _json(text: str) -> Any:
    return json.loads(text, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def _item(**values: Any) -> dict[str, Any]:
    """An item: a SQL NULL leaves the attribute out."""
    return {k: v for k, v in values.items() if v is not None}


Key = tuple[str, str]


def lineage(categories: dict[int, dict[str, Any]], start: int) -> list[dict[str, Any]]:
    """The category and its ancestors, root first (the seed's tree has no cycle)."""
    chain = [categories[start]]
    while chain[0]["parent_id"] is not None:
        chain.insert(0, categories[chain[0]["parent_id"]])
    return chain


def expected_items(raw: dict[str, list[dict[str, Any]]], hierarchy: bool = False
                   ) -> dict[str, dict[Key, list[dict[str, Any]]]]:
    """Per table, per (PK, SK): every item the source rows produce for that key (more than one
    when rows collide). Computed the plain way from the raw rows, read at time zone '+00:00'.
    `hierarchy`: as contract.hierarchy.json says instead: category paths root/…/category,
    Categories.level and Products.category_depth the number of categories on that path."""
    users = {r["id"]: r for r in raw["users"]}
    categories = {r["id"]: r for r in raw["categories"]}
    products = {r["id"]: r for r in raw["products"]}
    items_of: dict[int, list[dict[str, Any]]] = collections.defaultdict(list)
    for item in sorted(raw["order_items"], key=lambda r: r["id"]):  # the contract gives no order_by: by primary key
        items_of[item["order_id"]].append(item)
    children: collections.Counter[int] = collections.Counter(
        r["parent_id"] for r in raw["categories"] if r["parent_id"] is not None)
    product_count: collections.Counter[int] = collections.Counter(r["category_id"] for r in raw["products"])

    out: dict[str, dict[Key, list[dict[str, Any]]]] = {t: collections.defaultdict(list) for t in TABLES}

    def add(table: str, item: dict[str, Any]) -> None:
        out[table][(item["PK"], item["SK"])].append(item)

    for u in raw["users"]:
        add("Users", _item(
            PK=u["email"], SK="#META", username=u["username"], email=u["email"], password_hash=u["password_hash"],
            profile_data={"first_name": u["first_name"], "last_name": u["last_name"]},
            is_seller=bool(u["is_seller"]), created_at=iso(u["created_at"]), updated_at=iso(u["updated_at"]),
            GSI1PK=str(u["id"]), GSI1SK=str(u["id"]), GSI2PK=u["username"], GSI2SK=u["username"]))
    for c in raw["shopping_carts"]:
        product = products[c["product_id"]]
        add("Users", _item(
            PK=users[c["user_id"]]["email"], SK=f"CART#{c['product_id']}", product_id=str(c["product_id"]),
            quantity=_n(c["quantity"]), price=_n(product["price"]), product_name=product["name"],
            created_at=iso(c["created_at"]), updated_at=iso(c["updated_at"])))
    for o in raw["orders"]:
        lines = [{"product_id": _n(i["product_id"]), "quantity": _n(i["quantity"]),
                  "price_at_time": _n(i["price_at_time"])} for i in items_of[o["id"]]]
        add("Users", _item(
            PK=users[o["user_id"]]["email"], SK=f"ORDER#{iso(o['created_at'])}#{o['id']}", user_id=str(o["user_id"]),
            order_status=o["status"], total_amount=_n(o["total_amount"]), order_items=lines,
            created_at=iso(o["created_at"]), updated_at=iso(o["updated_at"]), order_id=str(o["id"]),
            GSI3PK=str(o["id"]), GSI3SK=str(o["id"])))

    for p in raw["products"]:
        add("Products", _item(
            PK=str(p["id"]), SK="#META", seller_id=str(p["seller_id"]), category_id=str(p["category_id"]),
            category_path=categories[p["category_id"]]["name"],  # evident intent: the category's name
            product_name=p["name"], description=p["description"], price=_n(p["price"]),
            inventory_quantity=_n(p["inventory_quantity"]), image_url=p["image_url"],
            created_at=iso(p["created_at"]), updated_at=iso(p["updated_at"]),
            GSI1PK=str(p["category_id"]), GSI1SK=p["name"], GSI2PK=str(p["seller_id"]), GSI2SK=p["name"]))
        if hierarchy:
            path = lineage(categories, p["category_id"])
            out["Products"][(str(p["id"]), "#META")][-1].update(
                category_path="/".join(c["name"] for c in path), category_depth=_n(len(path)))

    for c in raw["categories"]:
        parent = categories.get(c["parent_id"]) if c["parent_id"] is not None else None
        add("Categories", _item(
            PK=parent["name"] if parent else "ROOT", SK=c["name"], category_id=str(c["id"]),
            parent_id=str(c["parent_id"]) if parent else None, parent_name=parent["name"] if parent else None,
            category_name=c["name"], category_path=parent["name"] if parent else "",
            level=_n(children[c["id"]]),  # the contract defines level exactly as children_count
            children_count=_n(children[c["id"]]), product_count=_n(product_count[c["id"]]),
            created_at=iso(c["created_at"]), GSI1PK=str(parent["id"]) if parent else "ROOT", GSI1SK=str(c["id"])))
        if hierarchy:
            path = lineage(categories, c["id"])
            out["Categories"][(parent["name"] if parent else "ROOT", c["name"])][-1].update(
                category_path="/".join(x["name"] for x in path), level=_n(len(path)))
    return out



def raw_rows(sandbox: lifecycle.SandboxRecord, database: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the source tables, read at time zone '+00:00' (TIMESTAMPs come back in UTC)."""
    conn = root_connection(sandbox, database)
    raw: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor() as cur:
        for name in SOURCE_TABLES:
            cur.execute(f"SELECT * FROM `{name}`")
            cols = [d[0] for d in cur.description]
            raw[name] = [dict(zip(cols, r)) for r in cur.fetchall()]
    conn.close()
    return raw


def assert_items(ddb: Any, want: dict[str, dict[Key, list[dict[str, Any]]]],
                 tables: tuple[str, ...] = TABLES) -> dict[str, list[dict[str, Any]]]:
    """Every table's items (scanned with boto3) are exactly the expected ones: one item per key,
    each equal to one of the rows that produce that key. Returns the scanned items."""
    scanned: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        got = scanned[table] = scan_items(ddb, table)
        keys = [(i["PK"], i["SK"]) for i in got]
        assert len(keys) == len(set(keys)), table
        assert set(keys) == set(want[table]), (table, sorted(set(keys) ^ set(want[table]))[:10])
        mismatches = []
        for item in got:
            item = dict(item)
            if table == "Users" and item["SK"].startswith("ORDER#"):
                assert isinstance(item.get("order_items"), str), item    # type S: JSON text
                item["order_items"] = _json(item["order_items"])
            candidates = want[table][(item["PK"], item["SK"])]
            if item not in candidates:
                mismatches.append((item, candidates))
        assert not mismatches, (table, len(mismatches), mismatches[:3])
    return scanned
