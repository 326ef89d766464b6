"""The shop example's items computed the plain way from the raw MySQL rows, for tests that
check what migrator loaded (read back with boto3) against something it did not compute."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sys
from collections.abc import Iterator
from typing import Any

import pymysql

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "examples" / "shop"))
import seed  # noqa: F401  (re-exported: the example's own loader)

CONTRACT = REPO / "examples" / "shop" / "contract.json"
SOURCE_TABLES = ("categories", "addresses", "coupons", "customers", "products")


def raw_rows(conn: pymysql.Connection, doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the contract reads (its sources and their join partners)."""
    raw: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor() as cur:
        for name in sorted({t["source_table"] for t in doc["tables"]} | set(SOURCE_TABLES)):
            cur.execute(f"SELECT * FROM `{name}`")
            cols = [d[0] for d in cur.description]
            raw[name] = [dict(zip(cols, r)) for r in cur.fetchall()]
    return raw


def key_of(table: dict[str, Any], item: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(item[k]) for k in [table["pk"]] + ([table["sk"]] if table.get("sk") else []))


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _expected_value(kind: str, value: Any) -> Any:
    """The Python value boto3's deserializer should give back for a MySQL value (docs/contract.md)."""
    if value is None:
        return None
    if kind == "S":
        if isinstance(value, dt.datetime):
            return _iso(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    if kind == "N":
        return decimal.Decimal(str(value))
    if kind == "BOOL":
        return bool(value)
    if kind in ("M", "L"):
        return json.loads(value, parse_float=decimal.Decimal, parse_int=decimal.Decimal)
    raise AssertionError(kind)


def _format(template: str, row: dict[str, Any]) -> str | None:
    out, rest = "", template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        if row.get(name) is None:
            return None
        out += head + str(row[name])
    return out + rest


def expected_items(doc: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Every table's items from the raw rows, computed the plain way."""
    by_id = {t: {r["id"]: r for r in rs} for t, rs in rows.items() if rs and "id" in rs[0]}
    out: dict[str, list[dict[str, Any]]] = {}
    for table in doc["tables"]:
        items = []
        for row in rows[table["source_table"]]:
            item: dict[str, Any] = {}
            for attr in table["attributes"]:
                join, tf = attr.get("join"), attr.get("transformation")
                if join:
                    target = join["target_table"]
                    fk = row.get(attr["source_column"])
                    partner = by_id[target].get(fk) if fk is not None else None
                    raw = partner[join["select_column"].split(".")[1]] if partner else None
                elif tf:
                    raw = _format(tf["format"], {**row, **dict(item.items())})
                else:
                    raw = row[attr["source_column"]]
                value = _expected_value(attr["type"], raw)
                if value is not None:
                    item[attr["name"]] = value
            items.append(item)
        out[table["table"]] = items
    return out




def stored_and_expected(ddb: Any, doc: dict[str, Any], raw: dict[str, list[dict[str, Any]]]
                        ) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per table of the contract: (table, its items read with boto3, the items the raw rows give),
    both sorted by key, so a test compares them with ==."""
    from tests.helpers import scan_items

    want = expected_items(doc, raw)
    for table in doc["tables"]:
        keys = [table["pk"]] + ([table["sk"]] if table.get("sk") else [])
        got = sorted(scan_items(ddb, table["table"]), key=lambda i: tuple(str(i[k]) for k in keys))
        exp = sorted(want[table["table"]], key=lambda i: tuple(str(i[k]) for k in keys))
        yield table, got, exp
