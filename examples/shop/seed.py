"""Deterministic seed data for the `examples/shop` schema.

    python examples/shop/seed.py [--sandbox .migrator/sandbox] [--scale N] [--seed S]
    python examples/shop/seed.py --dry-run          # generate only: row counts and a fingerprint

`generate(scale, seed)` is pure: the same (scale, seed) gives the same rows, byte for byte, in
any process (only `random.Random(seed)`, fixed dates, no sets, no clock). `load(conn, rows)`
(re)creates the example tables from schema.sql in the connection's database (dropping only
the example tables, children before parents) and inserts the rows. `main()` connects to the
sandbox recorded by `migrator sandbox up` (or to explicit --host/--port/... parameters).

The data is realistic but deliberately awkward: accents, CJK, Arabic and emoji; quotes,
commas, semicolons, backslashes, tabs and newlines in text; NULL and empty strings in
nullable columns (and the text "null", which is not NULL); prices with cents and a 0.00 one;
empty JSON objects and arrays; orders whose optional foreign keys (shipping_address_id,
coupon_id) are NULL, reviews without a customer, cancelled orders without items. Every
non-null foreign key has its partner, and no key column of the example contract is NULL.

Depends on the standard library and pymysql only.
"""

from __future__ import annotations

import datetime as dt
import json
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
TABLES: tuple[str, ...] = ("customers", "addresses", "categories", "products", "coupons", "orders",
                           "order_items", "reviews")

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("id", "email", "first_name", "last_name", "phone", "marketing_opt_in", "loyalty_points",
                  "birth_date", "preferences", "created_at", "updated_at"),
    "addresses": ("id", "customer_id", "label", "recipient", "line1", "line2", "city", "postal_code",
                  "country_code", "is_default"),
    "categories": ("id", "parent_id", "name", "slug", "description", "sort_order"),
    "products": ("id", "category_id", "sku", "name", "description", "price", "weight_grams", "stock", "is_active",
                 "tags", "created_at"),
    "coupons": ("id", "code", "percent_off", "valid_until"),
    "orders": ("id", "customer_id", "shipping_address_id", "coupon_id", "status", "currency", "subtotal",
               "discount", "shipping_fee", "total", "is_gift", "notes", "placed_at", "shipped_at"),
    "order_items": ("id", "order_id", "line_no", "product_id", "quantity", "unit_price", "line_total",
                    "gift_message"),
    "reviews": ("id", "product_id", "customer_id", "rating", "title", "body", "is_verified", "created_at"),
}

Rows = dict[str, list[tuple[Any, ...]]]

CENT = Decimal("0.01")
EPOCH = dt.datetime(2022, 1, 1, 0, 0, 0)
CUSTOMER_SPAN_S = 3 * 365 * 86400  # customers sign up between 2022-01-01 and the end of 2024

# ------------------------------------------------------------------------------------- pools

# Hand-written customers first (present at every scale and seed): (first, last, domain).
EDGE_CUSTOMERS: tuple[tuple[str, str | None, str], ...] = (
    ("Zoë", "O'Brien", "example.ie"),
    ("芳", "王", "example.cn"),
    ("Ana 🌻", None, "example.pt"),
    ("Null", "Null", "example.com"),          # the text "null" is not NULL
    ("Jean-Luc", "Picard, Jr.", "example.fr"),
    ("Søren", 'Kierkegaard "SK"', "example.dk"),
    ("Teller", "", "example.com"),            # empty last name, not NULL
    ("محمد", "علي", "example.eg"),
    ("太郎", "山田", "example.jp"),
    ("Łukasz", "Wałęsa-Nowak", "example.pl"),
    ("Renée", "D'Arcy; Smith", "example.ca"),
    ("Björk", "Guðmundsdóttir", "example.is"),
)

FIRST_NAMES = ("Amélie", "José", "Chloé", "Noah", "Mia", "Liam", "Emma", "Olivia", "Mateo", "Sofía", "Lukas",
               "Hannah", "François", "Inès", "Zoë", "Dmitri", "Ayşe", "Çağla", "Nguyễn Văn", "Søren", "Ærin",
               "Ingrid", "Oliver", "Charlotte", "Kai", "Priya", "Arjun", "Fatima", "Yusuf", "Chen", "Wei",
               "美咲", "陽翔", "서연", "민준", "Ольга", "Иван", "Γιώργος", "Alex 🚀", "Sam", "Jo", "Li")
LAST_NAMES = ("Müller", "García Márquez", "Dupont", "Smith", "O'Connor", "van der Berg", "Nguyễn", "Kowalski",
              "Rossi", "Schmidt", "Johansson", "Øberg", "Papadopoulos", "Silva", "Santos", "Tanaka", "佐藤",
              "김", "Иванова", "Smith-Jones", "MacDonald", "Le Blanc", "d'Alembert", "Brown, III", None, None,
              None, "")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "example.co.uk")
PREF_LANGUAGES = ("en", "fr", "de", "es", "ja", "zh-Hans", "pt-BR")
PREF_SIZES = ("XS", "S", "M", "L", "XL")

CITIES: tuple[tuple[str, str, str | None], ...] = (  # city, country, postal code pattern (None: no postcodes)
    ("Paris", "FR", "750##"), ("München", "DE", "80###"), ("São Paulo", "BR", "0####-###"),
    ("東京", "JP", "1##-####"), ("Zürich", "CH", "80##"), ("New York", "US", "100##"),
    ("Reykjavík", "IS", "1##"), ("Kraków", "PL", "3#-###"), ("Dublin", "IE", None), ("Hong Kong", "HK", None),
    ("Montréal", "CA", "H#A #B#"), ("Cairo", "EG", "11###"), ("Seoul", "KR", "0####"), ("Lisboa", "PT", "1###-###"),
)
STREETS = ("Rue de l'Église", "Hauptstraße", "Main St., Suite 4", "Calle Mayor, 5", "中山路", "Avenida Paulista",
           "Baker Street", "Laugavegur", "Floriańska", "O'Connell Street", "Bahnhofstrasse", "Rua Augusta",
           '"The Old Mill" Lane', "강남대로", "Kings Road; Unit 7")
LINE2 = ("Apt 3B", "2nd floor", 'c/o "The Lodge"', "Bâtiment B, escalier 2", "Gate code: 1234#", "")
LABELS = ("Home", "Work", "", "Mum's place", "Büro", "別荘", "Home, back door")

CATEGORIES: tuple[tuple[int, int | None, str, str, str | None], ...] = (  # id, parent, name, slug, description
    (1, None, "Books", "books", "Printed books, e-books and audio books."),
    (2, None, "Electronics", "electronics", None),
    (3, None, "Home & Kitchen", "home-kitchen", ""),
    (4, None, "Fashion", "fashion", "Clothes, shoes, bags; \"everything you wear\"."),
    (5, 2, "Audio", "audio", "Headphones, speakers & hi-fi."),
    (6, 2, "Phones, Tablets & Accessories", "phones-tablets", None),
    (7, 1, "Science-Fiction", "sci-fi", "Space opera, cyberpunk, 'hard' SF."),
    (8, 1, "Livres en français", "livres", "Romans, essais et bandes dessinées."),
    (9, 3, "Café & Thé", "cafe-the", None),
    (10, 4, "Shoes", "shoes", None),
    (11, 3, 'Garden "Outdoor"', "garden", "Tools\tand furniture\nfor the garden."),
    (12, None, "文具 Stationery", "stationery", "ノート、ペン 🖊️"),
)

EDGE_PRODUCTS: tuple[tuple[int, str, str | None, str], ...] = (  # category, name, description, price
    (2, 'Widget "Pro", 2-pack', 'Two widgets; each 3" wide, with a 1/4" thread.', "19.99"),
    (9, "Crème brûlée torch, 50 ml butane", "L'outil du chef, rechargeable.", "34.50"),
    (5, "Écouteurs sans fil 🎧", None, "89.00"),
    (12, "Free sample (no charge)", "", "0.00"),
    (12, "東京 Notebook A5", "方眼 5mm, 96 pages\nMade in Japan", "7.05"),
    (7, "The Book of \\Backslashes\\", "C:\\Users\\reader\\notes.txt, chapter 1", "12.30"),
)
ADJECTIVES = ("Classic", "Compact", "Deluxe", "Eco", "Ultra", "Mini", "Smart", "Vintage", "Organic", "Wireless",
              "Ergonomic", "Handmade", "Über", "Petit", "Gran")
NOUNS_BY_CATEGORY: dict[int, tuple[str, ...]] = {
    1: ("Atlas", "Cookbook", "Diary", "Anthology"), 2: ("Charger", "Cable", "Power Bank", "Smart Plug"),
    3: ("Kettle", "Knife Set", "Cutting Board", "Toaster"), 4: ("Scarf", "T-Shirt", "Rain Jacket", "Tote Bag"),
    5: ("Headphones", "Speaker", "Turntable", "Soundbar"), 6: ("Phone Case", "Tablet Stand", "Screen Protector"),
    7: ("Novel", "Short Stories", "Graphic Novel"), 8: ("Roman", "Bande dessinée", "Essai"),
    9: ("Espresso Beans", "Matcha", "French Press", "Teapot"), 10: ("Sneakers", "Boots", "Sandals"),
    11: ("Garden Hose", "Planter", "Deck Chair"), 12: ("Notebook", "Fountain Pen", "Washi Tape"),
}
DIGITAL_CATEGORIES = (7, 8)  # e-books: no weight
TAGS = ("new", "sale", "bestseller", "éco", "limited", "gift", "限定", "vegan", "refurbished")
DESCRIPTIONS = ("Great value.", "Made from recycled materials, 100% plastic-free.", "Ships in 2-3 days.",
                'Rated "excellent" by testers; comes with a 2-year warranty.',
                "Line one.\nLine two, with a comma.", "Lightweight — only the essentials.", "Très pratique !",
                "日本製・高品質", "Includes: 1 × unit, 2 × batteries; no tools needed.")

COUPONS: tuple[tuple[int, str, str, dt.date | None], ...] = (
    (1, "WELCOME10", "10.00", dt.date(2025, 12, 31)),
    (2, "SUMMER-15", "15.00", dt.date(2024, 9, 1)),
    (3, "VIP25", "25.00", None),
    (4, "HALF", "50.00", dt.date(2023, 11, 27)),
    (5, "ÉTÉ2024", "12.50", dt.date(2024, 8, 31)),
    (6, "FREESHIP", "0.00", None),
)

STATUSES = ("pending", "paid", "shipped", "delivered", "delivered", "delivered", "cancelled", "refunded")
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")
NOTES = ("Leave at the door, please.", 'Ring twice; the bell says "Dupont".', "Fragile!!! Handle with care, thanks.",
         "Back gate \\ side entrance", "Livraison après 18h, merci 🙏", "置き配希望", "Call me: +1 (555) 010-9999",
         "Two notes:\n1. gift wrap\n2. no invoice", "null", "Tab\tseparated, comma, separated")
GIFT_MESSAGES = ("Happy birthday! 🎂", "Joyeux Noël, mamie ❤️", "For you, \"with love\"", "お誕生日おめでとう", "")
REVIEW_TITLES = ("Great!", "Not bad, not great", "Exactly as described", "Terrible; broke after a week",
                 'Worth the "premium" price', "Très bien 👍", "最高", "Meh...", "")
REVIEW_BODIES = ("Works as expected.", "Arrived late, but the product is fine, I guess.",
                 'My kid said it\'s "the best thing ever". I agree, mostly.', "5 stars ⭐⭐⭐⭐⭐",
                 "Quality: good\nPrice: OK\nDelivery: slow", "C'est parfait, je recommande !",
                 "Returned it; the colour (\"navy\") was closer to black.", "とても使いやすいです。",
                 "Backslash test: C:\\temp\\review.txt", "")


# ------------------------------------------------------------------------------------- helpers

def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _at(rng: Random, start: dt.datetime, span_s: int) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.randrange(span_s))


def _postcode(rng: Random, pattern: str | None) -> str | None:
    if pattern is None:
        return None
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


# ------------------------------------------------------------------------------------- generate

def generate(scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Rows:
    """All rows of all example tables, parents before children, as tuples in COLUMNS order.

    Pure and deterministic. At scale 1: 200 customers, 50 products, 500 orders (about 1,500
    order items); counts grow linearly with `scale`.
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")
    rng = Random(seed)
    rows: Rows = {table: [] for table in TABLES}

    # customers ---------------------------------------------------------------------------
    n_customers = 200 * scale
    customer_created: dict[int, dt.datetime] = {}
    customer_names: dict[int, str] = {}
    for cid in range(1, n_customers + 1):
        if cid <= len(EDGE_CUSTOMERS):
            first, last, domain = EDGE_CUSTOMERS[cid - 1]
        else:
            first, last, domain = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(EMAIL_DOMAINS)
        local = _slug(f"{first}{last or ''}") or "user"
        plus = "+shop" if cid % 17 == 0 else ""
        email = f"{local}{plus}.{cid}@{domain}"
        phone_roll = rng.random()
        phone = (None if phone_roll < 0.3 else "" if phone_roll < 0.35
                 else f"+{rng.randrange(1, 99)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}")
        birth_roll = rng.random()
        birth = (dt.date(2000, 2, 29) if cid == 1 else None if birth_roll < 0.25
                 else dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(55 * 365)))
        pref_roll = rng.random()
        if pref_roll < 0.3:
            prefs = None
        elif pref_roll < 0.37:
            prefs = _json({})
        else:
            doc: dict[str, Any] = {"language": rng.choice(PREF_LANGUAGES), "newsletter": rng.random() < 0.5}
            if rng.random() < 0.5:
                doc["sizes"] = sorted(rng.sample(PREF_SIZES, rng.randrange(0, 3)))
            if rng.random() < 0.2:
                doc["nickname"] = None if rng.random() < 0.5 else first
            prefs = _json(doc)
        created = _at(rng, EPOCH, CUSTOMER_SPAN_S)
        updated = None if rng.random() < 0.4 else created + dt.timedelta(seconds=rng.randrange(1, 400 * 86400))
        customer_created[cid] = created
        customer_names[cid] = f"{first} {last}".strip() if last else first
        rows["customers"].append((cid, email, first, last, phone, int(rng.random() < 0.45),
                                  0 if rng.random() < 0.2 else rng.randrange(1, 5000), birth, prefs, created,
                                  updated))

    # addresses: 0-3 per customer (customers without one only place digital orders) ------------
    customer_addresses: dict[int, list[int]] = {cid: [] for cid in customer_created}
    aid = 0
    for cid in customer_created:
        count = 1 if cid <= 2 else rng.choice((0, 1, 1, 1, 2, 2, 3))
        for n in range(count):
            aid += 1
            city, country, pattern = rng.choice(CITIES)
            line2 = None if rng.random() < 0.6 else rng.choice(LINE2)
            rows["addresses"].append((aid, cid, rng.choice(LABELS), customer_names[cid],
                                      f"{rng.randrange(1, 300)} {rng.choice(STREETS)}", line2, city,
                                      _postcode(rng, pattern), country, int(n == 0)))
            customer_addresses[cid].append(aid)

    # categories (fixed, parents first) ---------------------------------------------------
    for order, (cat_id, parent, name, slug, description) in enumerate(CATEGORIES):
        rows["categories"].append((cat_id, parent, name, slug, description, order * 10))

    # products ------------------------------------------------------------------------------
    n_products = 50 * scale
    product_price: dict[int, Decimal] = {}
    for pid in range(1, n_products + 1):
        if pid <= len(EDGE_PRODUCTS):
            cat_id, name, description, price_text = EDGE_PRODUCTS[pid - 1]
            price = Decimal(price_text)
        else:
            cat_id = rng.choice(CATEGORIES)[0]
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS_BY_CATEGORY[cat_id])} {pid}"
            desc_roll = rng.random()
            description = None if desc_roll < 0.2 else "" if desc_roll < 0.25 else rng.choice(DESCRIPTIONS)
            price = _money(Decimal(rng.randrange(99, 49999)) / 100)
            if pid % 10 == 0:
                price = Decimal(f"{rng.randrange(5, 200)}.00")  # round prices keep their ".00"
        weight = None if cat_id in DIGITAL_CATEGORIES or rng.random() < 0.1 else rng.randrange(5, 25000)
        tag_roll = rng.random()
        tags = (None if tag_roll < 0.15 else _json([]) if tag_roll < 0.25
                else _json(rng.sample(TAGS, rng.randrange(1, 4))))
        product_price[pid] = price
        rows["products"].append((pid, cat_id, f"SKU-{pid:05d}", name, description, price, weight,
                                 0 if rng.random() < 0.1 else rng.randrange(1, 500), int(rng.random() >= 0.1),
                                 tags, _at(rng, EPOCH, 2 * 365 * 86400)))

    # coupons (fixed) -------------------------------------------------------------------------
    coupon_pct: dict[int, Decimal] = {}
    for coupon_id, code, pct, valid_until in COUPONS:
        coupon_pct[coupon_id] = Decimal(pct)
        rows["coupons"].append((coupon_id, code, Decimal(pct), valid_until))

    # orders and their items ----------------------------------------------------------------
    n_orders = 500 * scale
    product_ids = list(product_price)
    item_id = 0
    for oid in range(1, n_orders + 1):
        cid = 1 + rng.randrange(n_customers)
        status = "cancelled" if oid == 3 else rng.choice(STATUSES)
        addresses = customer_addresses[cid]
        digital = oid == 1 or not addresses or rng.random() < 0.1
        shipping_address = None if digital else rng.choice(addresses)
        coupon = 1 if oid == 2 else (rng.choice(COUPONS)[0] if rng.random() < 0.2 else None)
        is_gift = int(rng.random() < 0.1)
        n_lines = 0 if status == "cancelled" and (oid == 3 or rng.random() < 0.5) else rng.choice((1, 2, 3, 3, 4, 5, 5))
        subtotal = Decimal("0.00")
        for line_no, pid in enumerate(rng.sample(product_ids, n_lines), start=1):
            quantity = rng.choice((1, 1, 1, 2, 2, 3, 4, 10))
            unit_price = product_price[pid]
            if rng.random() < 0.1:  # price changed since the order
                unit_price = _money(unit_price * Decimal("0.9"))
            line_total = _money(unit_price * quantity)
            subtotal += line_total
            gift_message = rng.choice(GIFT_MESSAGES) if is_gift and line_no == 1 else None
            item_id += 1
            rows["order_items"].append((item_id, oid, line_no, pid, quantity, unit_price, line_total, gift_message))
        discount = _money(subtotal * coupon_pct[coupon] / 100) if coupon else Decimal("0.00")
        shipping_fee = Decimal("0.00") if digital or subtotal >= 50 or n_lines == 0 else Decimal("4.90")
        notes_roll = rng.random()
        notes = "null" if oid == 4 else None if notes_roll < 0.7 else "" if notes_roll < 0.75 else rng.choice(NOTES)
        placed = _at(rng, customer_created[cid], 400 * 86400)
        shipped = (placed + dt.timedelta(seconds=rng.randrange(3600, 5 * 86400))
                   if status in ("shipped", "delivered") else None)
        rows["orders"].append((oid, cid, shipping_address, coupon, status, rng.choice(CURRENCIES), subtotal, discount,
                               shipping_fee, subtotal - discount + shipping_fee, is_gift, notes, placed, shipped))

    # reviews ---------------------------------------------------------------------------------
    n_reviews = 150 * scale
    for rid in range(1, n_reviews + 1):
        pid = rng.choice(product_ids)
        customer = None if rid == 1 or rng.random() < 0.15 else 1 + rng.randrange(n_customers)
        title_roll = rng.random()
        title = None if title_roll < 0.2 else rng.choice(REVIEW_TITLES)
        rows["reviews"].append((rid, pid, customer, rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), title,
                                rng.choice(REVIEW_BODIES), int(customer is not None and rng.random() < 0.6),
                                _at(rng, EPOCH + dt.timedelta(days=30), 3 * 365 * 86400)))
    return rows


# ------------------------------------------------------------------ load and CLI (examples/seedkit.py)

sys.path.insert(0, str(HERE.parent))
import seedkit  # noqa: E402 - shared by the examples (stdlib + pymysql)

EXAMPLE = seedkit.Example(name="shop", schema=SCHEMA_SQL, tables=TABLES, columns=COLUMNS, generate=generate,
                          default_scale=DEFAULT_SCALE, default_seed=DEFAULT_SEED,
                          scale_help="multiplier: 200 customers, 50 products, 500 orders per unit")


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
