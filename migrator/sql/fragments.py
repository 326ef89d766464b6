"""SQL fragments written by contract authors: parsed as MySQL expressions, checked, rewritten.

A fragment (`join_condition`, `select_column`, ...) must be one expression: no second
statement, no comment, no subquery, no DDL or DML, no user or system variable, and no call
that could act beyond computing a value: a function sqlglot does not know by type must be
a built-in of the catalog in `migrator.sql.functions` (SLEEP, LOAD_FILE, GET_LOCK, the clock and
stored functions are refused, each with the rule it breaks: the view runs them for every row each
time it is read), no aggregate and no window function (a fragment's value is one row's value: an aggregate collapses the entity's rows into one,
a window reads other rows of the view; aggregates over related rows are a calculation of type
aggregate, which wraps the operation itself). Column references are rewritten onto the compiler's
aliases through the AST, never by string replacement.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from migrator.sql.functions import CLOCK_FUNCTIONS, PURE_FUNCTIONS, REFUSED_FUNCTIONS, closest, refusal

__all__ = ["AGGREGATE_FUNCTIONS", "CALCULATION_OPERATIONS", "CLOCK_FUNCTIONS", "PURE_FUNCTIONS", "REFUSED_FUNCTIONS",
           "WINDOW_FUNCTIONS", "Fragment", "FragmentError", "parse_fragment", "split_order", "written_name"]

_FORBIDDEN: tuple[type, ...] = (
    exp.Query, exp.Subquery, exp.DDL, exp.DML, exp.Command, exp.Create, exp.Drop, exp.Insert, exp.Update,
    exp.Delete, exp.Merge, exp.Use, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
)


#: aggregate functions sqlglot may parse untyped (the typed ones are `exp.AggFunc`)
AGGREGATE_FUNCTIONS = frozenset(["ANY_VALUE", "AVG", "BIT_AND", "BIT_OR", "BIT_XOR", "COUNT", "GROUP_CONCAT",
                                 "JSON_ARRAYAGG", "JSON_OBJECTAGG", "MAX", "MEDIAN", "MIN", "PERCENTILE_CONT",
                                 "PERCENTILE_DISC", "ST_COLLECT", "STD", "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "SUM",
                                 "VAR_POP", "VAR_SAMP", "VARIANCE"])
#: functions that only exist over a window of rows
WINDOW_FUNCTIONS = frozenset(["CUME_DIST", "DENSE_RANK", "FIRST_VALUE", "LAG", "LAST_VALUE", "LEAD", "NTH_VALUE",
                              "NTILE", "PERCENT_RANK", "RANK", "ROW_NUMBER"])
#: the operations a calculation of type aggregate wraps around its select_column
CALCULATION_OPERATIONS = ("SUM", "COUNT", "AVG", "MIN", "MAX")

#: a word of a fragment (outside quotes): a call's name is one
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a fragment opening with a call the parser would read as a REPLACE or INSERT statement
_STATEMENT_LIKE_CALL = re.compile(r"\s*(REPLACE|INSERT)\s*\(", re.IGNORECASE)


class FragmentError(ValueError):
    """The fragment is not a safe single MySQL expression; the message says why (and what to do)."""

    def __init__(self, message: str, code: str = "sql.unsafe") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Fragment:
    text: str
    tree: exp.Expression


def parse_fragment(text: str) -> Fragment:
    if not isinstance(text, str) or not text.strip():
        raise FragmentError("is empty")
    tree = _parse_expression(text)
    for node in tree.walk():
        if node.comments:
            raise FragmentError("contains a comment; remove it")
        if isinstance(node, _FORBIDDEN):
            what = "a subquery" if isinstance(node, (exp.Query, exp.Subquery)) else f"a {type(node).__name__} statement"
            raise FragmentError(f"contains {what}; only an expression over the joined tables is allowed")
        _check_call_or_variable(cast(exp.Expression, node), text)
    bare = _outside_strings(text)
    if "--" in bare or "/*" in bare or "#" in bare:
        raise FragmentError("contains a comment; remove it")
    return Fragment(text, tree)


def _parse_expression(text: str) -> exp.Expression:
    """The one expression of `text`. A fragment opening with REPLACE( or INSERT( — MySQL's string
    functions — is read inside parentheses, where the parser cannot take it for a statement; the
    parentheses must enclose the whole fragment."""
    wrapped = _STATEMENT_LIKE_CALL.match(text) is not None
    try:
        statements = sqlglot.parse(f"({text})" if wrapped else text, read="mysql")
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise FragmentError(f"is not valid MySQL ({first})") from None
    except AttributeError:
        # sqlglot 30 fails so on a DATE_ADD or DATE_SUB without its INTERVAL, instead of a ParseError
        raise FragmentError("is not valid MySQL (a call lacks an argument its syntax requires)") from None
    present = [s for s in statements if s is not None]
    if len(present) != 1:
        raise FragmentError("holds more than one statement; write one expression without ';'")
    tree = cast(exp.Expression, present[0])  # sqlglot types parse() as its base class
    if wrapped:
        if not isinstance(tree, exp.Paren):
            raise FragmentError("is not valid MySQL (unbalanced parentheses)")
        tree = tree.this
        tree.parent = None
    return tree


def _check_call_or_variable(node: exp.Expression, text: str) -> None:
    if isinstance(node, (exp.Parameter, exp.SessionParameter, exp.PropertyEQ, exp.Placeholder)):
        raise FragmentError(f"uses a variable or an assignment ({node.sql(dialect='mysql')}); only columns, "
                            "literals and built-in functions are allowed")
    _check_rows(node, text)
    if isinstance(node, exp.RegexpLike) and node.args.get("flag") is not None:
        raise FragmentError("calls REGEXP_LIKE() with a match type, which MariaDB does not have (it has only the "
                            "REGEXP operator); write `a REGEXP '(?i)pattern'` for a case-insensitive match, or "
                            "`a REGEXP 'pattern'`", "sql.function")
    name = _function_name(node)
    if name == "UNIX_TIMESTAMP" and node.expressions:
        name = ""   # of a value given: computes from the row
    refused = refusal("RAND" if isinstance(node, (exp.Rand, exp.Uuid)) else name)
    if refused is None and name and name not in PURE_FUNCTIONS and not isinstance(node, exp.Anonymous):
        # sqlglot names some typed calls its own way (DATABASE() is CURRENT_SCHEMA): the author's word decides
        refused = refusal(written_name(node, text))
    if refused is not None:
        raise FragmentError(f"calls {written_name(node, text)}(), which {refused.rule}; a fragment may only "
                            f"compute a value from the row — {refused.fix}", "sql.function")
    if isinstance(node, exp.Anonymous):
        qualified = isinstance(node.parent, exp.Dot)
        if qualified or node.name.upper() not in PURE_FUNCTIONS:
            raise _unknown_function(node, qualified)


def _unknown_function(node: exp.Anonymous, qualified: bool) -> FragmentError:
    """A call of a name no catalog topic holds: a misspelt built-in, or a stored function, which may read or
    write outside the row. The way out stays in the fragment: the built-in meant, or built-ins that compute
    the value (a view of one's own would need write access to the source database)."""
    call = node.parent.sql(dialect="mysql") if qualified and node.parent else f"{node.name}()"
    meant = None if qualified else closest(node.name)
    if meant is not None:
        return FragmentError(f"calls {call}, which is not a MySQL built-in function that migrator knows (did you "
                             f"mean {meant}?), so it would be a stored function, which may read or write outside "
                             "the row and is refused", "sql.function")
    return FragmentError(f"calls {call}, which is not a MySQL built-in function that migrator knows, so it would "
                         "be a stored function, which may read or write outside the row and is refused; compute "
                         "the value with built-in functions in the fragment itself (docs/contract.md, \"SQL "
                         "fragments\", lists them by topic)", "sql.function")


def _function_name(node: exp.Expression) -> str:
    """The upper-case name of a call as MySQL writes it ('' for what is no call)."""
    if isinstance(node, exp.Anonymous):
        return node.name.upper()
    if isinstance(node, exp.Func):
        return node.sql_name().upper()
    return ""


def written_name(node: exp.Expression, text: str) -> str:
    """The name of a call as the fragment writes it: sqlglot reads STD, CURDATE or JSON_OBJECTAGG into
    typed nodes whose own names (STDDEV_POP, CURRENT_DATE, J_S_O_N_OBJECT_AGG) the author never wrote.
    The first word of the text that parses to the same kind of call is it."""
    if not isinstance(node, exp.Func) or isinstance(node, exp.Anonymous):
        return _function_name(node)
    for word in dict.fromkeys(w.upper() for w in _WORD.findall(_outside_strings(text))):
        if _parses_to(word, type(node).__name__):
            return word
    return _function_name(node)


@functools.lru_cache(maxsize=512)
def _parses_to(word: str, kind: str) -> bool:
    """`word` called with no, one or two arguments (or alone) parses to a node of class `kind`."""
    for form in (f"{word}(x)", f"{word}(x, y)", f"{word}()", word):
        try:
            if type(sqlglot.parse_one(form, read="mysql")).__name__ == kind:
                return True
        except (ParseError, TokenError, AttributeError):   # sqlglot 30: DATE_ADD(x) raises AttributeError
            continue
    return False


def _check_rows(node: exp.Expression, text: str) -> None:
    """No aggregate and no window: a fragment's value is one row's value."""
    if isinstance(node, exp.Window):
        inner = node.this if isinstance(node.this, exp.Expression) else node
        raise _window_error(written_name(inner, text) or "OVER")
    name = _function_name(node)
    if name in WINDOW_FUNCTIONS:
        raise _window_error(written_name(node, text))
    if isinstance(node, exp.WithinGroup):
        raise _aggregate_error(written_name(node.this, text))
    if isinstance(node, exp.AggFunc) or name in AGGREGATE_FUNCTIONS:
        raise _aggregate_error(written_name(node, text))


def _aggregate_error(name: str) -> FragmentError:
    if name in CALCULATION_OPERATIONS:
        fix = (f'end a path in an aggregate ("aggregate": {{"function": "{name}", "of": <its argument>}}, after the '
               "steps that reach the related rows), or use a calculation of type aggregate")
    elif name in ("GROUP_CONCAT", "JSON_ARRAYAGG", "JSON_OBJECTAGG"):
        fix = ('end a path in a collection ("collect": {"type": "list", "values": ...}), or use a '
               "json-construction join of construction type array")
    else:
        fix = ("end a path in an aggregate (" + ", ".join(CALCULATION_OPERATIONS) + "), or compute the value in a "
               "MySQL view of your own and read that")
    return FragmentError(f"uses the aggregate function {name}(): a join's or an expression's value is one row's "
                         f"value, and an aggregate collapses the entity's rows into one — {fix}", "sql.aggregate")


def _window_error(name: str) -> FragmentError:
    return FragmentError(f"uses the window function {name}(): a join's or an expression's value is one row's "
                         "value, and a window reads the other rows of the view, so the value would depend on "
                         "which rows the view holds — count or compare related rows with a calculation of type "
                         "aggregate, or compute the value in a MySQL view of your own and read that", "sql.window")


def _outside_strings(text: str) -> str:
    """The text with quoted strings and identifiers removed, to spot comment markers."""
    out, quote = [], ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def split_order(text: str) -> list[str]:
    """Split an ORDER BY list on top-level commas."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]
