"""The workshop's real contract end to end on the sandbox: validate, plan, apply, plan again, destroy.

examples/modernizr holds the AWS workshop's MySQL schema and its migration contract, unchanged,
with seed data that exercises the contract's traps. Real MariaDB, real moto, real stdio MCP
servers, the real local Glue runtime. The items read back with boto3 are checked against
values computed in this file from the raw MySQL rows, following the contract's evident intent
as docs/patterns.md resolves it — never against migrator's own output:

- Users (multi-entity): USER, CART and ORDER items under the user's email; `profile_data` is
  the same user's {first_name, last_name} (JSON nulls kept); `order_items` is the JSON text of
  the order's items in primary-key order, `[]` for an order without items; the ORDER sort key
  holds created_at as ISO-8601 UTC with milliseconds.
- Products: `category_path` (a "self-join" of products on category_id) is the category's name.
- Categories: keys and attributes from the parent row, counts of children and products.
- Two categories `Bags` under two parents `Accessories` collide on the Categories key: the
  plan and the apply say so, the apply still succeeds, and DynamoDB keeps one of the two.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from migrator.sandbox import lifecycle
from tests.conftest import REPO, root_connection
from tests.helpers import assert_coverage_and_settings, browser_dom, shown_figures, aws, own_emulator, project_cli, scan_items
from tests.helpers import project as make_project

EXAMPLE = REPO / "examples" / "modernizr"
CONTRACT = EXAMPLE / "contract.json"
TABLES = ("Users", "Products", "Categories")
SOURCE_TABLES = ("users", "categories", "products", "shopping_carts", "orders", "order_items")


def _load_seed() -> ModuleType:
    # A module name of its own: examples/shop/seed.py is imported as `seed` by other tests.
    spec = importlib.util.spec_from_file_location("examples_modernizr_seed", EXAMPLE / "seed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


seed = _load_seed()


# ------------------------------------------------------------------------ expected items

def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _n(value: Any) -> decimal.Decimal:
    return decimal.Decimal(str(value))


def _json(text: str) -> Any:
    return json.loads(text, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def _item(**values: Any) -> dict[str, Any]:
    """An item: a SQL NULL leaves the attribute out."""
    return {k: v for k, v in values.items() if v is not None}


Key = tuple[str, str]


def expected_items(raw: dict[str, list[dict[str, Any]]]) -> dict[str, dict[Key, list[dict[str, Any]]]]:
    """Per table, per (PK, SK): every item the source rows produce for that key (more than one
    when rows collide). Computed the plain way from the raw rows, read at time zone '+00:00'."""
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
            is_seller=bool(u["is_seller"]), created_at=_iso(u["created_at"]), updated_at=_iso(u["updated_at"]),
            GSI1PK=str(u["id"]), GSI1SK=str(u["id"]), GSI2PK=u["username"], GSI2SK=u["username"]))
    for c in raw["shopping_carts"]:
        product = products[c["product_id"]]
        add("Users", _item(
            PK=users[c["user_id"]]["email"], SK=f"CART#{c['product_id']}", product_id=str(c["product_id"]),
            quantity=_n(c["quantity"]), price=_n(product["price"]), product_name=product["name"],
            created_at=_iso(c["created_at"]), updated_at=_iso(c["updated_at"])))
    for o in raw["orders"]:
        lines = [{"product_id": _n(i["product_id"]), "quantity": _n(i["quantity"]),
                  "price_at_time": _n(i["price_at_time"])} for i in items_of[o["id"]]]
        add("Users", _item(
            PK=users[o["user_id"]]["email"], SK=f"ORDER#{_iso(o['created_at'])}#{o['id']}", user_id=str(o["user_id"]),
            order_status=o["status"], total_amount=_n(o["total_amount"]), order_items=lines,
            created_at=_iso(o["created_at"]), updated_at=_iso(o["updated_at"]), order_id=str(o["id"]),
            GSI3PK=str(o["id"]), GSI3SK=str(o["id"])))

    for p in raw["products"]:
        add("Products", _item(
            PK=str(p["id"]), SK="#META", seller_id=str(p["seller_id"]), category_id=str(p["category_id"]),
            category_path=categories[p["category_id"]]["name"],  # evident intent: the category's name
            product_name=p["name"], description=p["description"], price=_n(p["price"]),
            inventory_quantity=_n(p["inventory_quantity"]), image_url=p["image_url"],
            created_at=_iso(p["created_at"]), updated_at=_iso(p["updated_at"]),
            GSI1PK=str(p["category_id"]), GSI1SK=p["name"], GSI2PK=str(p["seller_id"]), GSI2SK=p["name"]))

    for c in raw["categories"]:
        parent = categories.get(c["parent_id"]) if c["parent_id"] is not None else None
        add("Categories", _item(
            PK=parent["name"] if parent else "ROOT", SK=c["name"], category_id=str(c["id"]),
            parent_id=str(c["parent_id"]) if parent else None, parent_name=parent["name"] if parent else None,
            category_name=c["name"], category_path=parent["name"] if parent else "",
            level=_n(children[c["id"]]),  # the contract defines level exactly as children_count
            children_count=_n(children[c["id"]]), product_count=_n(product_count[c["id"]]),
            created_at=_iso(c["created_at"]), GSI1PK=str(parent["id"]) if parent else "ROOT", GSI1SK=str(c["id"])))
    return out


# ------------------------------------------------------------------------------- helpers

@pytest.fixture
def project(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=7))
    conn.close()
    with own_emulator(tmp_path / "moto") as emulator:  # its tables are this test's alone
        yield make_project(sandbox, mysql_db, tmp_path, emulator)


def _cli(project: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return project_cli(project, *args)


def _raw_rows(sandbox: lifecycle.SandboxRecord, database: str) -> dict[str, list[dict[str, Any]]]:
    conn = root_connection(sandbox, database)  # time_zone '+00:00': TIMESTAMPs come back in UTC
    raw: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor() as cur:
        for name in SOURCE_TABLES:
            cur.execute(f"SELECT * FROM `{name}`")
            cols = [d[0] for d in cur.description]
            raw[name] = [dict(zip(cols, r)) for r in cur.fetchall()]
    conn.close()
    return raw


def _collision_lines(text: str, table: str) -> list[str]:
    """Lines that report a key collision of `table` (wording loose: collide/duplicate)."""
    return [line for line in text.splitlines()
            if re.search(r"collid|duplicat", line, re.IGNORECASE) and table in line]


def _numbers(line: str) -> set[int]:
    return {int(n) for n in re.findall(r"(?<![\w.$\[])\d+(?![\w.\]])", line)}


def _warning_paths(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^warning\s+(\$\S*?):?\s", text, re.MULTILINE)}


# --------------------------------------------------------------------------------- the test

def test_modernizr_validate_plan_apply_plan_destroy(sandbox: lifecycle.SandboxRecord,
                                                    project: dict[str, Any]) -> None:
    raw = _raw_rows(sandbox, project["db"])
    want = expected_items(raw)
    # The seed keeps its traps at every seed: exactly one colliding Categories key, two rows.
    collisions = {k: v for k, v in want["Categories"].items() if len(v) > 1}
    assert list(collisions) == [("Accessories", "Bags")] and len(collisions[("Accessories", "Bags")]) == 2
    colliding_rows = sum(len(v) for v in collisions.values())           # 2
    lost = colliding_rows - len(collisions)                              # 1 item overwritten
    assert any(not o["order_items"] for k, v in want["Users"].items() if k[1].startswith("ORDER#") for o in v)

    validated = _cli(project, "validate", str(CONTRACT))
    assert validated.returncode == 0, validated.stdout + validated.stderr   # warnings allowed

    plan = _cli(project, "plan", str(CONTRACT))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    n_entities, n_tables = 5, len(TABLES)
    n_gsis = sum(len(t.get("gsis") or []) for t in json.loads(CONTRACT.read_text())["tables"])
    # per entity: view, script, job, load; per table: table, check; per index: one; shared: bucket, bundle, connection
    n_resources = 4 * n_entities + 2 * n_tables + n_gsis + 3
    assert f"Plan: {n_resources} to add, 0 to change, 0 to replace, 0 to destroy." in plan.stdout, plan.stdout
    assert sandbox.mysql_password not in plan.stdout + plan.stderr
    plan_text = plan.stdout + plan.stderr
    # The collision is reported, with its count, naming the table.
    reported = _collision_lines(plan_text, "Categories")
    assert reported, plan_text
    assert any({colliding_rows, lost} & _numbers(line) for line in reported), reported
    # The self-references the compiler reads by their evident intent are said out loud.
    warned = _warning_paths(plan_text)
    for path in ("$.tables[0].entities[0].attributes[5].join.join_condition",    # users.id = users.id
                 "$.tables[1].attributes[4].join",                              # products "self-join" to categories
                 "$.tables[2].attributes[0].join", "$.tables[2].attributes[4].join.join_condition",
                 "$.tables[2].attributes[7].calculation.join_condition",
                 "$.tables[2].attributes[8].calculation.join_condition", "$.tables[2].attributes[11].join"):
        assert any(w.startswith(path) for w in warned), (path, sorted(warned))

    applied = _cli(project, "apply", str(CONTRACT), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout
    applied_text = applied.stdout + applied.stderr
    assert sandbox.mysql_password not in applied_text
    reported = _collision_lines(applied_text, "Categories")
    assert reported and any({colliding_rows, lost} & _numbers(line) for line in reported), applied_text

    # Items equal an independent computation from the raw rows.
    ddb = aws(project["aws"], "dynamodb")
    for table in TABLES:
        got = scan_items(ddb, table)
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
        rows = sum(len(v) for v in want[table].values())
        m = re.search(rf"check\.{table}: view rows (\d+), items written (\d+), rejected (\d+), table items (\d+)",
                      applied.stdout)
        assert m, applied.stdout
        assert tuple(int(g) for g in m.groups()) == (rows, rows, 0, len(want[table])), m.group(0)

    # The report: rows and items per table as counted above, on the HTML page as in the JSON.
    report = json.loads(_cli(project, "report", str(CONTRACT), "--json").stdout)
    page = Path(project["cwd"]) / "report.html"
    assert _cli(project, "report", "--html", str(page)).returncode == 0
    shown = shown_figures(browser_dom(page))
    for table in TABLES:
        (reported,) = [t for t in report["tables"] if t["name"] == table]
        rows = sum(len(v) for v in want[table].values())
        assert sum(load["rows_read"] for load in reported["loads"]) == rows, table
        assert sum(load["items_written"] for load in reported["loads"]) == rows, table
        assert reported["check"]["table_items"] == len(want[table]), table
        assert int(shown[(table, "rows_read")].replace(",", "")) == rows, table
    assert_coverage_and_settings(aws(project["aws"], "dynamodb"), report, shown)
    collisions = [a for a in report["advice"] if a["topic"] == "key_collisions"]
    assert [a["table"] for a in collisions] == ["Categories"], collisions

    # Spot checks of the traps, spelled out.
    users = {(i["PK"], i["SK"]): i for i in scan_items(ddb, "Users")}
    nobody = next(u for u in raw["users"] if u["first_name"] is None and u["last_name"] is None)
    assert users[(nobody["email"], "#META")]["profile_data"] == {"first_name": None, "last_name": None}
    order2 = next(o for o in raw["orders"] if o["id"] == 2)
    assert order2["created_at"] == dt.datetime(2024, 4, 2, 15, 30, 45)
    email = next(u["email"] for u in raw["users"] if u["id"] == order2["user_id"])
    assert (email, "ORDER#2024-04-02T15:30:45.000Z#2") in users
    empty = next(o for o in raw["orders"] if o["id"] == 1)
    empty_key = (next(u["email"] for u in raw["users"] if u["id"] == empty["user_id"]),
                 f"ORDER#{_iso(empty['created_at'])}#1")
    assert json.loads(users[empty_key]["order_items"]) == []
    bags = [i for i in scan_items(ddb, "Categories") if i["SK"] == "Bags"]
    assert len(bags) == 1 and bags[0]["PK"] == "Accessories" and bags[0]["category_id"] in {"22", "24"}

    # State recorded every resource, and holds no secret.
    state_text = (project["state"] / "migrator.state.json").read_text()
    assert sandbox.mysql_password not in state_text
    state = json.loads(state_text)
    assert len(state["resources"]) == n_resources

    again = _cli(project, "plan", str(CONTRACT), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout

    destroyed = _cli(project, "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert set(ddb.list_tables()["TableNames"]) & set(TABLES) == set()
    s3 = aws(project["aws"], "s3")
    assert project["bucket"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    conn = root_connection(sandbox, project["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (project["db"],))
        assert cur.fetchone() == (0,)
    conn.close()
    assert not list((project["glue_dir"] / "jobs").glob("*.json"))
    assert not list((project["glue_dir"] / "connections").glob("*.json"))
    assert json.loads((project["state"] / "migrator.state.json").read_text())["resources"] == {}
