"""SQL fragments written by contract authors: parsed as MySQL expressions, checked, rewritten.

A fragment (`join_condition`, `select_column`, ...) must be one expression: no second
statement, no comment, no subquery, no DDL or DML. Column references are rewritten onto
the compiler's aliases through the AST, never by string replacement.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

_FORBIDDEN: tuple[type[exp.Expression], ...] = (
    exp.Query, exp.Subquery, exp.DDL, exp.DML, exp.Command, exp.Create, exp.Drop, exp.Insert, exp.Update,
    exp.Delete, exp.Merge, exp.Use, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
)


class FragmentError(ValueError):
    """The fragment is not a safe single MySQL expression; the message says why."""


@dataclass(frozen=True)
class Fragment:
    text: str
    tree: exp.Expression


def parse_fragment(text: str) -> Fragment:
    if not isinstance(text, str) or not text.strip():
        raise FragmentError("is empty")
    try:
        statements = sqlglot.parse(text, read="mysql")
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise FragmentError(f"is not valid MySQL ({first})") from None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        raise FragmentError("holds more than one statement; write one expression without ';'")
    tree = statements[0]
    for node in tree.walk():
        if node.comments:
            raise FragmentError("contains a comment; remove it")
        if isinstance(node, _FORBIDDEN):
            what = "a subquery" if isinstance(node, (exp.Query, exp.Subquery)) else f"a {type(node).__name__} statement"
            raise FragmentError(f"contains {what}; only an expression over the joined tables is allowed")
    bare = _outside_strings(text)
    if "--" in bare or "/*" in bare or "#" in bare:
        raise FragmentError("contains a comment; remove it")
    return Fragment(text, tree)


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

