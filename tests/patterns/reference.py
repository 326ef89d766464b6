"""An independent Python model of what a contract's view returns, computed from raw rows.

Given the rows of every MySQL table exactly as a test inserted them (Python values:
int, Decimal, str, datetime, date, None) and one contract table (its JSON document),
`expected_rows` computes the rows the entity's view must return, each a dict
attribute -> value as pymysql reads the view's column at `time_zone = '+00:00'`.

It never looks at the SQL the compiler generated. The SQL fragments of the contract
(join conditions, select columns, case whens, order_by, ...) are evaluated by a small
evaluator of the MySQL expression subset the pattern tests generate (columns, literals,
comparisons, IS [NOT] NULL, AND/OR/NOT, + - *, CONCAT, COALESCE); anything outside that
subset raises, so a test cannot silently compare against a guess.

Semantics follow docs/patterns.md. Choices the docs leave open (each also in the report
of the pattern tests):

- A column naming the source table inside a join whose target is the source table
  itself (no alias): in a to-one join's condition the column that is part of the
  primary key is the joined row, the other the entity's row; in an aggregate's or a
  json-construction's condition it is the reverse (the primary key is the entity's row,
  so `categories.parent_id = categories.id` counts children); in `select_column` it is
  always the joined / aggregated row; in a conditional join's `condition` and
  `else_value` it is the entity's own row (the schema: "SQL condition over the source row").
- `order_by` sorts as MySQL's ORDER BY does: NULL first ascending, last descending; ties
  by the target's primary key ascending (docs/patterns.md).
- Bare (unqualified) columns: in `select_column`, `select_columns`, `order_by` they name
  the target table when it has the column; in `when`/`then`/`else`/`condition` the
  source row; elsewhere the only table that has the column.
- CONCAT_WS-built values (chain with separator, concat) are '' when every part is NULL
  (that is what the documented SQL gives).
- Text built by SQL (templates, concat, chain separators, date-format, JSON
  construction) writes DATETIME as `YYYY-MM-DDTHH:MM:SS.mmmZ` (milliseconds truncated)
  and DATE as `YYYY-MM-DD`.
- json-construction without `order_by` is ordered by the target's primary key.
- number-format `pad` zero-pads the integer digits to the width (the schema: "Zero-pad the
  integer part to this width"; the sign goes first and is not counted; the fraction is
  kept; longer values are kept whole, never cut); `decimals` rounds half away from zero
  and, for an S attribute, writes exactly that many decimals; a value that rounds to
  zero has no minus sign.
- date-format without `source_format` reads the column as a timestamp (or date); literal
  characters of the format (`%`, quotes, `T`, ...) are copied as they are.
- date-math `diff` with a string `value` counts from that date (the schema's description).
- A multi-entity view's key columns from templates are named as the table's pk / sk.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Row = dict[str, Any]


@dataclass
class SourceTable:
    """One MySQL table as the test created and filled it."""

    name: str
    columns: dict[str, str]          # column -> kind: int | decimal | text | datetime | date
    primary_key: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    scales: dict[str, int] = field(default_factory=dict)   # DECIMAL column -> scale

    def has(self, column: str) -> bool:
        return column in self.columns


class ReferenceGap(Exception):
    """The reference met something outside the subset it models (a bug in the test)."""


# =============================================================================== values

def iso(value: Any) -> Any:
    """Temporal values as text the way SQL-built text writes them (see module doc)."""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return value


def as_text(value: Any) -> str | None:
    """A value as MySQL text inside CONCAT / CONCAT_WS (temporal as ISO-8601)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dt.datetime, dt.date)):
        return iso(value)
    if isinstance(value, Decimal):
        if value == 0:
            value = abs(value)
        return format(value, "f")
    return str(value)


def json_text(value: Any) -> str:
    """A Python value as JSON text (Decimal numbers kept exact, temporal values as ISO text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.datetime, dt.date)):
        return json.dumps(iso(value), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    raise ReferenceGap(f"no JSON form for {value!r}")


# =============================================================================== fragments

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<qid>`(?:[^`]|``)+`)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|=|<|>|\+|-|\*|\(|\)|,|\.)
""", re.VERBOSE | re.DOTALL)

_KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "ASC", "DESC"}
_ESCAPES = {"0": "\0", "'": "'", '"': '"', "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
            "\\": "\\"}


def sql_string(token: str) -> str:
    """The value of a MySQL string literal (backslash escapes on, as in the default sql_mode)."""
    quote, body = token[0], token[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt if nxt in "%_" else nxt))
            i += 2
        elif ch == quote and i + 1 < len(body) and body[i + 1] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def sql_literal(text: str) -> str:
    """A Python string as a MySQL string literal (what the tests write into fragments)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ReferenceGap(f"cannot tokenize {text!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        value = m.group(kind)
        if kind == "id" and value.upper() in _KEYWORDS:
            out.append(("kw", value.upper()))
        elif kind == "qid":
            out.append(("id", value[1:-1].replace("``", "`")))
        else:
            out.append((kind, value))
    out.append(("end", ""))
    return out


class _Parser:
    """Recursive descent over the fragment subset; nodes are tuples."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if (kind and tok[0] != kind) or (value and tok[1].upper() != value):
            raise ReferenceGap(f"unexpected {tok[1]!r} in {self.text!r}")
        self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.toks[self.i]
        return tok[0] == kind and (value is None or tok[1].upper() == value)

    def done(self) -> None:
        if not self.at("end"):
            raise ReferenceGap(f"trailing {self.peek()[1]!r} in {self.text!r}")

    def expr(self) -> tuple:
        node = self.and_()
        while self.at("kw", "OR"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> tuple:
        node = self.not_()
        while self.at("kw", "AND"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self) -> tuple:
        if self.at("kw", "NOT"):
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self) -> tuple:
        node = self.add()
        if self.at("op") and self.peek()[1] in ("=", "<>", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            return ("cmp", "<>" if op == "!=" else op, node, self.add())
        if self.at("kw", "IS"):
            self.take()
            negated = False
            if self.at("kw", "NOT"):
                self.take()
                negated = True
            self.take("kw", "NULL")
            return ("isnull", node, negated)
        return node

    def add(self) -> tuple:
        node = self.mul()
        while self.at("op") and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            node = ("arith", op, node, self.mul())
        return node

    def mul(self) -> tuple:
        node = self.unary()
        while self.at("op", "*"):
            self.take()
            node = ("arith", "*", node, self.unary())
        return node

    def unary(self) -> tuple:
        if self.at("op", "-"):
            self.take()
            return ("arith", "-", ("lit", 0), self.unary())
        return self.primary()

    def primary(self) -> tuple:
        kind, value = self.peek()
        if kind == "num":
            self.take()
            return ("lit", Decimal(value) if "." in value else int(value))
        if kind == "str":
            self.take()
            return ("lit", sql_string(value))
        if kind == "kw" and value in ("NULL", "TRUE", "FALSE"):
            self.take()
            return ("lit", None if value == "NULL" else int(value == "TRUE"))
        if kind == "op" and value == "(":
            self.take()
            node = self.expr()
            self.take("op", ")")
            return node
        if kind == "id":
            self.take()
            if self.at("op", "("):
                self.take()
                args = []
                if not self.at("op", ")"):
                    args.append(self.expr())
                    while self.at("op", ","):
                        self.take()
                        args.append(self.expr())
                self.take("op", ")")
                return ("func", value.upper(), tuple(args))
            if self.at("op", "."):
                self.take()
                column = self.take("id")[1]
                return ("col", value, column)
            return ("col", None, value)
        raise ReferenceGap(f"unexpected {value!r} in {self.text!r}")


@functools.cache
def parse(text: str) -> tuple:
    p = _Parser(text)
    node = p.expr()
    p.done()
    return node


@functools.cache
def parse_order_by(text: str) -> tuple[tuple[tuple, bool], ...]:
    """((expression, descending), ...) of an ORDER BY list."""
    p = _Parser(text)
    keys = []
    while True:
        node = p.expr()
        desc = False
        if p.at("kw", "ASC") or p.at("kw", "DESC"):
            desc = p.take()[1] == "DESC"
        keys.append((node, desc))
        if not p.at("op", ","):
            break
        p.take()
    p.done()
    return tuple(keys)


Resolver = Callable[[str | None, str], Any]


def _coerce_pair(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, dt.datetime) and isinstance(b, str):
        return a, dt.datetime.fromisoformat(b)
    if isinstance(b, dt.datetime) and isinstance(a, str):
        return dt.datetime.fromisoformat(a), b
    if isinstance(a, dt.date) and not isinstance(a, dt.datetime) and isinstance(b, str):
        return a, dt.date.fromisoformat(b)
    if isinstance(b, dt.date) and not isinstance(b, dt.datetime) and isinstance(a, str):
        return dt.date.fromisoformat(a), b
    numeric = (int, Decimal)
    if isinstance(a, numeric) != isinstance(b, numeric):
        raise ReferenceGap(f"comparison of {a!r} and {b!r} is outside the modelled subset")
    return a, b


def evaluate(node: tuple, resolve: Resolver) -> Any:
    """The MySQL value of a fragment (three-valued logic: None is unknown)."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "col":
        return resolve(node[1], node[2])
    if kind == "and":
        a, b = truth(evaluate(node[1], resolve)), truth(evaluate(node[2], resolve))
        if a is False or b is False:
            return 0
        return None if a is None or b is None else 1
    if kind == "or":
        a, b = truth(evaluate(node[1], resolve)), truth(evaluate(node[2], resolve))
        if a is True or b is True:
            return 1
        return None if a is None or b is None else 0
    if kind == "not":
        a = truth(evaluate(node[1], resolve))
        return None if a is None else int(not a)
    if kind == "isnull":
        value = evaluate(node[1], resolve)
        return int((value is None) != node[2])
    if kind == "cmp":
        a, b = evaluate(node[2], resolve), evaluate(node[3], resolve)
        if a is None or b is None:
            return None
        a, b = _coerce_pair(a, b)
        op = node[1]
        return int({"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op])
    if kind == "arith":
        a, b = evaluate(node[2], resolve), evaluate(node[3], resolve)
        if a is None or b is None:
            return None
        if not isinstance(a, (int, Decimal)) or not isinstance(b, (int, Decimal)):
            raise ReferenceGap(f"arithmetic on {a!r}, {b!r} is outside the modelled subset")
        return {"+": a + b, "-": a - b, "*": a * b}[node[1]]
    if kind == "func":
        name, args = node[1], [evaluate(a, resolve) for a in node[2]]
        if name == "CONCAT":
            if any(a is None for a in args):
                return None
            return "".join(_plain_text(a) for a in args)
        if name == "COALESCE":
            return next((a for a in args if a is not None), None)
        raise ReferenceGap(f"function {name} is outside the modelled subset")
    raise ReferenceGap(f"node {kind}")


def _plain_text(value: Any) -> str:
    """Text of a value inside a user-written CONCAT() (MySQL's own formats; no temporal values in tests)."""
    if isinstance(value, (dt.date, dt.datetime)):
        raise ReferenceGap("temporal values inside a fragment's CONCAT are outside the modelled subset")
    return as_text(value) or ""


def truth(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise ReferenceGap(f"truth of text {value!r} is outside the modelled subset")
    return bool(value)


# =============================================================================== scopes

class Scope:
    """How the column references of one fragment bind to rows.

    `named`: lower-case table name or alias -> function(column) -> value.
    `bare`: the order in which an unqualified column is looked up (names of `named`);
    with `unique_bare` an unqualified column must exist in exactly one of them.
    """

    def __init__(self, named: dict[str, Callable[[str], Any]], has: dict[str, Callable[[str], bool]],
                 bare: Sequence[str], unique_bare: bool = False) -> None:
        self.named, self.has, self.bare, self.unique_bare = named, has, list(bare), unique_bare

    def __call__(self, table: str | None, column: str) -> Any:
        if table is not None:
            getter = self.named.get(table.lower())
            if getter is None:
                raise ReferenceGap(f"table {table} is not in scope ({sorted(self.named)})")
            if not self.has[table.lower()](column):
                raise ReferenceGap(f"{table}.{column} does not exist")
            return getter(column)
        owners = [n for n in self.bare if self.has[n](column)]
        if not owners or (self.unique_bare and len(owners) > 1):
            raise ReferenceGap(f"bare column {column} resolves to {owners}")
        return self.named[owners[0]](column)


def _reader(table: SourceTable, row: Row | None) -> Callable[[str], Any]:
    def read(column: str) -> Any:
        if not table.has(column):
            raise ReferenceGap(f"{table.name}.{column} does not exist")
        return None if row is None else row.get(column)
    return read


def _self_reader(table: SourceTable, pk_row: Row | None, other_row: Row | None) -> Callable[[str], Any]:
    """A table name naming two rows: primary-key columns read `pk_row`, the others `other_row`."""
    pk, other = _reader(table, pk_row), _reader(table, other_row)
    return lambda column: pk(column) if column in table.primary_key else other(column)


# =============================================================================== the model

class Reference:
    def __init__(self, tables: Mapping[str, SourceTable]) -> None:
        self.tables = {name.lower(): t for name, t in tables.items()}

    def table(self, name: str) -> SourceTable:
        found = self.tables.get(name.lower())
        if found is None:
            raise ReferenceGap(f"no table {name}")
        return found

    # -- entry point --------------------------------------------------------------------

    def rows(self, table_doc: Mapping[str, Any], entity_type: str | None = None) -> list[Row]:
        if table_doc["type"] == "multi-entity":
            entity = next(e for e in table_doc["entities"] if e["entity_type"] == entity_type)
            source, attrs = entity["source_table"], list(entity["attributes"])
            names = {a["name"] for a in attrs}
            templates = {}
            for key, field_name in ((table_doc.get("pk"), "pk_template"), (table_doc.get("sk"), "sk_template")):
                if key and key not in names:
                    templates[key] = entity[field_name]
        else:
            source, attrs, templates = table_doc["source_table"], list(table_doc["attributes"]), {}
        return _Entity(self, self.table(source), attrs, templates).rows()


def expected_rows(tables: Mapping[str, SourceTable], table_doc: Mapping[str, Any],
                  entity_type: str | None = None) -> list[Row]:
    """The rows the view of `table_doc` (or of its entity `entity_type`) must return."""
    return Reference(tables).rows(table_doc, entity_type)


TO_ONE = ("foreign-key", "lookup-table", "multi-column", "self-join", "conditional", "chain")


class _Entity:
    def __init__(self, ref: Reference, source: SourceTable, attrs: list[Mapping[str, Any]],
                 templates: dict[str, str]) -> None:
        self.ref, self.source, self.attrs, self.templates = ref, source, attrs, templates
        self.by_name = {a["name"]: a for a in attrs}

    # -- rows ---------------------------------------------------------------------------

    def rows(self) -> list[Row]:
        out = []
        joined = [a for a in self.attrs if a.get("join") and a["join"]["type"] in TO_ONE]
        for base in self.source.rows:
            choices = [self._partners(a["join"], base) for a in joined]
            for combo in itertools.product(*choices):
                partners = {a["name"]: p for a, p in zip(joined, combo)}
                out.append(_Row(self, base, partners).values())
        return out

    def _target_scope(self, target: SourceTable, base: Row, partner: Row | None, alias: str | None,
                      mode: str) -> Scope:
        """Scope of a fragment between the entity's row and one target row.

        mode: 'to-one-cond' | 'to-many-cond' | 'select' | 'source' (see the module doc)."""
        src = self.source
        named: dict[str, Callable[[str], Any]] = {}
        has: dict[str, Callable[[str], bool]] = {}
        same = target.name.lower() == src.name.lower()
        if alias:
            named[alias.lower()], has[alias.lower()] = _reader(target, partner), target.has
            named[src.name.lower()], has[src.name.lower()] = _reader(src, base), src.has
            bare = [alias.lower(), src.name.lower()] if mode == "select" else [src.name.lower(), alias.lower()]
            return Scope(named, has, bare, unique_bare=mode not in ("select", "source"))
        if same:
            key = src.name.lower()
            has[key] = src.has
            if mode == "to-one-cond":
                named[key] = _self_reader(src, partner, base)
            elif mode == "to-many-cond":
                named[key] = _self_reader(src, base, partner)
            elif mode == "select":
                named[key] = _reader(src, partner)
            else:
                named[key] = _reader(src, base)
            return Scope(named, has, [key])
        named[src.name.lower()], has[src.name.lower()] = _reader(src, base), src.has
        named[target.name.lower()], has[target.name.lower()] = _reader(target, partner), target.has
        if mode == "select":
            bare = [target.name.lower(), src.name.lower()]
        elif mode == "source":
            bare = [src.name.lower(), target.name.lower()]
        else:
            bare = [src.name.lower(), target.name.lower()]
        return Scope(named, has, bare, unique_bare=mode.endswith("cond"))

    def _matches(self, target: SourceTable, conditions: Sequence[str], base: Row, alias: str | None,
                 mode: str) -> list[Row]:
        trees = [parse(c) for c in conditions]
        return [r for r in target.rows
                if all(truth(evaluate(t, self._target_scope(target, base, r, alias, mode))) for t in trees)]

    def _partners(self, join: Mapping[str, Any], base: Row) -> list[Any]:
        kind = join["type"]
        if kind == "chain":
            combos: list[tuple[Row | None, ...]] = [()]
            steps = join["joins"]
            for n, step in enumerate(steps):
                target = self.ref.table(step["target_table"])
                tree = parse(step["join_condition"])
                nxt = []
                for combo in combos:
                    hits = [r for r in target.rows
                            if truth(evaluate(tree, self._chain_scope(steps[:n + 1], base, combo, r)))]
                    nxt += [combo + (r,) for r in hits] or [combo + (None,)]
                combos = nxt
            return combos
        if kind == "self-join":
            target = self.source
            conditions = [join["join_condition"]]
            alias = join["join_alias"]
        else:
            target = self.ref.table(join["target_table"])
            conditions = list(join["join_conditions"]) if kind == "multi-column" else [join["join_condition"]]
            alias = join.get("join_alias")
        return self._matches(target, conditions, base, alias, "to-one-cond") or [None]

    def _chain_scope(self, steps: Sequence[Mapping[str, Any]], base: Row, combo: tuple, last: Row | None,
                     select: bool = False) -> Scope:
        """The source and the chain's steps so far (the last one being `last`): a table name reads its
        latest row on the path (the step's own target, the previous step's table, then earlier ones). In a
        condition of a step that joins the previous step's own table, the primary-key columns read the
        joined row and the others the previous row. An unqualified column in a select_column reads the
        step's table first."""
        rows = list(combo) + [last]
        named = {self.source.name.lower(): _reader(self.source, base)}
        has = {self.source.name.lower(): self.source.has}
        previous, previous_row = self.source, base
        for n, (step, row) in enumerate(zip(steps, rows)):
            t = self.ref.table(step["target_table"])
            key = t.name.lower()
            if n == len(steps) - 1 and not select and key == previous.name.lower():
                named[key] = _self_reader(t, row, previous_row)
            else:
                named[key] = _reader(t, row)
            has[key] = t.has
            previous, previous_row = t, row
        own = previous.name.lower()
        bare = [own] + [k for k in reversed(list(named)) if k != own]
        return Scope(named, has, bare, unique_bare=not select)

    def source_scope(self, base: Row) -> Scope:
        key = self.source.name.lower()
        return Scope({key: _reader(self.source, base)}, {key: self.source.has}, [key])


class _Row:
    """One output row: attribute values, memoised (placeholders may name other attributes)."""

    def __init__(self, entity: _Entity, base: Row, partners: dict[str, Any]) -> None:
        self.e, self.base, self.partners = entity, base, partners
        self.memo: dict[str, Any] = {}
        self.resolving: set[str] = set()

    def values(self) -> Row:
        out = {a["name"]: self.value(a["name"]) for a in self.e.attrs}
        for key, template in self.e.templates.items():
            out[key] = self.template(template, None)
        return out

    # -- attributes -----------------------------------------------------------------------

    def value(self, name: str) -> Any:
        if name in self.memo:
            return self.memo[name]
        if name in self.resolving:
            raise ReferenceGap(f"cycle through {name}")
        self.resolving.add(name)
        attr = self.e.by_name[name]
        base = self.base_value(attr)
        value = self.transform(attr, base)
        self.resolving.discard(name)
        self.memo[name] = value
        return value

    def column(self, attr: Mapping[str, Any]) -> str:
        col = attr["source_column"]
        return col if isinstance(col, str) else col[0]

    def base_value(self, attr: Mapping[str, Any]) -> Any:
        if attr.get("hierarchy"):
            return self.hierarchy(attr, attr["hierarchy"])
        if attr.get("calculation"):
            return self.calculation(attr, attr["calculation"])
        if attr.get("join"):
            return self.join(attr, attr["join"])
        return _reader(self.e.source, self.base)(self.column(attr))

    # -- hierarchies ----------------------------------------------------------------------

    def hierarchy(self, attr: Mapping[str, Any], h: Mapping[str, Any]) -> Any:
        """Walk up from the row the source column names: to a root (parent NULL or no such row);
        a cycle or a walk longer than max_depth gives None; a NULL name is empty text."""
        tree = self.e.ref.table(h["table"])
        id_column = h.get("id_column") or tree.primary_key[0]
        rows = {r[id_column]: r for r in tree.rows}
        start = _reader(self.e.source, self.base)(self.column(attr))
        if start is None or start not in rows:
            return None
        chain, seen = [rows[start]], {start}
        while True:
            parent = chain[-1][h["parent_column"]]
            if parent is None or parent not in rows:
                break
            if parent in seen or len(chain) >= h.get("max_depth", 32):
                return None
            seen.add(parent)
            chain.append(rows[parent])
        if h["value"] == "depth":
            return len(chain)
        if h["value"] == "root_id":
            return chain[-1][id_column]
        return h.get("separator", "/").join(r[h["path_column"]] or "" for r in reversed(chain))

    # -- joins ----------------------------------------------------------------------------

    def join(self, attr: Mapping[str, Any], join: Mapping[str, Any]) -> Any:
        kind = join["type"]
        e = self.e
        if kind == "json-construction":
            return self.construction(join)
        partner = self.partners[attr["name"]]
        if kind == "chain":
            steps = join["joins"]
            parts = []
            for n, step in enumerate(steps):
                scope = e._chain_scope(steps[:n + 1], self.base, partner[:n], partner[n], select=True)
                parts.append(evaluate(parse(step["select_column"]), scope))
            sep = join.get("chain_separator")
            if sep is None:
                return parts[-1]
            return sep.join(t for t in (as_text(p) for p in parts) if t is not None)
        if kind == "self-join":
            target, alias = e.source, join["join_alias"]
        else:
            target, alias = e.ref.table(join["target_table"]), join.get("join_alias")
        select = e._target_scope(target, self.base, partner, alias, "select")
        if kind == "self-join":
            if partner is None and join.get("null_value") is not None:
                return join["null_value"]
            return evaluate(parse(join["select_column"]), select)
        if kind == "conditional":
            cond_scope = e._target_scope(target, self.base, partner, alias, "source")
            if truth(evaluate(parse(join["condition"]), cond_scope)):
                return evaluate(parse(join["select_column"]), select)
            return evaluate(parse(join["else_value"]), cond_scope)
        return evaluate(parse(join["select_column"]), select)

    def _related(self, target_name: str, condition: str) -> tuple[SourceTable, list[Row]]:
        target = self.e.ref.table(target_name)
        return target, self.e._matches(target, [condition], self.base, None, "to-many-cond")

    def construction(self, join: Mapping[str, Any]) -> Any:
        target, rows = self._related(join["target_table"], join["join_condition"])
        c = join["construction"]
        keys = parse_order_by(c["order_by"]) if c.get("order_by") else ()

        def scope(r: Row) -> Scope:
            return self.e._target_scope(target, self.base, r, None, "select")

        def compare(a: Row, b: Row) -> int:
            for tree, desc in keys:
                va, vb = evaluate(tree, scope(a)), evaluate(tree, scope(b))
                if va is None or vb is None:
                    order = 0 if va is None and vb is None else (-1 if va is None else 1)  # NULL first ASC
                else:
                    va, vb = _coerce_pair(va, vb)
                    order = (va > vb) - (va < vb)
                if order:
                    return -order if desc else order
            pa = tuple(a[k] for k in target.primary_key)
            pb = tuple(b[k] for k in target.primary_key)
            return (pa > pb) - (pa < pb)

        rows = sorted(rows, key=functools.cmp_to_key(compare))
        if c.get("limit") is not None:
            rows = rows[:int(c["limit"])]
        objects = [{k: evaluate(parse(expr), scope(r)) for k, expr in c["select_columns"].items()} for r in rows]
        if c["type"] == "array":
            return json_text(objects)
        return json_text(objects[0]) if objects else None

    # -- calculations ---------------------------------------------------------------------

    def calculation(self, attr: Mapping[str, Any], calc: Mapping[str, Any]) -> Any:
        kind = calc["type"]
        scope = self.e.source_scope(self.base)
        if kind == "aggregate":
            target, rows = self._related(calc["target_table"], calc["join_condition"])
            tree = parse(calc["select_column"])
            values = [evaluate(tree, self.e._target_scope(target, self.base, r, None, "select")) for r in rows]
            values = [v for v in values if v is not None]
            op = calc["operation"].upper()
            if op == "COUNT":
                return len(values)
            if not values:
                return None
            if op == "MIN":
                return min(values)
            if op == "MAX":
                return max(values)
            total = sum((Decimal(v) for v in values), Decimal(0))
            scale = max((-Decimal(v).as_tuple().exponent for v in values), default=0)
            if op == "SUM":
                return total.quantize(Decimal(1).scaleb(-scale)) if scale else total
            if op == "AVG":
                return (total / len(values)).quantize(Decimal(1).scaleb(-(scale + 4)), rounding=ROUND_HALF_UP)
            raise ReferenceGap(f"aggregate {op}")
        if kind == "case":
            for case in calc["cases"]:
                if truth(evaluate(parse(case["when"]), scope)):
                    return evaluate(parse(case["then"]), scope)
            return evaluate(parse(calc["else"]), scope) if calc.get("else") is not None else None
        if kind == "concat":
            parts = []
            for part in calc["parts"]:
                if part[:1] in ("'", '"'):
                    parts.append(sql_string(part))
                elif self.e.source.has(part):
                    parts.append(as_text(self.base.get(part)))
                elif part in self.e.by_name:
                    parts.append(as_text(self.value(part)))
                else:
                    raise ReferenceGap(f"concat part {part}")
            sep = calc.get("separator") or ""
            return sep.join(p for p in parts if p is not None)
        if kind == "date-math":
            value = self.base.get(self.column(attr))
            if calc.get("other_column") is not None:
                other = self.base.get(calc["other_column"])
            else:
                other = calc["value"]
            op, unit = calc["operation"], calc["unit"].upper()
            if value is None or other is None:
                return None
            if op == "diff":
                if isinstance(other, str):
                    other = dt.datetime.fromisoformat(other)
                return timestampdiff(unit, other, value)
            amount = int(other)
            return date_add(value, -amount if op == "subtract" else amount, unit)
        raise ReferenceGap(f"calculation {kind}")

    # -- transformations ------------------------------------------------------------------

    def transform(self, attr: Mapping[str, Any], base: Any) -> Any:
        tf = attr.get("transformation")
        if not tf:
            return base
        kind = tf["type"]
        if kind == "string-format":
            return self.template(tf["format"], (attr["name"], base))
        if kind == "date-format":
            return date_format(base, tf["format"], tf.get("source_format"))
        if kind == "number-format":
            return number_format(base, tf.get("decimals"), tf.get("pad"), attr["type"])
        if kind == "json-parse":
            return base
        raise ReferenceGap(f"transformation {kind}")

    def template(self, text: str, own: tuple[str, Any] | None) -> str | None:
        parts: list[str | None] = []
        last = 0
        for m in re.finditer(r"\{([^{}]*)\}", text):
            parts.append(text[last:m.start()])
            name = m.group(1).strip()
            if own is not None and name == own[0]:
                parts.append(as_text(own[1]))
            elif name in self.e.by_name:
                parts.append(as_text(self.value(name)))
            elif self.e.source.has(name):
                parts.append(as_text(self.base.get(name)))
            else:
                raise ReferenceGap(f"placeholder {name}")
            last = m.end()
        parts.append(text[last:])
        if any(p is None for p in parts):
            return None
        return "".join(p for p in parts if p is not None)


# =============================================================================== temporal, numbers

_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 604800}
_MONTHS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}


def _add_months(value: dt.date, months: int) -> dt.date:
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def date_add(value: dt.date, amount: int, unit: str) -> dt.date:
    """MySQL DATE_ADD(value, INTERVAL amount unit): month arithmetic clamps the day to the month's end;
    a DATE stays a DATE for DAY/WEEK/MONTH/QUARTER/YEAR and becomes a DATETIME for time units."""
    if unit in _MONTHS:
        return _add_months(value, amount * _MONTHS[unit])
    if not isinstance(value, dt.datetime):
        if unit in ("DAY", "WEEK"):
            return value + dt.timedelta(days=amount * _SECONDS[unit] // 86400)
        value = dt.datetime.combine(value, dt.time())
    return value + dt.timedelta(seconds=amount * _SECONDS[unit])


def _as_datetime(value: dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


def timestampdiff(unit: str, start: dt.date, end: dt.date) -> int:
    """MySQL TIMESTAMPDIFF(unit, start, end): whole units from start to end, truncated toward zero."""
    a, b = _as_datetime(start), _as_datetime(end)
    negative = b < a
    beg, fin = (b, a) if negative else (a, b)
    if unit in _MONTHS:
        months = (fin.year - beg.year) * 12 + (fin.month - beg.month)
        if (fin.day, fin.time()) < (beg.day, beg.time()):
            months -= 1
        result = months // _MONTHS[unit]
    else:
        delta = fin - beg
        micro = delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds
        result = micro // (_SECONDS[unit] * 1_000_000)
    return -result if negative else result


_DATE_TOKENS = ("YYYY", "SSS", "MM", "DD", "HH", "mm", "ss")
EPOCH = dt.datetime(1970, 1, 1)


def date_format(value: Any, fmt: str, source_format: str | None) -> str | None:
    if value is None:
        return None
    if source_format == "epoch_seconds":
        moment = EPOCH + dt.timedelta(seconds=int(value))
    elif source_format == "epoch_millis":
        moment = EPOCH + dt.timedelta(milliseconds=int(value))
    else:
        moment = _as_datetime(value)
    if fmt == "ISO8601":
        return iso(moment)
    out, i = [], 0
    while i < len(fmt):
        token = next((t for t in _DATE_TOKENS if fmt.startswith(t, i)), None)
        if token is None:
            out.append(fmt[i])
            i += 1
            continue
        out.append({"YYYY": f"{moment.year:04d}", "MM": f"{moment.month:02d}", "DD": f"{moment.day:02d}",
                    "HH": f"{moment.hour:02d}", "mm": f"{moment.minute:02d}", "ss": f"{moment.second:02d}",
                    "SSS": f"{moment.microsecond // 1000:03d}"}[token])
        i += len(token)
    return "".join(out)


def number_format(value: Any, decimals: int | None, pad: int | None, attr_type: str) -> Any:
    if value is None:
        return None
    number = Decimal(value)
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)
    if attr_type == "N" and pad is None:
        return number
    text = format(number, "f")
    if pad is not None:
        sign = "-" if text.startswith("-") else ""
        digits = text.lstrip("-")
        whole, _, frac = digits.partition(".")
        text = sign + whole.zfill(pad) + ("." + frac if frac else "")
    return text
