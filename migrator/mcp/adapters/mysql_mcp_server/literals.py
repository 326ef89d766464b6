"""Values and statements written so the server takes them: it has no parameters and refuses any
`;`, even inside a string literal, so values are inlined as literals and text with a `;` goes as hex."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any

from migrator.protocol import time_text


def sql_literal(value: Any) -> str:
    """A value as a MySQL literal that contains no ';' and needs no escaping.

    Text goes as `_utf8mb4 X'..'`: an introduced literal is *coercible*, so it compares under the
    other operand's collation like a quoted literal would (`CONVERT(.. USING ..)` is *implicit*
    and fails with "Illegal mix of collations" against a column of another collation).
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"X'{bytes(value).hex()}'"
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, (dt.date, dt.time)):
        text = value.isoformat()
    elif isinstance(value, dt.timedelta):
        text = time_text(value)
    else:
        text = str(value)
    return f"_utf8mb4 X'{text.encode('utf-8').hex()}'"


def inline_params(sql: str, params: Sequence[Any] | None) -> str:
    """pymysql-style `%s` placeholders filled client-side (the server takes no parameters)."""
    if not params:
        return sql
    return sql % tuple(sql_literal(p) for p in params)


def hex_string_literals(sql: str) -> str:
    """Rewrite string literals that contain ';' as hex, so the server's ';' guard lets them through."""
    if ";" not in sql:
        return sql
    from sqlglot.dialects.mysql import MySQL as Dialect
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect().tokenize(sql)
    except Exception:
        return sql
    out: list[str] = []
    last = 0
    for n, tok in enumerate(tokens):
        if tok.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING) and ";" in sql[tok.start:tok.end + 1]:
            start, value = tok.start, sql_literal(tok.text)  # a NATIONAL_STRING token includes its N
            before = tokens[n - 1] if n else None
            if before is not None and before.token_type == TokenType.INTRODUCER and before.end >= last:
                # `_latin1'..'`: the hex literal carries its own introducer; `_binary'..'` stays bytes
                start = before.start
                if before.text.lower() == "_binary":
                    value = sql_literal(tok.text.encode("utf-8"))
            out.append(sql[last:start])
            out.append(value)
            last = tok.end + 1
    out.append(sql[last:])
    return "".join(out)
