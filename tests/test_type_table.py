"""The column type x attribute type table (compile/types.py), cell by cell, against real MariaDB columns.

One table holds a column of every MySQL/MariaDB type with representative values (NULL, empty,
non-UTF-8 bytes, points and polygons, SETs of several members, BIT(1) 0/1, BIT(12)). For every
(column, DynamoDB type) pair a one-attribute contract is compiled: where this test's own table
(`FITS`) says the pair does not fit, the plan error must name column, type and what fits, and
each type it suggests must compile; where it fits, the view is created on MariaDB, read, mapped
by the runtime (with the specs the plan gives the load) and compared with the value computed
here in Python from the raw value inserted (GeoJSON, WKT and WKB written by hand).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from migrator.compile.contract import entity_plans, item_spec
from migrator.compile.names import view_name
from migrator.compile.views import compile_view
from migrator.findings import Severity
from migrator.mysql_schema import schema_from_doc, server_info_from_doc
from migrator.mysql_schema import SchemaInfo, ServerInfo
from migrator.runtime.items import RowRejected, to_item
from migrator.runtime.spec import ItemSpec
from migrator.servers.mysql import MySQLTools, Settings
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items
from tests.patterns.support import model

TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
ABSENT = object()


@dataclass(frozen=True)
class Reject:
    reason: str


# ============================================================================ geometry, by hand

def _wkb(g: tuple) -> bytes:
    kind, body = g
    if kind == "Point":
        return struct.pack("<BIdd", 1, 1, *body)
    if kind == "LineString":
        return struct.pack("<BII", 1, 2, len(body)) + b"".join(struct.pack("<dd", *p) for p in body)
    if kind == "Polygon":
        return struct.pack("<BII", 1, 3, len(body)) + b"".join(
            struct.pack("<I", len(r)) + b"".join(struct.pack("<dd", *p) for p in r) for r in body)
    code = {"MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6, "GeometryCollection": 7}[kind]
    return struct.pack("<BII", 1, code, len(body)) + b"".join(_wkb(part) for part in body)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _wkt_body(g: tuple) -> str:
    kind, body = g
    pts = lambda ps: ",".join(f"{_num(x)} {_num(y)}" for x, y in ps)  # noqa: E731
    if kind == "Point":
        return f"{_num(body[0])} {_num(body[1])}"
    if kind == "LineString":
        return pts(body)
    if kind == "Polygon":
        return ",".join(f"({pts(r)})" for r in body)
    if kind == "MultiPoint":
        return ",".join(_wkt_body(p) for p in body)
    if kind in ("MultiLineString", "MultiPolygon"):
        return ",".join(f"({_wkt_body(p)})" for p in body)
    return ",".join(_wkt(p) for p in body)


def _wkt(g: tuple) -> str:
    return f"{g[0].upper()}({_wkt_body(g)})"


def _geojson(g: tuple) -> dict[str, Any]:
    kind, body = g
    if kind == "GeometryCollection":
        return {"type": kind, "geometries": [_geojson(p) for p in body]}
    coords: Any = {"Point": lambda b: list(b), "LineString": lambda b: [list(p) for p in b],
                   "Polygon": lambda b: [[list(p) for p in r] for r in b],
                   "MultiPoint": lambda b: [list(p[1]) for p in b],
                   "MultiLineString": lambda b: [[list(q) for q in p[1]] for p in b],
                   "MultiPolygon": lambda b: [[[list(q) for q in r] for r in p[1]] for p in b]}[kind](body)
    return {"type": kind, "coordinates": coords}


P1 = ("Point", (1, 2))
P2 = ("Point", (1.5, -2))
LS = ("LineString", ((0, 0), (1, 1), (2, 0)))
PG = ("Polygon", (((0, 0), (4, 0), (4, 4), (0, 4), (0, 0)), ((1, 1), (2, 1), (2, 2), (1, 1))))
MP = ("MultiPoint", (("Point", (1, 1)), ("Point", (2, 2))))
ML = ("MultiLineString", (("LineString", ((0, 0), (1, 1))), ("LineString", ((2, 2), (3, 3)))))
MPG = ("MultiPolygon", (("Polygon", (((0, 0), (1, 0), (1, 1), (0, 0)),)),
                        ("Polygon", (((5, 5), (6, 5), (6, 6), (5, 5)),))))
GC = ("GeometryCollection", (P1, ("LineString", ((0, 0), (1, 1)))))


# ============================================================================ the independent model

def _dynamo_doc(v: Any) -> dict[str, Any]:
    if v is None:
        return {"NULL": True}
    if isinstance(v, bool):
        return {"BOOL": v}
    if isinstance(v, (int, float, Decimal)):
        return {"N": str(Decimal(str(v)))}
    if isinstance(v, str):
        return {"S": v}
    if isinstance(v, dict):
        return {"M": {k: _dynamo_doc(e) for k, e in v.items()}}
    return {"L": [_dynamo_doc(e) for e in v]}


_NUMERIC = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*\Z")


def _json_of(text: str, wanted: type | tuple[type, ...], reason: str) -> Any:
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        return Reject("invalid_json")
    return parsed if isinstance(parsed, wanted) else Reject(reason)


def _set_of(elements: list[Any], kind: str) -> Any:
    if not elements:
        return ABSENT
    if kind == "SS":
        return {"SS": sorted({str(e) for e in elements})}
    if kind == "BS":
        return {"BS": sorted({str(e).encode() for e in elements})}
    if not all(_NUMERIC.match(str(e)) for e in elements):
        return Reject("not_a_number")
    return {"NS": sorted({str(Decimal(str(e))) for e in elements}, key=Decimal)}


def text_model(kind: str, v: str) -> Any:
    if kind == "S":
        return {"S": v}
    if kind == "N":
        return {"N": v.strip()} if _NUMERIC.match(v) else Reject("not_a_number")
    if kind == "B":
        return {"B": v.encode()}
    if kind == "BOOL":
        low = v.strip().lower()
        return {"BOOL": low in ("1", "true")} if low in ("0", "1", "true", "false") else Reject("not_boolean")
    if kind in ("M", "L"):
        parsed = _json_of(v, dict if kind == "M" else list, "wrong_json_type")
        return parsed if isinstance(parsed, Reject) else _dynamo_doc(parsed)
    parsed = _json_of(v, list, "invalid_set")
    return parsed if isinstance(parsed, Reject) else _set_of(parsed, kind)


def int_model(kind: str, v: int) -> Any:
    if kind == "BOOL":
        return {"BOOL": v == 1} if v in (0, 1) else Reject("not_boolean")
    return {kind: str(v)}


def number_model(scale: int | None) -> Any:
    def fn(kind: str, v: Any) -> Any:
        text = f"{Decimal(v):.{scale}f}" if scale is not None else repr(float(v))
        return {kind: text}
    return fn


def bits_model(width: int) -> Any:
    def fn(kind: str, v: int) -> Any:
        if kind == "BOOL":
            return {"BOOL": v == 1}
        if kind == "N":
            return {"N": str(v)}
        return {"B": v.to_bytes((width + 7) // 8, "big")}
    return fn


def binary_model(size: int | None) -> Any:
    return lambda kind, v: {"B": v.ljust(size, b"\0") if size else v}


def set_model(kind: str, v: str) -> Any:
    return {"S": v} if kind == "S" else _set_of(v.split(",") if v else [], kind)


def geometry_model(kind: str, g: tuple) -> Any:
    if kind == "M":
        return _dynamo_doc(_geojson(g))
    if kind == "S":
        return {"S": _wkt(g)}
    return {"B": _wkb(g)}


def iso(kind: str, v: str) -> Any:
    when = dt.datetime.fromisoformat(v)
    return {"S": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"}


# ============================================================================ the columns

INTEGER_FITS = {"S", "N", "BOOL"}
TEXT_FITS = set(TYPES) - {"NULL"}
GEOMETRY_FITS = {"M", "S", "B"}


@dataclass(frozen=True)
class Col:
    name: str
    ddl: str
    values: tuple[Any, ...]          # rows 1..4 as inserted (None: NULL)
    fits: frozenset[str]             # this test's own table: which types fit (NULL always does)
    expect: Any                      # (attribute type, raw value) -> expected attribute value / Reject / ABSENT
    sql: Any = None                  # raw value -> SQL literal, when not a plain parameter


def cols() -> list[Col]:
    g = lambda geom: f"ST_GeomFromText('{_wkt(geom)}')"  # noqa: E731
    return [
        Col("c_tinyint", "TINYINT", (1, None, 0, -5), frozenset(INTEGER_FITS), int_model),
        Col("c_smallint", "SMALLINT", (300, None, 0, -1), frozenset(INTEGER_FITS), int_model),
        Col("c_mediumint", "MEDIUMINT", (70000, None, 1, 0), frozenset(INTEGER_FITS), int_model),
        Col("c_int", "INT", (42, None, 1, -2147483648), frozenset(INTEGER_FITS), int_model),
        Col("c_bigint", "BIGINT", (9007199254740993, None, 0, -1), frozenset(INTEGER_FITS), int_model),
        Col("c_ubigint", "BIGINT UNSIGNED", (18446744073709551615, None, 1, 0), frozenset(INTEGER_FITS), int_model),
        Col("c_boolean", "BOOLEAN", (1, None, 0, 1), frozenset(INTEGER_FITS), int_model),
        Col("c_decimal", "DECIMAL(10,2)", ("12.30", None, "0.00", "-5.05"), frozenset({"S", "N"}), number_model(2)),
        Col("c_float", "FLOAT", (1.5, None, 0.0, -2.25), frozenset({"S", "N"}), number_model(None)),
        Col("c_double", "DOUBLE", (0.1, None, 0.0, -3.5), frozenset({"S", "N"}), number_model(None)),
        Col("c_bit1", "BIT(1)", (1, None, 0, 1), frozenset({"BOOL", "N", "B"}), bits_model(1)),
        Col("c_bit12", "BIT(12)", (2730, None, 0, 4095), frozenset({"N", "B"}), bits_model(12)),
        Col("c_char", "CHAR(5)", ("abc", None, "", "42"), frozenset(TEXT_FITS), text_model),
        Col("c_varchar", "VARCHAR(60)", ('["x","y","x"]', None, "", '{"a": [1, 2.5, null, true]}'),
            frozenset(TEXT_FITS), text_model),
        Col("c_text", "TEXT", ("12.50", None, "true", "é 汉 🚀"), frozenset(TEXT_FITS), text_model),
        Col("c_binary", "BINARY(4)", (b"\x01\x02", None, b"", b"\xff\xfe\xfd\xfc"), frozenset({"B"}),
            binary_model(4)),
        Col("c_varbinary", "VARBINARY(8)", (b"\xff\x00", None, b"", b"abc"), frozenset({"B"}), binary_model(None)),
        Col("c_blob", "BLOB", (b"\x00\xff\x01", None, b"", bytes(range(256))), frozenset({"B"}), binary_model(None)),
        Col("c_enum", "ENUM('x','y z')", ("y z", None, "x", "x"), frozenset({"S"}), text_model),
        Col("c_enum_num", "ENUM('1','2','10')", ("10", None, "1", "2"), frozenset({"S", "N"}), text_model),
        Col("c_enum_bool", "ENUM('true','false')", ("true", None, "false", "true"), frozenset({"S", "BOOL"}),
            text_model),
        Col("c_set", "SET('a','b','c d')", ("a,c d", None, "", "b"), frozenset({"S", "SS"}), set_model),
        Col("c_set_num", "SET('1','2','10')", ("1,10", None, "", "2"), frozenset({"S", "SS", "NS"}), set_model),
        Col("c_json", "JSON", ('{"k": [1, 2.5, null]}', None, "[]", '["b","a","b"]'),
            frozenset({"S", "M", "L", "SS", "NS", "BS"}), text_model),
        Col("c_date", "DATE", ("2024-01-02", None, "1000-01-01", "9999-12-31"), frozenset({"S"}),
            lambda k, v: {"S": v}),
        Col("c_time", "TIME", ("12:34:56", None, "-01:02:03", "838:59:59"), frozenset({"S"}), lambda k, v: {"S": v}),
        Col("c_datetime", "DATETIME(3)", ("2024-01-02 03:04:05.123", None, "1000-01-01 00:00:00",
                                          "9999-12-31 23:59:59.999"), frozenset({"S"}), iso),
        Col("c_timestamp", "TIMESTAMP NULL", ("2024-01-02 03:04:05", None, "1970-01-01 00:00:01",
                                              "2038-01-19 03:14:07"), frozenset({"S"}), iso),
        Col("c_year", "YEAR", (2024, None, 1901, 2155), frozenset({"S", "N"}), int_model),
        Col("c_geometry", "GEOMETRY", (P1, None, PG, GC), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_point", "POINT", (P2, None, ("Point", (0, 0)), P1), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_linestring", "LINESTRING", (LS, None, LS, LS), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_polygon", "POLYGON", (PG, None, PG, PG), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_multipoint", "MULTIPOINT", (MP, None, MP, MP), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_multilinestring", "MULTILINESTRING", (ML, None, ML, ML), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_multipolygon", "MULTIPOLYGON", (MPG, None, MPG, MPG), frozenset(GEOMETRY_FITS), geometry_model, g),
        Col("c_collection", "GEOMETRYCOLLECTION", (GC, None, GC, GC), frozenset(GEOMETRY_FITS), geometry_model, g),
        # MariaDB's own types: text on the wire (its canonical form), so S only
        Col("c_uuid", "UUID", ("123e4567-e89b-12d3-a456-426614174000", None, "00000000-0000-0000-0000-000000000000",
                               "ffffffff-ffff-ffff-ffff-ffffffffffff"), frozenset({"S"}), text_model),
        Col("c_inet4", "INET4", ("192.168.0.1", None, "0.0.0.0", "255.255.255.255"), frozenset({"S"}), text_model),
        Col("c_inet6", "INET6", ("2001:db8::1", None, "::", "::ffff:1.2.3.4"), frozenset({"S"}), text_model),
    ]


COLUMNS = cols()


def expected_value(col: Col, kind: str, raw: Any) -> Any:
    if kind == "NULL":
        return {"NULL": True}
    if raw is None:
        return ABSENT
    return col.expect(kind, raw)


# ============================================================================ the database

@dataclass
class TypedDB:
    conn: pymysql.Connection
    schema: SchemaInfo
    server: ServerInfo


@pytest.fixture(scope="module")
def typed_db(sandbox: Any) -> Iterator[TypedDB]:
    name = "t_type_table"
    root = pymysql.connect(unix_socket=str(sandbox.mariadb.socket), user="root", autocommit=True, charset="utf8mb4",
                           init_command="SET time_zone='+00:00'")
    with root.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (sandbox.mariadb.user, host))
        cur.execute(f"USE `{name}`")
        cur.execute("CREATE TABLE typed (id INT PRIMARY KEY, " + ", ".join(f"`{c.name}` {c.ddl}" for c in COLUMNS) + ")")
        cur.execute("CREATE TABLE other (id INT PRIMARY KEY, typed_id INT, blob_col BLOB, geo POINT)")
        for row in range(4):
            names, marks, params = ["id"], ["%s"], [row + 1]
            for c in COLUMNS:
                raw = c.values[row]
                names.append(f"`{c.name}`")
                if raw is not None and c.sql is not None:
                    marks.append(c.sql(raw))
                elif raw is not None and c.ddl.startswith("BIT"):
                    marks.append(f"b'{raw:b}'")
                else:
                    marks.append("%s")
                    params.append(raw)
            cur.execute(f"INSERT INTO typed ({', '.join(names)}) VALUES ({', '.join(marks)})", params)
        cur.execute("INSERT INTO other VALUES (1, 1, x'00ff', ST_GeomFromText('POINT(3 4)')), (2, 2, NULL, NULL)")
    env = sandbox.mysql_env()
    tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                password=env["MYSQL_PASSWORD"], database=name, read_only=False, connect_timeout=10))
    d = tools.server_info()
    server = server_info_from_doc(d)
    try:
        yield TypedDB(root, schema_from_doc(tools.describe_schema()), server)
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        root.close()


def contract_table(kind: str, column: str, **extra: Any) -> dict[str, Any]:
    attribute = {"name": "v", "type": kind, "source_table": "typed", "source_column": column, **extra}
    return {"table": "Typed", "type": "single-entity", "source_table": "typed", "pk": "id",
            "attributes": [{"name": "id", "type": "N", "source_table": "typed", "source_column": "id"}, attribute],
            "satisfies": ["AP1"], "estimated_item_size_bytes": 200}


def compiled(db: TypedDB, table_doc: dict[str, Any]) -> tuple[Any, list[Any], ItemSpec]:
    """(view spec or None, findings, the item spec the plan gives the load)."""
    table, _ = model(table_doc)
    (plan,) = entity_plans(table)
    spec, findings = compile_view(plan.entity, view_name(table.name, None), table.name, db.schema, db.server)
    items = item_spec(table, view_name(table.name, None), plan.entity.attributes, plan.load,
                      dict(spec.encodings) if spec else {})
    return spec, list(findings), items


def items_of(db: TypedDB, spec: Any, items: ItemSpec) -> dict[int, Any]:
    """The view created on MariaDB, read (as the load reads it) and mapped by the runtime: id -> item or Reject."""
    with db.conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(f"CREATE OR REPLACE VIEW `{spec.name}` AS {spec.select_sql}")
        cur.execute(f"SELECT * FROM `{spec.name}` ORDER BY `id`")
        rows = cur.fetchall()
    parsed = ItemSpec.from_json(items.to_json()).attributes   # as the job reads it
    out: dict[int, Any] = {}
    for row in rows:
        try:
            out[int(row["id"])] = to_item(row, parsed)
        except RowRejected as exc:
            out[int(row["id"])] = Reject(exc.reason)
    return out


def _normal(av: Any) -> Any:
    """Attribute values compared as DynamoDB compares them: N numerically, sets unordered."""
    if not isinstance(av, dict):
        return av
    (kind, v), = av.items()
    if kind == "N":
        return ("N", Decimal(v).normalize())
    if kind == "NS":
        return ("NS", frozenset(Decimal(e).normalize() for e in v))
    if kind in ("SS", "BS"):
        return (kind, frozenset(v))
    if kind == "M":
        return ("M", {k: _normal(e) for k, e in v.items()})
    if kind == "L":
        return ("L", [_normal(e) for e in v])
    return (kind, v)


def mismatch_of(findings: list[Any]) -> list[Any]:
    return [f for f in findings if f.severity is Severity.ERROR]


CELLS = [(c.name, kind) for c in COLUMNS for kind in TYPES]


@pytest.mark.parametrize(("column", "kind"), CELLS, ids=[f"{c}-{k}" for c, k in CELLS])
def test_cell(typed_db: TypedDB, column: str, kind: str) -> None:
    col = next(c for c in COLUMNS if c.name == column)
    spec, findings, specs = compiled(typed_db, contract_table(kind, column))
    errors = mismatch_of(findings)
    if kind != "NULL" and kind not in col.fits:
        assert spec is None and len(errors) == 1, [f.sentence() for f in findings]
        error = errors[0]
        info = typed_db.schema.tables["typed"].column(column)
        assert info is not None
        sentence = error.sentence()
        assert error.code == "type.mismatch" and error.path == "$.tables[0].attributes[1].type", sentence
        assert f"typed.{column}" in sentence and f"MySQL type {info.column_type}" in sentence, sentence
        assert f"declared {kind}" in sentence and sentence.count(".") >= 1, sentence
        bare = re.sub(r"\([^)]*\)", "", (error.fix or "").replace("declare it", ""))
        offered = re.findall(r"\b(SS|NS|BS|BOOL|NULL|S|N|B|M|L)\b", bare)
        assert set(offered) == col.fits, (sentence, col.fits)
        for advice in sorted(col.fits):   # applying the advice removes the error
            fixed, after, _ = compiled(typed_db, contract_table(advice, column))
            assert fixed is not None and not mismatch_of(after), [f.sentence() for f in after]
        return
    assert spec is not None and not errors, [f.sentence() for f in findings]
    got = items_of(typed_db, spec, specs)
    for row, raw in enumerate(col.values, 1):
        want = expected_value(col, kind, raw)
        item = got[row]
        if isinstance(want, Reject):
            assert item == want, (column, kind, row, item)
            continue
        assert not isinstance(item, Reject), (column, kind, row, item, want)
        if want is ABSENT:
            assert "v" not in item, (column, kind, row, item)
        else:
            assert _normal(item.get("v")) == _normal(want), (column, kind, row, item.get("v"), want)


def test_binary_data_is_never_stored_as_text_nor_raw_geometry(typed_db: TypedDB) -> None:
    """The two shapes of the issue: GEOMETRY/BLOB declared S. BLOB is an error; GEOMETRY S means WKT."""
    _, findings, _ = compiled(typed_db, contract_table("S", "c_blob"))
    (error,) = mismatch_of(findings)
    assert error.sentence() == (
        "$.tables[0].attributes[1].type: attribute 'v' is declared S but reads column typed.c_blob of MySQL type blob, "
        "which cannot become S (binary data is never stored as text or parsed); declare it B.")
    spec, findings, _ = compiled(typed_db, contract_table("S", "c_geometry"))
    assert spec is not None and "ST_ASTEXT(`t0`.`c_geometry`) AS `v`" in spec.select_sql
    assert dict(spec.encodings) == {"v": "wkt"}


def test_set_split_reaches_the_runtime_through_the_specs(typed_db: TypedDB) -> None:
    spec, _, specs = compiled(typed_db, contract_table("SS", "c_set"))
    assert spec is not None and dict(spec.encodings) == {"v": "set-split"}
    assert {"name": "v", "type": "SS", "encoding": "set-split"} in specs.to_doc()["attributes"]
    spec, _, specs = compiled(typed_db, contract_table("M", "c_geometry"))
    assert all("encoding" not in s for s in specs.to_doc()["attributes"])   # done in the view, nothing for the runtime


def test_a_joined_column_is_decided_too(typed_db: TypedDB) -> None:
    join = {"type": "foreign-key", "target_table": "other", "join_condition": "other.typed_id = typed.id",
            "select_column": "other.blob_col"}
    spec, findings, _ = compiled(typed_db, contract_table("S", "id", join=join))
    (error,) = mismatch_of(findings)
    assert "column other.blob_col of MySQL type blob" in error.sentence() and error.fix == "declare it B"
    spec, findings, _ = compiled(typed_db, contract_table("B", "id", join=join))
    assert spec is not None and not mismatch_of(findings)
    geo = dict(join, select_column="other.geo")
    spec, findings, specs = compiled(typed_db, contract_table("M", "id", join=geo))
    assert spec is not None and not mismatch_of(findings)
    got = items_of(typed_db, spec, specs)
    assert got[1]["v"] == {"M": {"type": {"S": "Point"}, "coordinates": {"L": [{"N": "3"}, {"N": "4"}]}}}
    assert "v" not in got[2] and "v" not in got[3]


def test_a_template_writes_a_binary_column_as_hex_and_says_so(typed_db: TypedDB) -> None:
    """A template builds text: a BLOB placeholder is written as lowercase hex, never raw bytes."""
    spec, findings, _ = compiled(typed_db, contract_table("S", "c_blob", transformation={
        "type": "string-format", "format": "X{v}"}))
    assert spec is not None and not mismatch_of(findings)
    assert "LOWER(HEX(`t0`.`c_blob`))" in spec.select_sql
    assert any(f.code == "type.text_encoding" and "lowercase hex" in f.message for f in findings)


def test_each_branch_of_a_case_is_decided(typed_db: TypedDB) -> None:
    """A conditional join (a CASE) over a BLOB declared S is refused like the plain column; a
    geometry declared S is written as WKT in its branch; a literal branch is left alone."""
    join = {"type": "conditional", "target_table": "other", "join_condition": "other.typed_id = typed.id",
            "condition": "typed.id > 1", "select_column": "other.blob_col", "else_value": "'none'"}
    _, findings, _ = compiled(typed_db, contract_table("S", "id", join=join))
    (error,) = mismatch_of(findings)
    assert "column other.blob_col of MySQL type blob" in error.sentence() and error.fix == "declare it B"
    geo = dict(join, select_column="other.geo")
    spec, findings, specs = compiled(typed_db, contract_table("S", "id", join=geo))
    assert spec is not None and not mismatch_of(findings)
    assert "THEN ST_ASTEXT(`j1`.`geo`) ELSE 'none'" in spec.select_sql
    got = items_of(typed_db, spec, specs)
    assert got[1]["v"] == {"S": "none"}          # typed.id = 1: the else branch


def test_mariadb_json_columns_are_reported_as_json(typed_db: TypedDB) -> None:
    info = typed_db.schema.tables["typed"].column("c_json")
    assert info is not None and (info.data_type, info.column_type) == ("json", "json")
    text = typed_db.schema.tables["typed"].column("c_text")
    assert text is not None and text.data_type == "text"


# ============================================================================ through the CLI

PLACES = [  # id, tags (SET), location (WKT), photo (BLOB), open (BIT(1))
    (1, "wifi,quiet", P1, b"\x89PNG\x00\xff", 1),
    (2, "", PG, b"", 0),
    (3, "parking", None, None, None),
    (4, "quiet,wifi,parking", ("Point", (-0.5, 51.25)), bytes(range(200, 256)), 1),
]


def places_contract(table: str, photo_type: str = "B") -> dict[str, Any]:
    def attr(name: str, kind: str, column: str) -> dict[str, Any]:
        return {"name": name, "type": kind, "source_table": "places", "source_column": column}
    return {"tables": [{"table": table, "type": "single-entity", "source_table": "places", "pk": "id",
                        "satisfies": ["AP1"], "estimated_item_size_bytes": 500,
                        "attributes": [attr("id", "N", "id"), attr("tags", "SS", "tags"),
                                       attr("location", "M", "location"), attr("photo", photo_type, "photo"),
                                       attr("open", "BOOL", "open")]}]}


def test_types_end_to_end_through_the_cli(sandbox: Any, mysql_db: str, tmp_path: Any) -> None:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE places (id INT PRIMARY KEY, tags SET('wifi','quiet','parking') NOT NULL, "
                    "location GEOMETRY NULL, photo BLOB NULL, open BIT(1) NULL)")
        for i, tags, geom, photo, is_open in PLACES:
            cur.execute("INSERT INTO places VALUES (%s, %s, " + (f"ST_GeomFromText('{_wkt(geom)}')" if geom else "NULL")
                        + ", %s, " + ("NULL" if is_open is None else f"b'{is_open}'") + ")", (i, tags, photo))
    conn.close()
    proj = project(sandbox, mysql_db, tmp_path)
    table = f"Places{tmp_path.name[-6:].replace('_', '')}"
    path = tmp_path / "contract.json"

    path.write_text(json.dumps(places_contract(table, photo_type="S")))
    refused = project_cli(proj, "plan", str(path))
    assert refused.returncode != 0
    sentence = ("$.tables[0].attributes[3].type: attribute 'photo' is declared S but reads column places.photo of "
                "MySQL type blob, which cannot become S (binary data is never stored as text or parsed); declare it B.")
    assert sentence in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr

    path.write_text(json.dumps(places_contract(table)))   # the advice taken
    done = project_cli(proj, "apply", str(path), "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr

    want = {}
    for i, tags, geom, photo, is_open in PLACES:
        item: dict[str, Any] = {"id": Decimal(i)}
        if tags:
            item["tags"] = set(tags.split(","))
        if geom is not None:
            item["location"] = json.loads(json.dumps(_geojson(geom)), parse_float=Decimal, parse_int=Decimal)
        if photo is not None:
            item["photo"] = photo
        if is_open is not None:
            item["open"] = is_open == 1
        want[i] = item
    got = {int(i["id"]): {k: (v.value if hasattr(v, "value") else v) for k, v in i.items()}
           for i in scan_items(aws(sandbox, "dynamodb"), table)}
    assert got == want
