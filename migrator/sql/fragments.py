"""SQL fragments written by contract authors: parsed as MySQL expressions, checked, rewritten.

A fragment (`join_condition`, `select_column`, ...) must be one expression: no second
statement, no comment, no subquery, no DDL or DML, no user or system variable, and no call
that could act beyond computing a value: a function sqlglot does not know by type must be
a MySQL built-in named in PURE_FUNCTIONS (SLEEP, BENCHMARK, LOAD_FILE, GET_LOCK and stored
functions are refused: the view runs them for every row it is read). Column references are
rewritten onto the compiler's aliases through the AST, never by string replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

_FORBIDDEN: tuple[type, ...] = (
    exp.Query, exp.Subquery, exp.DDL, exp.DML, exp.Command, exp.Create, exp.Drop, exp.Insert, exp.Update,
    exp.Delete, exp.Merge, exp.Use, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
)


#: MySQL/MariaDB built-ins that only compute a value, for the calls sqlglot parses untyped.
PURE_FUNCTIONS = frozenset(["ABS", "ACOS", "ADDDATE", "ADDTIME", "ANY_VALUE", "ASCII", "ASIN", "ATAN", "ATAN2", "AVG", "BIN", "BIN_TO_UUID", "BIT_AND", "BIT_COUNT", "BIT_LENGTH", "BIT_OR", "BIT_XOR", "CEIL", "CEILING", "CHAR", "CHAR_LENGTH", "CHARACTER_LENGTH", "CHARSET", "CHR", "COALESCE", "COERCIBILITY", "COLLATION", "CONCAT", "CONCAT_WS", "CONV", "CONVERT", "CONVERT_TZ", "COS", "COT", "COUNT", "CRC32", "CUME_DIST", "CURDATE", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURTIME", "DATE", "DATE_ADD", "DATE_FORMAT", "DATE_SUB", "DATEDIFF", "DAY", "DAYNAME", "DAYOFMONTH", "DAYOFWEEK", "DAYOFYEAR", "DEGREES", "DENSE_RANK", "ELT", "EXP", "EXPORT_SET", "EXTRACT", "FIELD", "FIND_IN_SET", "FIRST_VALUE", "FLOOR", "FORMAT", "FROM_BASE64", "FROM_DAYS", "FROM_UNIXTIME", "GET_FORMAT", "GREATEST", "GROUP_CONCAT", "HEX", "HOUR", "IF", "IFNULL", "INET6_ATON", "INET6_NTOA", "INET_ATON", "INET_NTOA", "INSERT", "INSTR", "IS_IPV4", "IS_IPV6", "ISNULL", "JSON_ARRAY", "JSON_ARRAY_APPEND", "JSON_ARRAY_INSERT", "JSON_ARRAYAGG", "JSON_COMPACT", "JSON_CONTAINS", "JSON_CONTAINS_PATH", "JSON_DEPTH", "JSON_DETAILED", "JSON_EXISTS", "JSON_EXTRACT", "JSON_INSERT", "JSON_KEYS", "JSON_LENGTH", "JSON_LOOSE", "JSON_MERGE", "JSON_MERGE_PATCH", "JSON_MERGE_PRESERVE", "JSON_OBJECT", "JSON_OBJECTAGG", "JSON_PRETTY", "JSON_QUERY", "JSON_QUOTE", "JSON_REMOVE", "JSON_REPLACE", "JSON_SEARCH", "JSON_SET", "JSON_TYPE", "JSON_UNQUOTE", "JSON_VALID", "JSON_VALUE", "LAG", "LAST_DAY", "LAST_VALUE", "LCASE", "LEAD", "LEAST", "LEFT", "LENGTH", "LENGTHB", "LN", "LOCALTIME", "LOCALTIMESTAMP", "LOCATE", "LOG", "LOG10", "LOG2", "LOWER", "LPAD", "LTRIM", "MAKE_SET", "MAKEDATE", "MAKETIME", "MAX", "MD5", "MICROSECOND", "MID", "MIN", "MINUTE", "MOD", "MONTH", "MONTHNAME", "NATURAL_SORT_KEY", "NOW", "NTH_VALUE", "NTILE", "NULLIF", "NVL", "NVL2", "OCT", "OCTET_LENGTH", "ORD", "PERCENT_RANK", "PERIOD_ADD", "PERIOD_DIFF", "PI", "POSITION", "POW", "POWER", "QUARTER", "QUOTE", "RADIANS", "RAND", "RANK", "REGEXP_INSTR", "REGEXP_LIKE", "REGEXP_REPLACE", "REGEXP_SUBSTR", "REPEAT", "REPLACE", "REVERSE", "RIGHT", "ROUND", "ROW_NUMBER", "RPAD", "RTRIM", "SEC_TO_TIME", "SECOND", "SHA", "SHA1", "SHA2", "SIGN", "SIN", "SOUNDEX", "SPACE", "SQRT", "STD", "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "STR_TO_DATE", "STRCMP", "SUBDATE", "SUBSTR", "SUBSTRING", "SUBSTRING_INDEX", "SUBTIME", "SUM", "SYSDATE", "TAN", "TIME", "TIME_FORMAT", "TIME_TO_SEC", "TIMEDIFF", "TIMESTAMP", "TIMESTAMPADD", "TIMESTAMPDIFF", "TO_BASE64", "TO_DAYS", "TO_SECONDS", "TRIM", "TRUNCATE", "UCASE", "UNHEX", "UNIX_TIMESTAMP", "UPPER", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "UUID", "UUID_TO_BIN", "VAR_POP", "VAR_SAMP", "VARIANCE", "WEEK", "WEEKDAY", "WEEKOFYEAR", "WEIGHT_STRING", "YEAR", "YEARWEEK"])


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
    present = [s for s in statements if s is not None]
    if len(present) != 1:
        raise FragmentError("holds more than one statement; write one expression without ';'")
    tree = cast(exp.Expression, present[0])  # sqlglot types parse() as its base class
    for node in tree.walk():
        if node.comments:
            raise FragmentError("contains a comment; remove it")
        if isinstance(node, _FORBIDDEN):
            what = "a subquery" if isinstance(node, (exp.Query, exp.Subquery)) else f"a {type(node).__name__} statement"
            raise FragmentError(f"contains {what}; only an expression over the joined tables is allowed")
        _check_call_or_variable(cast(exp.Expression, node))
    bare = _outside_strings(text)
    if "--" in bare or "/*" in bare or "#" in bare:
        raise FragmentError("contains a comment; remove it")
    return Fragment(text, tree)


def _check_call_or_variable(node: exp.Expression) -> None:
    if isinstance(node, (exp.Parameter, exp.SessionParameter, exp.PropertyEQ, exp.Placeholder)):
        raise FragmentError(f"uses a variable or an assignment ({node.sql(dialect='mysql')}); only columns, "
                            "literals and built-in functions are allowed")
    if isinstance(node, exp.Anonymous):
        qualified = isinstance(node.parent, exp.Dot)
        if qualified or node.name.upper() not in PURE_FUNCTIONS:
            call = node.parent.sql(dialect="mysql") if qualified and node.parent else f"{node.name}()"
            raise FragmentError(f"calls {call}, which is not a MySQL built-in that only computes a value "
                                "(functions that wait, lock, read files or count rows, and stored functions, "
                                "are refused); compute the value in a MySQL view of your own and read that")


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
