"""Contract tables using each pattern, over the tables of `support.TABLES`.

Each builder takes the parts a test draws (literals, thresholds, formats, ...) and returns
one contract table document. The fragments are written from those parts, so the
reference evaluates exactly what the test meant. `every_pattern()` returns fixed
instances of all of them (for the determinism and parse tests).
"""

from __future__ import annotations

from typing import Any

from tests.patterns.support import attr, lit, single

Doc = dict[str, Any]


def fk(target: str, condition: str, select: str, **extra: Any) -> dict[str, Any]:
    return {"type": "foreign-key", "target_table": target, "join_condition": condition, "select_column": select,
            **extra}


# =============================================================================== joins

def foreign_key_table() -> Doc:
    """Foreign keys incl. NULL and dangling ones; three joins to one table (aliases must not collide)."""
    return single("FkOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("customer_name", "S", "orders", "customer_id",
             join=fk("customers", "customers.id = orders.customer_id", "customers.name")),
        attr("customer_balance", "N", "orders", "customer_id",
             join=fk("customers", "customers.id = orders.customer_id", "customers.balance")),
        attr("customer_created", "S", "orders", "customer_id",
             join=fk("customers", "orders.customer_id = customers.id", "customers.created")),
        attr("billing_city", "S", "orders", "billing_address_id",
             join=fk("addresses", "orders.billing_address_id = addresses.id", "addresses.city")),
        attr("shipping_city", "S", "orders", "shipping_address_id",
             join=fk("addresses", "addresses.id = orders.shipping_address_id", "addresses.city")),
        attr("shipping_street", "S", "orders", "shipping_address_id",
             join=fk("addresses", "addresses.id = orders.shipping_address_id", "addresses.street")),
        attr("note", "S", "orders", "note"),
    ])


def lookup_table() -> Doc:
    return single("LookupOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("status_label", "S", "orders", "status_code",
             join={"type": "lookup-table", "target_table": "order_statuses",
                   "join_condition": "order_statuses.code = orders.status_code", "select_column": "order_statuses.label"}),
        attr("status_code", "N", "orders", "status_code"),
    ])


def multi_column_table() -> Doc:
    conditions = ["regions.country = customers.country", "customers.region_code = regions.code"]
    return single("MultiCustomers", "customers", [
        attr("id", "N", "customers", "id"),
        attr("region_name", "S", "customers", "region_code",
             join={"type": "multi-column", "target_table": "regions", "join_conditions": conditions,
                   "select_column": "regions.name"}),
        attr("region_label", "S", "customers", "region_code",
             join={"type": "multi-column", "target_table": "regions", "join_conditions": conditions,
                   "select_column": "CONCAT(regions.name, ' @ ', regions.country, '/', regions.code)"}),
        attr("region_number", "N", "customers", "region_code",
             join={"type": "multi-column", "target_table": "regions", "join_conditions": conditions,
                   "select_column": "regions.code * 10 + 1"}),
    ])


def self_join_table(null_value: str) -> Doc:
    """Two self-joins of employees (a manager with null_value, a mentor without)."""
    return single("Staff", "employees", [
        attr("id", "N", "employees", "id"),
        attr("manager_name", "S", "employees", "manager_id",
             join={"type": "self-join", "join_alias": "boss", "join_condition": "boss.id = employees.manager_id",
                   "select_column": "boss.name", "null_value": null_value}),
        attr("mentor_salary", "N", "employees", "mentor_id",
             join={"type": "self-join", "join_alias": "mentor", "join_condition": "employees.mentor_id = mentor.id",
                   "select_column": "mentor.salary"}),
        attr("name", "S", "employees", "name"),
    ])


def self_reference_table() -> Doc:
    """Joins from categories to categories written without an alias (resolved by the primary key)."""
    return single("CategoryParents", "categories", [
        attr("id", "N", "categories", "id"),
        attr("parent_name", "S", "categories", "parent_id",
             join=fk("categories", "categories.id = categories.parent_id", "categories.name")),
        attr("parent_or_root", "S", "categories", "parent_id",
             join={"type": "conditional", "condition": "categories.parent_id IS NOT NULL",
                   "target_table": "categories", "join_condition": "categories.id = categories.parent_id",
                   "select_column": "categories.name", "else_value": "'ROOT'"}),
    ])


def hierarchy(value: str, **extra: Any) -> dict[str, Any]:
    return {"table": "categories", "parent_column": "parent_id", "value": value, **extra}


def hierarchy_table(separator: str, max_depth: int) -> Doc:
    """Path, depth and root of every category (the `hierarchy` extension), the walk cut at max_depth."""
    return single("CategoryTree", "categories", [
        attr("id", "N", "categories", "id"),
        attr("path", "S", "categories", "id",
             hierarchy=hierarchy("path", path_column="name", separator=separator, max_depth=max_depth)),
        attr("depth", "N", "categories", "id", hierarchy=hierarchy("depth", max_depth=max_depth)),
        attr("root_id", "N", "categories", "id", hierarchy=hierarchy("root_id", id_column="id", max_depth=max_depth)),
        attr("label", "S", "categories", "id",
             hierarchy=hierarchy("path", path_column="name", max_depth=max_depth),
             transformation={"type": "string-format", "format": "CAT#{label}"}),
    ])


def product_paths_table() -> Doc:
    """The path of each product's category: the walk starts at a foreign key of another table."""
    return single("ProductPaths", "products", [
        attr("id", "N", "products", "id"),
        attr("category_path", "S", "products", "category_id",
             hierarchy=hierarchy("path", path_column="name", separator=" > ")),
        attr("category_depth", "N", "products", "category_id", hierarchy=hierarchy("depth")),
    ])


def conditional_table(else_text: str | None, threshold: str) -> Doc:
    """`else_text` None: the else branch is a column of the source row; else a literal."""
    return single("CondOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("who", "S", "orders", "customer_id",
             join={"type": "conditional", "condition": "orders.kind = 1", "target_table": "customers",
                   "join_condition": "customers.id = orders.customer_id", "select_column": "customers.name",
                   "else_value": "orders.note" if else_text is None else lit(else_text)}),
        attr("money", "N", "orders", "customer_id",
             join={"type": "conditional", "condition": f"orders.amount > {threshold} OR orders.kind IS NULL",
                   "target_table": "customers", "join_condition": "orders.customer_id = customers.id",
                   "select_column": "customers.balance", "else_value": "orders.amount"}),
    ])


CHAIN3 = [
    {"target_table": "products", "join_condition": "products.id = order_items.product_id",
     "select_column": "products.name"},
    {"target_table": "categories", "join_condition": "categories.id = products.category_id",
     "select_column": "categories.name"},
    {"target_table": "departments", "join_condition": "departments.id = categories.department_id",
     "select_column": "departments.name"},
]
CHAIN2 = [
    {"target_table": "products", "join_condition": "order_items.product_id = products.id",
     "select_column": "products.id"},
    {"target_table": "categories", "join_condition": "products.category_id = categories.id",
     "select_column": "categories.name"},
]


def chain_table(separator: str, separator2: str) -> Doc:
    return single("ChainItems", "order_items", [
        attr("id", "N", "order_items", "id"),
        attr("path", "S", "order_items", "product_id",
             join={"type": "chain", "joins": CHAIN3, "chain_separator": separator}),
        attr("department", "S", "order_items", "product_id", join={"type": "chain", "joins": CHAIN3}),
        attr("product_and_category", "S", "order_items", "product_id",
             join={"type": "chain", "joins": CHAIN2, "chain_separator": separator2}),
        attr("category_name", "S", "order_items", "product_id", join={"type": "chain", "joins": CHAIN2}),
    ])


def revisiting_chain_table(separator: str) -> Doc:
    """Chains that come back to a table already on the path, each step constrained by the one before:
    my manager's mentor (employees three times), and my category's grandparent's department."""
    boss_mentor = [
        {"target_table": "employees", "join_condition": "employees.id = employees.manager_id",
         "select_column": "employees.name"},
        {"target_table": "employees", "join_condition": "employees.mentor_id = employees.id",
         "select_column": "employees.name"},
    ]
    return single("BossMentors", "employees", [
        attr("id", "N", "employees", "id"),
        attr("boss_and_mentor", "S", "employees", "manager_id",
             join={"type": "chain", "joins": boss_mentor, "chain_separator": separator}),
        attr("boss_mentor_salary", "N", "employees", "manager_id",
             join={"type": "chain", "joins": [boss_mentor[0], {**boss_mentor[1], "select_column": "salary"}]}),
    ])


def grandparent_chain_table() -> Doc:
    """categories -> parent -> grandparent -> its department: two steps join categories to categories."""
    return single("Grandparents", "categories", [
        attr("id", "N", "categories", "id"),
        attr("grandparent_department", "S", "categories", "parent_id", join={"type": "chain", "joins": [
            {"target_table": "categories", "join_condition": "categories.id = categories.parent_id",
             "select_column": "categories.name"},
            {"target_table": "categories", "join_condition": "categories.parent_id = categories.id",
             "select_column": "categories.name"},
            {"target_table": "departments", "join_condition": "departments.id = categories.department_id",
             "select_column": "departments.name"}], "chain_separator": " / "}),
    ])

ODD_KEY = "l'été \"€\" \\ 汉"


def json_construction_table(limit: int | None) -> Doc:
    items = "order_items.order_id = orders.id"
    first = {"type": "array", "select_columns": {"id": "id", "qty": "qty", "price": "price", "label": "label",
                                                  "added": "added", ODD_KEY: "order_items.rank_no"},
             "order_by": "rank_no, qty DESC"}
    if limit is not None:
        first["limit"] = limit
    return single("JsonOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("items", "L", "orders", "id",
             join={"type": "json-construction", "target_table": "order_items", "join_condition": items,
                   "construction": first}),
        attr("labels_by_added", "L", "orders", "id",
             join={"type": "json-construction", "target_table": "order_items", "join_condition": items,
                   "construction": {"type": "array", "select_columns": {"label": "label", "added": "added"},
                                    "order_by": "added DESC"}}),
        attr("totals", "L", "orders", "id",
             join={"type": "json-construction", "target_table": "order_items", "join_condition": items,
                   "construction": {"type": "array", "select_columns": {"id": "id", "total": "price * qty"}}}),
        attr("first_item", "M", "orders", "id",
             join={"type": "json-construction", "target_table": "order_items", "join_condition": items,
                   "construction": {"type": "object", "select_columns": {"id": "id", "label": "label"},
                                    "order_by": "qty DESC, added"}}),
        attr("status", "S", "orders", "status"),
    ])


# =============================================================================== calculations

def agg(target: str, condition: str, op: str, select: str) -> dict[str, Any]:
    return {"type": "aggregate", "target_table": target, "join_condition": condition, "operation": op,
            "select_column": select}


def aggregate_table() -> Doc:
    cond = "orders.customer_id = customers.id"
    return single("AggCustomers", "customers", [
        attr("id", "N", "customers", "id"),
        attr("order_count", "N", "customers", "id", calculation=agg("orders", cond, "COUNT", "orders.id")),
        attr("shipped_count", "N", "customers", "id", calculation=agg("orders", cond, "COUNT", "orders.shipped")),
        attr("amount_sum", "N", "customers", "id", calculation=agg("orders", cond, "SUM", "orders.amount")),
        attr("amount_avg", "N", "customers", "id", calculation=agg("orders", cond, "AVG", "orders.amount")),
        attr("qty_sum", "N", "customers", "id", calculation=agg("orders", cond, "SUM", "orders.qty")),
        attr("qty_avg", "N", "customers", "id", calculation=agg("orders", cond, "AVG", "orders.qty")),
        attr("first_order", "S", "customers", "id", calculation=agg("orders", cond, "MIN", "orders.created")),
        attr("max_qty", "N", "customers", "id", calculation=agg("orders", cond, "MAX", "orders.qty")),
        attr("min_amount", "N", "customers", "id", calculation=agg("orders", cond, "MIN", "orders.amount")),
        attr("region_name", "S", "customers", "region_code",
             join={"type": "multi-column", "target_table": "regions",
                   "join_conditions": ["regions.country = customers.country", "regions.code = customers.region_code"],
                   "select_column": "regions.name"}),
    ])


def children_table() -> Doc:
    return single("CategoryCounts", "categories", [
        attr("id", "N", "categories", "id"),
        attr("children_count", "N", "categories", "id",
             calculation=agg("categories", "categories.parent_id = categories.id", "COUNT", "categories.id")),
        attr("max_child_id", "N", "categories", "id",
             calculation=agg("categories", "categories.parent_id = categories.id", "MAX", "categories.id")),
        attr("product_count", "N", "categories", "id",
             calculation=agg("products", "products.category_id = categories.id", "COUNT", "products.id")),
        attr("name", "S", "categories", "name"),
    ])


def case_table(threshold: str, thens: list[str], otherwise: str | None) -> Doc:
    size: dict[str, Any] = {"type": "case", "cases": [
        {"when": f"amount > {threshold}", "then": lit(thens[0])},
        {"when": "status = 'paid'", "then": lit(thens[1])},
        {"when": "qty IS NULL", "then": lit(thens[2])},
    ]}
    if otherwise is not None:
        size["else"] = lit(otherwise)
    return single("CaseOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("size", "S", "orders", "amount", calculation=size),
        attr("qty_or_zero", "N", "orders", "qty", calculation={"type": "case", "cases": [
            {"when": "kind = 1 AND qty > 0", "then": "qty"},
            {"when": "kind = 2 OR qty < -2", "then": "qty * 2"}], "else": "0"}),
        attr("no_else", "S", "orders", "status", calculation={"type": "case", "cases": [
            {"when": "NOT (kind = 0)", "then": "note"}]}),
    ])


def concat_table(parts: list[str], separator: str | None) -> Doc:
    calc: dict[str, Any] = {"type": "concat", "parts": parts}
    if separator is not None:
        calc["separator"] = separator
    return single("ConcatCustomers", "customers", [
        attr("id", "N", "customers", "id"),
        attr("display", "S", "customers", "name", calculation=calc),
        attr("tier_label", "S", "customers", "tier", calculation={"type": "case", "cases": [
            {"when": "tier > 0", "then": "'gold \"★\"'"}], "else": "'basic'"}),
        attr("name_email", "S", "customers", "name",
             calculation={"type": "concat", "parts": ["name", "' <'", "email", "'>'"]}),
    ])


def date_math_table(unit: str, value: int, unit2: str, value2: int, unit3: str, unit4: str) -> Doc:
    return single("DateOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("later", "S", "orders", "created",
             calculation={"type": "date-math", "operation": "add", "unit": unit, "value": value}),
        attr("earlier", "S", "orders", "created",
             calculation={"type": "date-math", "operation": "subtract", "unit": unit, "value": value}),
        attr("delayed", "S", "orders", "created",
             calculation={"type": "date-math", "operation": "add", "unit": unit3, "other_column": "delay_days"}),
        attr("due_moved", "S", "orders", "due",
             calculation={"type": "date-math", "operation": "add", "unit": unit2, "value": value2}),
        attr("transit", "N", "orders", "shipped",
             calculation={"type": "date-math", "operation": "diff", "unit": unit4, "other_column": "created"}),
    ])


def date_diff_constant_table(unit: str, start: str) -> Doc:
    return single("DateDiffOrders", "orders", [
        attr("id", "N", "orders", "id"),
        attr("since", "N", "orders", "created",
             calculation={"type": "date-math", "operation": "diff", "unit": unit, "value": start}),
    ])


# =============================================================================== transformations

def sf(fmt: str) -> dict[str, Any]:
    return {"type": "string-format", "format": fmt}


def string_format_table(prefix: str, constant: str) -> Doc:
    return single("FormatOrders", "orders", [
        attr("PK", "S", "orders", "id", transformation=sf("ORDER#{id}")),
        attr("SK", "S", "orders", "created", transformation=sf(prefix + "{created}#{customer_name}")),
        attr("customer_name", "S", "orders", "customer_id",
             join=fk("customers", "customers.id = orders.customer_id", "customers.name")),
        attr("amount", "S", "orders", "amount", transformation=sf("{amount} € {qty}")),
        attr("due_key", "S", "orders", "due", transformation=sf("D#{due}")),
        attr("meta", "S", "orders", "id", transformation=sf(constant)),
        attr("note_key", "S", "orders", "note", transformation=sf("{note}|{status}")),
        attr("shipped_key", "S", "orders", "shipped", transformation=sf("{shipped}")),
        attr("amount_ref", "S", "orders", "qty", transformation=sf("{amount}/{PK}")),
    ], pk="PK", sk="SK")


def df(fmt: str, source_format: str | None) -> dict[str, Any]:
    out = {"type": "date-format", "format": fmt}
    if source_format is not None:
        out["source_format"] = source_format
    return out


def date_format_table(formats: list[str]) -> Doc:
    return single("DateFormats", "customers", [
        attr("id", "N", "customers", "id"),
        attr("created_fmt", "S", "customers", "created", transformation=df(formats[0], "timestamp")),
        attr("born_fmt", "S", "customers", "born", transformation=df(formats[1], "date")),
        attr("epoch_fmt", "S", "customers", "signup_epoch", transformation=df(formats[2], "epoch_seconds")),
        attr("millis_fmt", "S", "customers", "signup_ms", transformation=df(formats[3], "epoch_millis")),
        attr("created_iso", "S", "customers", "created", transformation=df("ISO8601", "timestamp")),
        attr("epoch_iso", "S", "customers", "signup_epoch", transformation=df("ISO8601", "epoch_seconds")),
        attr("millis_iso", "S", "customers", "signup_ms", transformation=df("ISO8601", "epoch_millis")),
        attr("created_default", "S", "customers", "created", transformation=df(formats[4], None)),
    ])


def nf(decimals: int | None = None, pad: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "number-format"}
    if decimals is not None:
        out["decimals"] = decimals
    if pad is not None:
        out["pad"] = pad
    return out


def number_format_table(d1: int, d2: int, p1: int, d3: int, p2: int, p3: int) -> Doc:
    return single("NumberCustomers", "customers", [
        attr("id", "N", "customers", "id"),
        attr("balance_text", "S", "customers", "balance", transformation=nf(decimals=d1)),
        attr("balance_number", "N", "customers", "balance", transformation=nf(decimals=d2)),
        attr("tier_padded", "S", "customers", "tier", transformation=nf(pad=p1)),
        attr("balance_padded", "S", "customers", "balance", transformation=nf(decimals=d3, pad=p2)),
        attr("balance_pad_only", "S", "customers", "balance", transformation=nf(pad=p3)),
        attr("tier_decimals", "S", "customers", "tier", transformation=nf(decimals=2)),
    ])


def json_parse_table() -> Doc:
    return single("JsonPrefs", "customers", [
        attr("id", "N", "customers", "id"),
        attr("prefs", "M", "customers", "prefs", transformation={"type": "json-parse"}),
        attr("prefs_list", "L", "customers", "prefs", transformation={"type": "json-parse"}),
    ])


# =============================================================================== multi-entity

def multi_entity_table() -> Doc:
    return {"table": "Shop", "type": "multi-entity", "source_table": "customers", "pk": "PK", "sk": "SK",
            "satisfies": ["AP1"], "estimated_item_size_bytes": 300, "entities": [
                {"entity_type": "CUSTOMER", "source_table": "customers", "pk_template": "CUST#{id}",
                 "sk_template": "#META#{name}", "attributes": [
                     attr("name", "S", "customers", "name", transformation=sf("N:{name}")),
                     attr("email", "S", "customers", "email"),
                     attr("created", "S", "customers", "created"),
                 ]},
                {"entity_type": "ORDER", "source_table": "orders", "pk_template": "CUST#{customer_id}",
                 "sk_template": "ORDER#{created}#{order_no}", "attributes": [
                     attr("order_no", "S", "orders", "id", transformation=nf(pad=5)),
                     attr("amount", "N", "orders", "amount"),
                     attr("customer_name", "S", "orders", "customer_id",
                          join=fk("customers", "customers.id = orders.customer_id", "customers.name")),
                 ]},
            ]}


def explicit_key_table() -> Doc:
    return {"table": "Users", "type": "multi-entity", "source_table": "customers", "pk": "PK", "sk": "SK",
            "satisfies": ["AP1"], "estimated_item_size_bytes": 300, "entities": [
                {"entity_type": "USER", "source_table": "customers", "pk_template": "U#{id}",
                 "sk_template": "#META", "attributes": [
                     attr("PK", "S", "customers", "email", transformation=sf("USER#{email}")),
                     attr("name", "S", "customers", "name"),
                 ]},
                {"entity_type": "ADDRESS", "source_table": "addresses", "pk_template": "ADDR#{id}",
                 "sk_template": "X#{street}", "attributes": [
                     attr("SK", "S", "addresses", "street"),
                     attr("city", "S", "addresses", "city"),
                 ]},
            ]}


# =============================================================================== all of them

def every_pattern() -> list[Doc]:
    """Fixed instances of every builder (distinct table names)."""
    return [
        foreign_key_table(), lookup_table(), multi_column_table(), self_join_table("it's \"none\" \\ ∅"),
        self_reference_table(), conditional_table("n/a 'x'", "100.50"),
        {**conditional_table(None, "0"), "table": "CondOrdersElseColumn"},
        chain_table(" > ", ", "), json_construction_table(2), aggregate_table(), children_table(),
        case_table("100", ["big 'B'", "paid \"P\"", "∅ \\ n"], "other"), concat_table(
            ["name", "' # '", "created", "born", "balance", "tier_label", "\"q\"\"d\""], ", "),
        date_math_table("MONTH", 1, "HOUR", 5, "DAY", "DAY"),
        string_format_table("C%'\"\\汉#", "#META"), date_format_table(
            ["YYYY-MM-DDTHH:mm:ss.SSS", "DD/MM/YYYY", "YYYY%MM", "HH:mm:ss.SSS", "YYYY年MM月DD日"]),
        number_format_table(2, 1, 5, 2, 6, 4), json_parse_table(), multi_entity_table(), explicit_key_table(),
        hierarchy_table(" / ", 8), product_paths_table(),
    ]
