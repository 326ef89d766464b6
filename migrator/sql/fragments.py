"""SQL fragments written by contract authors: parsed as MySQL expressions, checked, rewritten.

A fragment (`join_condition`, `select_column`, ...) must be one expression: no second
statement, no comment, no subquery, no DDL or DML, no user or system variable, and no call
that could act beyond computing a value: a function sqlglot does not know by type must be
a MySQL built-in named in PURE_FUNCTIONS (SLEEP, BENCHMARK, LOAD_FILE, GET_LOCK and stored
functions are refused: the view runs them for every row it is read), no aggregate and no window
function (a fragment's value is one row's value: an aggregate collapses the entity's rows into one,
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

_FORBIDDEN: tuple[type, ...] = (
    exp.Query, exp.Subquery, exp.DDL, exp.DML, exp.Command, exp.Create, exp.Drop, exp.Insert, exp.Update,
    exp.Delete, exp.Merge, exp.Use, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
)


#: MySQL/MariaDB built-ins that only compute a value, for the calls sqlglot parses untyped.
PURE_FUNCTIONS = frozenset(["ABS", "ACOS", "ADDDATE", "ADDTIME", "ASCII", "ASIN", "ATAN", "ATAN2", "BIN", "BIN_TO_UUID", "BIT_COUNT", "BIT_LENGTH", "CEIL", "CEILING", "CHAR", "CHARACTER_LENGTH", "CHARSET", "CHAR_LENGTH", "CHR", "COALESCE", "COERCIBILITY", "COLLATION", "CONCAT", "CONCAT_WS", "CONV", "CONVERT", "CONVERT_TZ", "COS", "COT", "CRC32", "CURDATE", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURTIME", "DATE", "DATEDIFF", "DATE_ADD", "DATE_FORMAT", "DATE_SUB", "DAY", "DAYNAME", "DAYOFMONTH", "DAYOFWEEK", "DAYOFYEAR", "DEGREES", "ELT", "EXP", "EXPORT_SET", "EXTRACT", "FIELD", "FIND_IN_SET", "FLOOR", "FORMAT", "FROM_BASE64", "FROM_DAYS", "FROM_UNIXTIME", "GET_FORMAT", "GREATEST", "HEX", "HOUR", "IF", "IFNULL", "INET6_ATON", "INET6_NTOA", "INET_ATON", "INET_NTOA", "INSERT", "INSTR", "ISNULL", "IS_IPV4", "IS_IPV6", "JSON_ARRAY", "JSON_ARRAY_APPEND", "JSON_ARRAY_INSERT", "JSON_COMPACT", "JSON_CONTAINS", "JSON_CONTAINS_PATH", "JSON_DEPTH", "JSON_DETAILED", "JSON_EXISTS", "JSON_EXTRACT", "JSON_INSERT", "JSON_KEYS", "JSON_LENGTH", "JSON_LOOSE", "JSON_MERGE", "JSON_MERGE_PATCH", "JSON_MERGE_PRESERVE", "JSON_OBJECT", "JSON_PRETTY", "JSON_QUERY", "JSON_QUOTE", "JSON_REMOVE", "JSON_REPLACE", "JSON_SEARCH", "JSON_SET", "JSON_TYPE", "JSON_UNQUOTE", "JSON_VALID", "JSON_VALUE", "LAST_DAY", "LCASE", "LEAST", "LEFT", "LENGTH", "LENGTHB", "LN", "LOCALTIME", "LOCALTIMESTAMP", "LOCATE", "LOG", "LOG10", "LOG2", "LOWER", "LPAD", "LTRIM", "MAKEDATE", "MAKETIME", "MAKE_SET", "MD5", "MICROSECOND", "MID", "MINUTE", "MOD", "MONTH", "MONTHNAME", "NATURAL_SORT_KEY", "NOW", "NULLIF", "NVL", "NVL2", "OCT", "OCTET_LENGTH", "ORD", "PERIOD_ADD", "PERIOD_DIFF", "PI", "POINT", "POSITION", "POW", "POWER", "QUARTER", "QUOTE", "RADIANS", "REGEXP_INSTR", "REGEXP_LIKE", "REGEXP_REPLACE", "REGEXP_SUBSTR", "REPEAT", "REPLACE", "REVERSE", "RIGHT", "ROUND", "RPAD", "RTRIM", "SECOND", "SEC_TO_TIME", "SHA", "SHA1", "SHA2", "SIGN", "SIN", "SOUNDEX", "SPACE", "SQRT", "STRCMP", "STR_TO_DATE", "ST_AREA", "ST_ASBINARY", "ST_ASGEOJSON", "ST_ASTEXT", "ST_ASWKB", "ST_ASWKT", "ST_BOUNDARY", "ST_BUFFER", "ST_CENTROID", "ST_CONTAINS", "ST_CONVEXHULL", "ST_CROSSES", "ST_DIFFERENCE", "ST_DIMENSION", "ST_DISJOINT", "ST_DISTANCE", "ST_DISTANCE_SPHERE", "ST_ENDPOINT", "ST_ENVELOPE", "ST_EQUALS", "ST_EXTERIORRING", "ST_GEOMCOLLFROMTEXT", "ST_GEOMETRYFROMTEXT", "ST_GEOMETRYN", "ST_GEOMETRYTYPE", "ST_GEOMFROMGEOJSON", "ST_GEOMFROMTEXT", "ST_GEOMFROMWKB", "ST_INTERIORRINGN", "ST_INTERSECTION", "ST_INTERSECTS", "ST_ISCLOSED", "ST_ISEMPTY", "ST_ISRING", "ST_ISSIMPLE", "ST_ISVALID", "ST_LENGTH", "ST_LINEFROMTEXT", "ST_MPOINTFROMTEXT", "ST_NUMGEOMETRIES", "ST_NUMINTERIORRINGS", "ST_NUMPOINTS", "ST_OVERLAPS", "ST_POINTFROMTEXT", "ST_POINTN", "ST_POLYFROMTEXT", "ST_RELATE", "ST_SRID", "ST_STARTPOINT", "ST_SYMDIFFERENCE", "ST_TOUCHES", "ST_UNION", "ST_WITHIN", "ST_X", "ST_Y", "SUBDATE", "SUBSTR", "SUBSTRING", "SUBSTRING_INDEX", "SUBTIME", "SYSDATE", "TAN", "TIME", "TIMEDIFF", "TIMESTAMP", "TIMESTAMPADD", "TIMESTAMPDIFF", "TIME_FORMAT", "TIME_TO_SEC", "TO_BASE64", "TO_DAYS", "TO_SECONDS", "TRIM", "TRUNCATE", "UCASE", "UNHEX", "UNIX_TIMESTAMP", "UPPER", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "UUID_TO_BIN", "WEEK", "WEEKDAY", "WEEKOFYEAR", "WEIGHT_STRING", "YEAR", "YEARWEEK"])


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
#: functions whose value is the time of the read (UNIX_TIMESTAMP only without an argument)
CLOCK_FUNCTIONS = ("NOW", "SYSDATE", "CURDATE", "CURTIME", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP",
                   "LOCALTIME", "LOCALTIMESTAMP", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "UNIX_TIMESTAMP")
#: calls refused by name, with the rule each breaks (docs/contract.md, "SQL fragments")
REFUSED_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(["SLEEP", "BENCHMARK", "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "WAIT_FOR_EXECUTED_GTID_SET"],
                    "waits or burns time, for every row each time the view is read"),
    "LOAD_FILE": "reads a file on the database server, outside the row",
    **dict.fromkeys(["GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK"],
                    "takes or reads a server lock, outside the row"),
    **dict.fromkeys(["RAND", "UUID", "UUID_SHORT", "RANDOM_BYTES", "SYS_GUID"],
                    "gives another value at every read, so the load and its checks could never agree"),
    **dict.fromkeys(["LAST_INSERT_ID", "ROW_COUNT", "FOUND_ROWS", "CONNECTION_ID"],
                    "reads the state of the session, not the row"),
    **dict.fromkeys(CLOCK_FUNCTIONS, "reads the clock, so the value changes between the load and its checks "
                    "(and at every re-run): the items could never be checked against their rows"),
}


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
    if name in REFUSED_FUNCTIONS or isinstance(node, (exp.Rand, exp.Uuid)):
        fix = ("read a column that holds the time (such as the row's own updated_at), or write the date as a "
               "literal" if name in CLOCK_FUNCTIONS else "compute it in a MySQL view of your own and read that")
        raise FragmentError(f"calls {written_name(node, text)}(), which "
                            f"{REFUSED_FUNCTIONS.get(name, REFUSED_FUNCTIONS['RAND'])}; a "
                            f"fragment may only compute a value from the row — {fix}", "sql.function")
    if isinstance(node, exp.Anonymous):
        qualified = isinstance(node.parent, exp.Dot)
        if qualified or node.name.upper() not in PURE_FUNCTIONS:
            call = node.parent.sql(dialect="mysql") if qualified and node.parent else f"{node.name}()"
            raise FragmentError(f"calls {call}, which is not a MySQL built-in function (a stored function may "
                                "read or write outside the row, and is refused); compute the value in a MySQL view "
                                "of your own and read that", "sql.function")


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
        except (ParseError, TokenError):
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
        fix = (f"use a calculation of type aggregate (operation {name}, its argument as select_column, with the "
               "target_table and join_condition of the related rows)")
    elif name in ("GROUP_CONCAT", "JSON_ARRAYAGG", "JSON_OBJECTAGG"):
        fix = "collect the related rows with a json-construction join of construction type array"
    else:
        fix = ("use a calculation of type aggregate (" + ", ".join(CALCULATION_OPERATIONS) + "), or compute the "
               "value in a MySQL view of your own and read that")
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
