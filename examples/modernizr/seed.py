"""Deterministic seed data for the `examples/modernizr` schema (the workshop's online shop).

    python examples/modernizr/seed.py [--sandbox .migrator/sandbox] [--scale N] [--seed S]
    python examples/modernizr/seed.py --dry-run     # generate only: row counts and a fingerprint

`generate(scale, seed)` is pure: the same (scale, seed) gives the same rows, byte for byte, in
any process (only `random.Random(seed)`, fixed dates, no sets, no clock). `load(conn, rows)`
(re)creates the six workshop tables from schema.sql in the connection's database (dropping
only those tables, children before parents) and inserts the rows at session time zone
'+00:00', so the TIMESTAMP columns hold exactly the UTC values generated here. `main()`
connects to the sandbox recorded by `migrator sandbox up` (or to explicit --host/--port/...).

The data is realistic and exercises the traps of the workshop's contract (see README.md):

- a category tree three levels deep with several roots (parent_id NULL);
- two categories named `Bags`, each under a different parent named `Accessories`, so the
  `Categories` table key (parent name, name) collides for exactly one key;
- categories with neither products nor children (a root, a level-2 and two level-3 ones),
  and parents with children but no products of their own;
- users with accented, CJK, Arabic and emoji names, NULL first and/or last names and an
  empty first name;
- orders without any item (their `order_items` must be `[]`), carts, orders of users with
  no cart and carts of users with no order;
- explicit TIMESTAMP values everywhere (never the CURRENT_TIMESTAMP defaults), including
  order 2 at 2024-04-02 15:30:45 UTC.

Every foreign key has its partner, and every column that feeds a DynamoDB key of the
contract is non-NULL and non-empty.

Depends on the standard library and pymysql only.
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from random import Random
from typing import Any

HERE = Path(__file__).resolve().parent
SCHEMA_SQL = HERE / "schema.sql"
DEFAULT_SEED = 42
DEFAULT_SCALE = 1
CHUNK = 1000

# Parents before children: the insert order. Drops go the other way.
TABLES: tuple[str, ...] = ("users", "categories", "products", "shopping_carts", "orders", "order_items")

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "username", "email", "password_hash", "first_name", "last_name", "is_seller", "super_admin",
              "created_at", "updated_at"),
    "categories": ("id", "name", "parent_id", "created_at"),
    "products": ("id", "seller_id", "category_id", "name", "description", "price", "inventory_quantity",
                 "image_url", "created_at", "updated_at"),
    "shopping_carts": ("id", "user_id", "product_id", "quantity", "created_at", "updated_at"),
    "orders": ("id", "user_id", "total_amount", "status", "created_at", "updated_at"),
    "order_items": ("id", "order_id", "product_id", "quantity", "price_at_time"),
}

Rows = dict[str, list[tuple[Any, ...]]]

CENT = Decimal("0.01")
EPOCH = dt.datetime(2023, 1, 1, 0, 0, 0)       # UTC; every TIMESTAMP lies in 2023-2025
USER_SPAN_S = 365 * 86400                       # users sign up during 2023
CATEGORY_CREATED = dt.datetime(2022, 12, 1, 9, 0, 0)
FIXED_ORDER_AT = dt.datetime(2024, 4, 2, 15, 30, 45)   # order 2: the contract docs' example instant

# ------------------------------------------------------------------------------------- pools

# The category tree (fixed, parents first): id, parent id, name. Three levels.
CATEGORIES: tuple[tuple[int, int | None, str], ...] = (
    (1, None, "Electronics"),
    (2, None, "Fashion"),
    (3, None, "Home & Garden"),
    (4, None, "Books"),
    (5, None, "Sports & Outdoors"),
    (6, None, "Gift Cards"),              # a root without children or products
    (7, 1, "Computers"),
    (8, 1, "Phones"),
    (9, 1, "Accessories"),                # Electronics > Accessories
    (10, 2, "Clothing"),
    (11, 2, "Accessories"),               # Fashion > Accessories: same name, other parent
    (12, 2, "Shoes"),
    (13, 3, "Kitchen"),
    (14, 3, "Garden"),
    (15, 4, "Fiction"),
    (16, 4, "Non-fiction"),
    (17, 5, "Camping"),
    (18, 5, "Cycling"),
    (19, 4, "Comics"),                    # level 2 without children or products
    (20, 7, "Laptops"),
    (21, 7, "Desktops"),                  # level 3 without products
    (22, 9, "Bags"),                      # Electronics > Accessories > Bags   } same key
    (23, 9, "Chargers & Cables"),         #                                    } (Accessories, Bags)
    (24, 11, "Bags"),                     # Fashion > Accessories > Bags       }
    (25, 11, "Belts"),
    (26, 12, "Sneakers"),
    (27, 12, "Boots"),
    (28, 13, "Cookware"),
    (29, 13, "Café & Thé"),
    (30, 15, "Science-Fiction"),
    (31, 15, "Romans policiers"),         # level 3 without products
    (32, 17, "Tents"),
    (33, 17, "Sleeping Bags"),
    (34, 14, "Plant Pots 🌱"),
)
# Where products go (category ids), with the nouns of their names: mostly level-3 leaves, some
# level-2 categories (Kitchen and Garden also have children). No product goes to a root, to
# either Accessories, or to 6, 19, 21 and 31 (no products and no children).
PRODUCT_CATEGORIES: dict[int, tuple[str, ...]] = {
    8: ("Smartphone", "Phone Case", "Screen Protector"),
    10: ("T-Shirt", "Rain Jacket", "Hoodie", "Jeans"),
    13: ("Kettle", "Toaster"),
    14: ("Garden Hose", "Deck Chair"),
    16: ("Atlas", "Cookbook", "Biography"),
    18: ("Bike Helmet", "Bike Light", "Water Bottle"),
    20: ("Laptop 14\"", "Laptop 16\"", "Ultrabook"),
    22: ("Laptop Sleeve", "Camera Bag", "Tech Backpack"),
    23: ("USB-C Cable", "Wall Charger", "Power Bank"),
    24: ("Tote Bag", "Handbag", "Messenger Bag"),
    25: ("Leather Belt", "Canvas Belt"),
    26: ("Running Sneakers", "High-tops"),
    27: ("Hiking Boots", "Chelsea Boots"),
    28: ("Frying Pan", "Dutch Oven", "Saucepan"),
    29: ("Espresso Beans", "Matcha", "Teapot"),
    30: ("Space Opera", "Cyberpunk Novel"),
    32: ("2-Person Tent", "Family Tent"),
    33: ("Down Sleeping Bag", "Summer Sleeping Bag"),
    34: ("Terracotta Pot", "Self-watering Pot"),
}
PRODUCT_CATEGORY_IDS: tuple[int, ...] = tuple(PRODUCT_CATEGORIES)

# Hand-written users first (present at every scale and seed): first, last, domain, seller.
EDGE_USERS: tuple[tuple[str | None, str | None, str, bool], ...] = (
    ("Zoë", "O'Brien", "example.ie", True),
    ("芳", "王", "example.cn", True),
    (None, "Nakamura", "example.jp", False),      # NULL first name
    ("Ana 🌻", None, "example.pt", False),         # NULL last name
    (None, None, "example.com", False),           # both NULL: profile_data {first_name: null, last_name: null}
    ("", "Teller", "example.com", False),         # empty first name, not NULL
    ("محمد", "علي", "example.eg", True),
    ("Łukasz", "Wałęsa-Nowak", "example.pl", False),
    ("Søren", 'Kierkegaard "SK"', "example.dk", False),
    ("Renée", "D'Arcy; Smith", "example.ca", True),
)
FIRST_NAMES = ("Amélie", "José", "Chloé", "Noah", "Mia", "Liam", "Emma", "Olivia", "Mateo", "Sofía", "Lukas",
               "Hannah", "François", "Inès", "Dmitri", "Ayşe", "Çağla", "Nguyễn Văn", "Ærin", "Ingrid", "Kai",
               "Priya", "Arjun", "Fatima", "Yusuf", "Wei", "美咲", "陽翔", "서연", "민준", "Ольга", "Γιώργος",
               "Alex 🚀", "Sam", None)
LAST_NAMES = ("Müller", "García Márquez", "Dupont", "Smith", "O'Connor", "van der Berg", "Nguyễn", "Kowalski",
              "Rossi", "Johansson", "Øberg", "Papadopoulos", "Silva", "Tanaka", "佐藤", "김", "Иванова",
              "Smith-Jones", "d'Alembert", "Brown, III", None, None)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "example.co.uk")
ADJECTIVES = ("Classic", "Compact", "Deluxe", "Eco", "Ultra", "Mini", "Smart", "Vintage", "Organic", "Wireless",
              "Ergonomic", "Handmade", "Über", "Petit", "Gran")
DESCRIPTIONS = ("Great value.", "Made from recycled materials, 100% plastic-free.", "Ships in 2-3 days.",
                'Rated "excellent" by testers; comes with a 2-year warranty.',
                "Line one.\nLine two, with a comma.", "Lightweight — only the essentials.", "Très pratique !",
                "日本製・高品質", "Includes: 1 × unit, 2 × batteries; no tools needed.",
                "Backslash test: C:\\temp\\manual.pdf")
STATUSES = ("pending", "completed", "completed", "completed", "cancelled")
HASH_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


# ------------------------------------------------------------------------------------- helpers

def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _at(rng: Random, start: dt.datetime, span_s: int) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.randrange(span_s))


def _password_hash(rng: Random) -> str:
    """A bcrypt-shaped string (not a real hash): `$2b$12$` and 53 characters."""
    return "$2b$12$" + "".join(rng.choice(HASH_ALPHABET) for _ in range(53))


# ------------------------------------------------------------------------------------- generate

def generate(scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Rows:
    """All rows of all six tables, parents before children, as tuples in COLUMNS order.

    Pure and deterministic. At scale 1: 120 users, 34 categories (fixed at every scale),
    80 products, about 110 cart lines, 240 orders and about 500 order items; everything but
    the categories grows linearly with `scale`.
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")
    rng = Random(seed)
    rows: Rows = {table: [] for table in TABLES}

    # users -------------------------------------------------------------------------------
    n_users = 120 * scale
    user_created: dict[int, dt.datetime] = {}
    sellers: list[int] = []
    for uid in range(1, n_users + 1):
        if uid <= len(EDGE_USERS):
            first, last, domain, seller = EDGE_USERS[uid - 1]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            domain, seller = rng.choice(EMAIL_DOMAINS), rng.random() < 0.15
        local = _slug(f"{first or ''}{last or ''}") or "user"
        username = f"{local[:20]}_{uid}"
        plus = "+shop" if uid % 13 == 0 else ""
        email = f"{local}{plus}.{uid}@{domain}"
        created = _at(rng, EPOCH, USER_SPAN_S)
        updated = created if rng.random() < 0.3 else created + dt.timedelta(seconds=rng.randrange(1, 300 * 86400))
        user_created[uid] = created
        if seller:
            sellers.append(uid)
        rows["users"].append((uid, username, email, _password_hash(rng), first, last, int(seller),
                              int(uid == 1), created, updated))

    # categories (fixed, parents first) -------------------------------------------------------
    for cat_id, parent, name in CATEGORIES:
        rows["categories"].append((cat_id, name, parent, CATEGORY_CREATED + dt.timedelta(minutes=cat_id)))

    # products --------------------------------------------------------------------------------
    n_products = 80 * scale
    product_price: dict[int, Decimal] = {}
    product_created: dict[int, dt.datetime] = {}
    for pid in range(1, n_products + 1):
        # the first ones cover every product category once, in order; then at random
        cat_id = (PRODUCT_CATEGORY_IDS[pid - 1] if pid <= len(PRODUCT_CATEGORY_IDS)
                  else rng.choice(PRODUCT_CATEGORY_IDS))
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(PRODUCT_CATEGORIES[cat_id])} {pid}"
        desc_roll = rng.random()
        description = None if desc_roll < 0.15 else "" if desc_roll < 0.2 else rng.choice(DESCRIPTIONS)
        price = _money(Decimal(rng.randrange(99, 99999)) / 100)
        if pid % 10 == 0:
            price = Decimal(f"{rng.randrange(5, 300)}.00")  # round prices keep their ".00"
        image_url = None if rng.random() < 0.25 else f"https://img.example.com/products/{pid}.jpg"
        created = _at(rng, EPOCH - dt.timedelta(days=30), 200 * 86400)
        updated = created if rng.random() < 0.5 else created + dt.timedelta(seconds=rng.randrange(1, 200 * 86400))
        product_price[pid] = price
        product_created[pid] = created
        rows["products"].append((pid, rng.choice(sellers), cat_id, name, description, price,
                                 0 if rng.random() < 0.1 else rng.randrange(1, 500), image_url, created, updated))
    product_ids = list(product_price)

    # shopping carts: about 40 % of the users have 1-4 lines ----------------------------------
    cart_id = 0
    for uid in range(1, n_users + 1):
        if uid != 1 and (uid == 5 or rng.random() >= 0.4):  # user 1 always has a cart, user 5 never
            continue
        for pid in rng.sample(product_ids, rng.randrange(1, 5)):
            cart_id += 1
            start = max(user_created[uid], product_created[pid])
            created = _at(rng, start, 120 * 86400)
            updated = created if rng.random() < 0.6 else created + dt.timedelta(seconds=rng.randrange(1, 86400))
            rows["shopping_carts"].append((cart_id, uid, pid, rng.choice((1, 1, 1, 2, 3, 10)), created, updated))

    # orders and their items ------------------------------------------------------------------
    n_orders = 240 * scale
    item_id = 0
    for oid in range(1, n_orders + 1):
        uid = 1 if oid <= 2 else 1 + rng.randrange(n_users)
        status = "cancelled" if oid == 1 else rng.choice(STATUSES)
        # order 1 and about 30 % of the pending or cancelled ones have no items at all
        empty = oid == 1 or (oid > 2 and status != "completed" and rng.random() < 0.3)
        n_items = 0 if empty else rng.choice((1, 1, 2, 2, 3, 4, 5))
        total = Decimal("0.00")
        for pid in rng.sample(product_ids, n_items):  # random product order: item id order != product order
            quantity = rng.choice((1, 1, 1, 2, 2, 3, 5))
            price_at_time = product_price[pid]
            if rng.random() < 0.15:  # the price changed since the order
                price_at_time = _money(price_at_time * Decimal("0.9"))
            total += _money(price_at_time * quantity)
            item_id += 1
            rows["order_items"].append((item_id, oid, pid, quantity, price_at_time))
        created = FIXED_ORDER_AT if oid == 2 else _at(rng, user_created[uid] + dt.timedelta(days=1), 500 * 86400)
        updated = created if status == "pending" else created + dt.timedelta(seconds=rng.randrange(60, 10 * 86400))
        rows["orders"].append((oid, uid, total, status, created, updated))
    return rows


# ------------------------------------------------------------------ load and CLI (examples/seedkit.py)

sys.path.insert(0, str(HERE.parent))
import seedkit  # noqa: E402 - shared by the examples (stdlib + pymysql)

EXAMPLE = seedkit.Example(name="modernizr", schema=SCHEMA_SQL, tables=TABLES, columns=COLUMNS, generate=generate,
                          default_scale=DEFAULT_SCALE, default_seed=DEFAULT_SEED,
                          scale_help="multiplier: 120 users, 80 products, 240 orders per unit")


def fingerprint(rows: Rows) -> str:
    """A SHA-256 over the rows' canonical repr: equal fingerprints mean byte-identical rows."""
    return seedkit.fingerprint(EXAMPLE, rows)


def schema_statements(path: Path = SCHEMA_SQL) -> list[str]:
    return seedkit.schema_statements(path)


def load(conn: Any, rows: Rows, *, chunk: int = CHUNK) -> dict[str, int]:
    """(Re)create the example tables in `conn`'s current database and insert `rows`."""
    return seedkit.load(EXAMPLE, conn, rows, chunk=chunk)


def main(argv: list[str] | None = None) -> int:
    return seedkit.main(EXAMPLE, argv)


if __name__ == "__main__":
    sys.exit(main())
