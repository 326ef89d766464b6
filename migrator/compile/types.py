"""The column type x attribute type table: what a plain MySQL column becomes as each DynamoDB type,
decided at plan time (docs/contract.md "Types").

Why a table: the runtime can only reject rows one by one, so a pairing that never works (a
BLOB declared S, a SET declared SS, an ENUM of words declared N) used to surface as a load
that rejects every row, or stores raw bytes as text where they happen to be UTF-8. Here each
(column family, attribute type) cell is one of:

- fine: the runtime's encoding of that type takes the column's values as they come;
- an encoding: the value must be converted first, in the view (GEOMETRY -> GeoJSON with
  ST_AsGeoJSON, WKT with ST_AsText, WKB with ST_AsBinary; BIT -> its number with CAST) or in
  the runtime (SET -> SS/NS split on commas: `runtime.items.ENCODINGS`);
- an error: no value of the column can become that type, or binary data would be stored as
  text; the finding names the column, its type and the types (with encodings) that fit, and its
  edit declares the first of them that the attribute's other roles allow (a key stays S, N or B,
  a ttl attribute N: `contract.lint.common.retype`).

Only plain columns are decided (of the entity's table or a joined one): an expression's type is
not certain, so it is left to the runtime as before. Pure and deterministic: the table is data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from migrator.compile.view_core import BINARY_TYPES, GEOMETRY_TYPES, BuilderCore, fn
from migrator.contract.edits import Edit
from migrator.contract.lint.common import retype
from migrator.contract.model import Attribute
from migrator.findings import Finding, Severity
from migrator.mysql_schema import ColumnInfo

#: encodings applied in the view (SQL) and by the runtime (items.to_attribute_value)
GEOJSON = "geojson"
WKT = "wkt"
WKB = "wkb"
BIT_NUMBER = "bit-number"
SET_SPLIT = "set-split"
RUNTIME_ENCODINGS = frozenset({SET_SPLIT})

INTEGERS = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
FAMILIES: dict[str, frozenset[str]] = {
    "integer": INTEGERS,
    "decimal": frozenset({"decimal", "numeric", "dec", "fixed"}),
    "float": frozenset({"float", "double", "real", "double precision"}),
    "bit": frozenset({"bit"}),
    "text": frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}),
    "binary": BINARY_TYPES,
    "enum": frozenset({"enum"}),
    "set": frozenset({"set"}),
    "json": frozenset({"json"}),
    "date": frozenset({"date"}),
    "time": frozenset({"time"}),
    "datetime": frozenset({"datetime", "timestamp"}),
    "year": frozenset({"year"}),
    "geometry": GEOMETRY_TYPES,
    "address": frozenset({"uuid", "inet4", "inet6"}),   # MariaDB's: text on the wire, binary inside
}
_FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}

OK = ""           # a cell that needs no encoding
NO = None         # a cell that is an error

#: family -> attribute type -> OK, an encoding name, or NO. NULL is fine for every column (always
#: {"NULL": true}); "boolean" is TINYINT(1) (BOOLEAN), "bit1" BIT(1). ENUM/SET cells that depend on
#: the members (N, BOOL, NS) are decided by `_members_cell`.
TABLE: dict[str, dict[str, str | None]] = {
    "integer": {"S": OK, "N": OK, "BOOL": OK},
    "boolean": {"S": OK, "N": OK, "BOOL": OK},
    "decimal": {"S": OK, "N": OK},
    "float": {"S": OK, "N": OK},
    "bit1": {"BOOL": BIT_NUMBER, "N": BIT_NUMBER, "B": OK},
    "bit": {"N": BIT_NUMBER, "B": OK},
    "text": {"S": OK, "N": OK, "B": OK, "BOOL": OK, "M": OK, "L": OK, "SS": OK, "NS": OK, "BS": OK},
    "binary": {"B": OK},
    "enum": {"S": OK},
    "set": {"S": OK, "SS": SET_SPLIT},
    "json": {"S": OK, "M": OK, "L": OK, "SS": OK, "NS": OK, "BS": OK},
    "date": {"S": OK},
    "time": {"S": OK},
    "datetime": {"S": OK},
    "year": {"S": OK, "N": OK},
    "geometry": {"M": GEOJSON, "S": WKT, "B": WKB},
    "address": {"S": OK},
}

#: how each fitting cell is described in a finding's advice
_HOW: dict[tuple[str, str], str] = {
    ("integer", "BOOL"): "BOOL (0/1)", ("boolean", "BOOL"): "BOOL",
    ("bit1", "BOOL"): "BOOL", ("bit1", "N"): "N (0/1)", ("bit", "N"): "N (the bits as an unsigned number)",
    ("bit1", "B"): "B (the raw byte)", ("bit", "B"): "B (the raw bytes)",
    ("set", "SS"): "SS (the members, split on commas)", ("set", "S"): "S (the members as comma-separated text)",
    ("set", "NS"): "NS (the numeric members, split on commas)",
    ("json", "M"): "M (a JSON object)", ("json", "L"): "L (a JSON array)", ("json", "S"): "S (the JSON text)",
    ("date", "S"): "S (ISO-8601)", ("datetime", "S"): "S (ISO-8601 UTC)", ("time", "S"): "S (HH:MM:SS)",
    ("geometry", "M"): "M (GeoJSON, via ST_AsGeoJSON)", ("geometry", "S"): "S (WKT, via ST_AsText)",
    ("geometry", "B"): "B (WKB, via ST_AsBinary)",
    ("address", "S"): "S (its text form)",
}
#: the order fitting types are offered in (the most natural first)
_PREFERRED = ("M", "SS", "BOOL", "N", "S", "B", "L", "NS", "BS")
_WHY: dict[str, str] = {
    "binary": "binary data is never stored as text or parsed",
    "geometry": "its value is binary; choose a text or map encoding",
    "bit": "its value is raw bits",
    "bit1": "its value is a raw bit",
}
_MEMBER = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*\Z")
_BOOLEAN_TEXT = frozenset({"0", "1", "true", "false"})


@dataclass(frozen=True)
class Decision:
    """One cell for one column: `encoding` ("" when none) or, when not `fits`, the types that do."""

    fits: bool
    encoding: str = ""
    alternatives: tuple[str, ...] = ()


def family(column: ColumnInfo) -> str | None:
    """The table's row for a column; None for a type the table does not know (left as today)."""
    data_type = column.data_type.lower()
    column_type = column.column_type.lower().replace(" ", "")
    if data_type == "tinyint" and column_type.startswith("tinyint(1)"):
        return "boolean"
    if data_type == "bit" and column_type in ("bit", "bit(1)"):
        return "bit1"
    return _FAMILY_OF.get(data_type)


def members(column: ColumnInfo) -> tuple[str, ...]:
    """The members of an ENUM or SET column, from its column type (`enum('a','b''c')`)."""
    inside = column.column_type[column.column_type.find("(") + 1:column.column_type.rfind(")")]
    return tuple(m.replace("''", "'") for m in _MEMBER.findall(inside))


def _members_cell(kind: str, column: ColumnInfo, attr_type: str) -> str | None:
    """ENUM -> N/BOOL and SET -> NS fit only when every member does."""
    names = members(column)
    if kind == "enum" and attr_type == "N" and names and all(_NUMBER.match(m) for m in names):
        return OK
    if kind == "enum" and attr_type == "BOOL" and names and all(m.strip().lower() in _BOOLEAN_TEXT for m in names):
        return OK
    if kind == "set" and attr_type == "NS" and names and all(_NUMBER.match(m) for m in names):
        return SET_SPLIT
    return NO


def cell(kind: str, column: ColumnInfo, attr_type: str) -> str | None:
    """OK, an encoding, or NO for one column of family `kind` declared `attr_type`."""
    if attr_type == "NULL":
        return OK
    found = TABLE[kind].get(attr_type, NO)
    if found is NO and kind in ("enum", "set"):
        return _members_cell(kind, column, attr_type)
    return found


def decide(column: ColumnInfo, attr_type: str) -> Decision | None:
    """The decision for `column` declared `attr_type`; None when its type is not in the table."""
    kind = family(column)
    if kind is None:
        return None
    found = cell(kind, column, attr_type)
    if found is not NO:
        return Decision(True, found or "")
    fits = tuple(_HOW.get((kind, t), t) for t in _PREFERRED if cell(kind, column, t) is not NO)
    return Decision(False, alternatives=fits)


def _or(options: tuple[str, ...]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def mismatch(attr: Attribute, column: ColumnInfo, table: str, decision: Decision, edit: Edit | None = None) -> Finding:
    """The one-sentence error of a cell that does not fit: what, where, what to do (`edit`: the
    type that fits the value's every column and the attribute's other roles, when there is one)."""
    kind = family(column) or ""
    why = _WHY.get(kind, "no value of that column type can become one")
    return Finding(Severity.ERROR, f"{attr.path}.type",
                   f"attribute '{attr.name}' is declared {attr.type} but reads column {table}.{column.name} of MySQL "
                   f"type {column.column_type}, which cannot become {attr.type} ({why})",
                   f"declare it {_or(decision.alternatives)}", "type.mismatch", edit)


def encode_sql(value: exp.Expression, encoding: str) -> exp.Expression:
    """The view's expression for an encoding done in SQL; the value itself otherwise."""
    if encoding == GEOJSON:
        return fn("ST_AsGeoJSON", value)
    if encoding == WKT:
        return fn("ST_AsText", value)
    if encoding == WKB:
        return fn("ST_AsBinary", value)
    if encoding == BIT_NUMBER:
        return exp.Cast(this=value, to=exp.DataType.build("UNSIGNED", dialect="mysql"))
    return value


class TypeCompiler(BuilderCore):
    """`typed`: a plain column's attribute decided by the table (error, encoding or as is); a CASE
    (a conditional join, a self-join's null_value, a case calculation) is decided branch by branch,
    so a BLOB declared S is refused there too rather than stored as text where it happens to decode."""

    def typed(self, attr: Attribute, value: exp.Expression) -> exp.Expression:
        plain = value.unnest() if isinstance(value, exp.Paren) else value
        if isinstance(plain, exp.Case):
            return self._typed_case(attr, plain)
        if not isinstance(plain, exp.Column):
            return value
        decided = self._column_decision(attr, plain, [plain])
        if not decided:
            return value
        self.encodings[attr.name] = decided
        return encode_sql(plain, decided)

    def _column(self, value: exp.Column) -> tuple[str, ColumnInfo] | None:
        """(table name, column) of a plain column of a known table."""
        if value.table not in self.aliases:
            return None
        info = self.aliases[value.table]
        column = info.column(value.name)
        return None if column is None else (info.name, column)

    def _retyped(self, attr: Attribute, columns: Sequence[exp.Column]) -> Edit | None:
        """The first type every one of `columns` (the value's, one per branch) can become that the
        attribute's own value and the roles its name plays in its table allow."""
        table = self.entity.table
        if table is None:
            return None
        known = [found[1] for c in columns if (found := self._column(c)) is not None and family(found[1]) is not None]
        for kind in _PREFERRED:
            decisions = [decide(column, kind) for column in known]
            if not all(d is not None and d.fits for d in decisions):
                continue
            if len(columns) > 1 and any(d is not None and d.encoding in RUNTIME_ENCODINGS for d in decisions):
                continue   # the runtime's encoding would apply to every branch's value (see _typed_case)
            if (edit := retype(None, table, attr, kind)) is not None:
                return edit
        return None

    def _column_decision(self, attr: Attribute, value: exp.Column, columns: Sequence[exp.Column]) -> str | None:
        """The encoding a plain column of a known table needs as `attr` ("" for none); None when the
        column is not of a known table or cannot be `attr.type` (then the error finding is recorded,
        its edit a type that fits all `columns` of the value)."""
        found = self._column(value)
        if found is None:
            return None
        table, column = found
        decision = decide(column, attr.type)
        if decision is None:
            return None
        if not decision.fits:
            finding = mismatch(attr, column, table, decision, self._retyped(attr, columns))
            if finding not in self.findings:
                self.findings.append(finding)
            return None
        return decision.encoding

    def _typed_case(self, attr: Attribute, case: exp.Case) -> exp.Expression:
        """Each branch's column decided on its own; encodings done in SQL are applied per branch. One
        done by the runtime (SET -> SS) applies to the whole value, so every other branch must be a
        literal or NULL for it."""
        out = case.copy()
        branches = [(i.args.get("true"), i, "true") for i in out.args.get("ifs") or ()]
        branches.append((out.args.get("default"), out, "default"))
        runtime: set[str] = set()
        plains = [(b.unnest() if isinstance(b, exp.Paren) else b, owner, key) for b, owner, key in branches
                  if b is not None]
        columns = [p for p, _, _ in plains if isinstance(p, exp.Column)]
        for plain, owner, key in plains:
            if not isinstance(plain, exp.Column):
                continue
            decided = self._column_decision(attr, plain, columns)
            if decided in RUNTIME_ENCODINGS:
                runtime.add(decided)
            elif decided:
                owner.set(key, encode_sql(plain, decided))
        if runtime:
            self.encodings[attr.name] = sorted(runtime)[0]
        return out
