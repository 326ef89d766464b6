"""The catalog of built-ins a fragment may call (migrator/sql/functions.py, docs/contract.md "SQL
fragments"): every function in it is accepted in a realistic call, every one it says MariaDB has is
there on the sandbox's real MariaDB 10.11 and every one it says only MySQL has is not, and each
refusal names the rule the call breaks.

The MariaDB check does not trust the catalog: each function is called, over an empty table with a
column of the type its topic takes, with one to four arguments (or the sample its syntax needs).
MariaDB answers a name it does not know with 1305 (FUNCTION db.name does not exist) whatever the
arguments; a built-in runs with its right number of arguments (1582 for a wrong count, or 1305
for a geometry constructor such as POINT, or 1064 for one with syntax of its own such as EXTRACT).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pymysql
import pytest

from migrator.contract.document import check_contract
from migrator.sandbox import lifecycle
from migrator.sql import fragments
from migrator.sql.fragments import FragmentError, parse_fragment
from migrator.sql.functions import CATALOG, PURE_FUNCTIONS, REFUSALS, REFUSED_FUNCTIONS, Topic, server_only
from tests.conftest import root_connection

#: the column a topic's functions take (the table `t` below has one of each type)
COLUMN = {"spatial": "t.g", "JSON": "t.j", "date and time": "t.d", "numeric": "t.n"}
#: calls whose arguments are syntax of their own, not a list of values
SAMPLES = {
    "CAST": "CAST(t.s AS CHAR)", "CONVERT": "CONVERT(t.s, CHAR)", "EXTRACT": "EXTRACT(YEAR FROM t.d)",
    "DATE_ADD": "DATE_ADD(t.d, INTERVAL 1 DAY)", "DATE_SUB": "DATE_SUB(t.d, INTERVAL 1 DAY)",
    "GET_FORMAT": "GET_FORMAT(DATE, 'EUR')", "POSITION": "POSITION('a' IN t.s)",
    "TIMESTAMPADD": "TIMESTAMPADD(DAY, 1, t.d)", "TIMESTAMPDIFF": "TIMESTAMPDIFF(DAY, t.d, t.d)",
    "COLUMN_GET": "COLUMN_GET(t.s, 'k' AS CHAR)", "UNIX_TIMESTAMP": "UNIX_TIMESTAMP(t.d)",
    "EXTRACTVALUE": "EXTRACTVALUE(t.s, '/a')", "UPDATEXML": "UPDATEXML(t.s, '/a', '<b/>')",
    "NAME_CONST": "NAME_CONST('x', 1)", "POINT": "POINT(t.n, t.n)", "ST_RELATE": "ST_RELATE(t.g, t.g, 'T*F**FFF2')",
    **{name: f"{name}(t.g, t.n)" for name in ("BUFFER", "GEOMETRYN", "INTERIORRINGN", "POINTN", "ST_BUFFER",
                                              "ST_GEOMETRYN", "ST_INTERIORRINGN", "ST_POINTN")},
}
#: names no server has: stored functions as contract authors write them
NOT_BUILT_IN = ("MY_FUNC", "FN_TOTAL", "GET_PRICE", "CALC_TAX")
#: MariaDB's answers for a name it does not have (1630: a qualified built-in name)
ABSENT = (1305, 1064, 1630)


def _topic(name: str) -> Topic:
    return next(t for t in CATALOG if name in t.names)


def calls(name: str, column: str = "t.s") -> list[str]:
    """Realistic calls of `name`: its sample if its syntax needs one, then one to four of a column."""
    generic = [f"{name}({', '.join([column] * k)})" for k in (1, 2, 3, 0, 4)]
    return [SAMPLES[name], *generic] if name in SAMPLES else generic


def catalog_calls(name: str) -> list[str]:
    """Calls of a catalog function over the column its topic takes (text for a geometry read from text)."""
    topic = _topic(name).name
    from_text = topic == "spatial" and name.endswith(("FROMTEXT", "FROMTXT", "FROMGEOJSON"))
    return calls(name, "t.s" if from_text else COLUMN.get(topic, "t.s"))


@pytest.mark.parametrize("name", sorted(PURE_FUNCTIONS))
def test_every_catalog_function_is_accepted_in_a_call(name: str) -> None:
    """The first call that parses is accepted; none is refused as a call (a wrong count of
    arguments may be a syntax error, never a refusal)."""
    for text in catalog_calls(name):
        try:
            parse_fragment(text)
            return
        except FragmentError as exc:
            assert exc.code != "sql.function", (text, str(exc))
    pytest.fail(f"no call of {name} parses: {catalog_calls(name)}")


@pytest.fixture
def functions_db(sandbox: lifecycle.SandboxRecord, mysql_db: str) -> Iterator[pymysql.Connection]:
    """A connection to a database whose empty table `t` has a column of each type a topic takes."""
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (s VARCHAR(64), n INT, d DATETIME, j LONGTEXT, g GEOMETRY)")
    yield conn
    conn.close()


def _outcomes(conn: pymysql.Connection, texts: list[str]) -> list[int]:
    """MariaDB's error code for `SELECT <text> FROM t` of each text, 0 where it ran, until one runs."""
    codes = []
    with conn.cursor() as cur:
        for text in texts:
            try:
                cur.execute(f"SELECT {text} FROM t")
                cur.fetchall()
                codes.append(0)
                break
            except pymysql.MySQLError as exc:
                codes.append(int(exc.args[0]))
    return codes


def test_mariadb_has_every_function_the_catalog_says_it_has(functions_db: pymysql.Connection) -> None:
    on_mariadb = sorted(n for n in PURE_FUNCTIONS if server_only(n) != "mysql")
    missing = {n: codes for n in on_mariadb if 0 not in (codes := _outcomes(functions_db, catalog_calls(n)))}
    assert missing == {}


def test_mariadb_lacks_every_function_the_catalog_says_only_mysql_has(functions_db: pymysql.Connection) -> None:
    mysql_only = sorted(n for n in PURE_FUNCTIONS if server_only(n) == "mysql")
    assert {"ST_LATITUDE", "JSON_SCHEMA_VALID", "REGEXP_LIKE", "BIN_TO_UUID"} <= set(mysql_only)
    present = {n: codes for n in mysql_only
               if not set(codes := _outcomes(functions_db, catalog_calls(n))) <= set(ABSENT)}
    assert present == {}


def test_the_check_tells_a_stored_function_from_a_built_in(functions_db: pymysql.Connection) -> None:
    """The MariaDB checks above can fail: names no server has give 1305 in every call, and a
    built-in called with a wrong count of arguments does not."""
    for name in NOT_BUILT_IN:
        assert set(_outcomes(functions_db, calls(name))) == {1305}, name
    assert _outcomes(functions_db, ["ABS()", "ABS(t.n)"]) == [1582, 0]
    assert _outcomes(functions_db, ["POINT(t.n)", "POINT(t.n, t.n)"]) == [1305, 0]


@pytest.mark.parametrize("name", sorted(REFUSED_FUNCTIONS))
def test_each_refused_function_is_refused_with_its_rule(name: str) -> None:
    rule = REFUSED_FUNCTIONS[name]
    refused = 0
    for text in [f"{name}()", *calls(name)[:2]]:
        if name == "UNIX_TIMESTAMP" and text != "UNIX_TIMESTAMP()":
            continue    # of a value: computes from the row
        try:
            parse_fragment(text)
        except FragmentError as exc:
            if exc.code == "sql.unsafe" and "is not valid MySQL" in str(exc):
                continue
            assert exc.code == "sql.function" and f"which {rule};" in str(exc), (text, str(exc))
            refused += 1
            continue
        pytest.fail(f"{text} is accepted")
    assert refused, name


def test_refusals_say_what_to_write_instead_and_name_no_view_of_ones_own() -> None:
    """The way out of a refusal never needs write access to the source database."""
    for refusal in REFUSALS:
        assert refusal.fix and "view" not in refusal.fix, refusal


@pytest.mark.parametrize("text, written", [("my_func(t.a)", "my_func()"), ("fn_total(t.a, 2)", "fn_total()"),
                                           ("shop.fn_total(t.a)", "shop.fn_total(t.a)")])
def test_an_unknown_name_is_not_a_built_in_that_migrator_knows(text: str, written: str) -> None:
    with pytest.raises(FragmentError) as info:
        parse_fragment(text)
    assert info.value.code == "sql.function"
    assert str(info.value) == (
        f"calls {written}, which is not a MySQL built-in function that migrator knows, so it would be a stored "
        "function, which may read or write outside the row and is refused; compute the value with built-in "
        "functions in the fragment itself (docs/contract.md, \"SQL fragments\", lists them by topic)")


@pytest.mark.parametrize("text, meant", [("SUBSTRNG(t.a, 1, 2)", "SUBSTRING"), ("CONCATT(t.a, 'x')", "CONCAT"),
                                         ("JSON_EXTRCT(t.a, '$.k')", "JSON_EXTRACT"), ("ST_ASTEXTT(t.g)", "ST_ASTEXT")])
def test_a_near_miss_asks_did_you_mean_in_one_sentence(text: str, meant: str) -> None:
    with pytest.raises(FragmentError) as info:
        parse_fragment(text)
    message = str(info.value)
    assert f"(did you mean {meant}?)" in message and "stored function" in message
    doc = {"tables": [{"table": "Tab", "type": "single-entity", "source_table": "t", "pk": "id", "satisfies": [],
                       "estimated_item_size_bytes": 1, "attributes": [
                           {"name": "id", "type": "N", "source_table": "t", "source_column": "id"},
                           {"name": "x", "type": "S", "source_table": "t", "source_column": "a", "calculation": {
                               "type": "case", "cases": [{"when": "t.id > 0", "then": text}], "else": "NULL"}}]}]}
    sentences = [f.sentence() for f in check_contract(doc) if f.code == "sql.function"]
    assert len(sentences) == 1 and f"did you mean {meant}" in sentences[0], sentences
    assert re.search(r"[.?!;:,]{2}", sentences[0]) is None and sentences[0].count(". ") == 0, sentences[0]


@pytest.mark.parametrize("text", ["ST_X(place.loc)", "ST_Y(place.loc)", "ST_AsText(place.loc)",
                                  "ST_AsGeoJSON(place.loc)", "st_x(place.loc) + ST_Y(place.loc)"])
def test_spatial_accessors_are_accepted(text: str) -> None:
    """A user found ST_X, ST_Y, ST_AsText and ST_AsGeoJSON refused as "not a built-in"."""
    assert parse_fragment(text).text == text


def test_a_function_of_one_server_is_accepted_and_knows_its_server() -> None:
    """The parser check accepts it (the compiler, which knows the server, can warn)."""
    expected = {"NATURAL_SORT_KEY": "mariadb", "JSON_DETAILED": "mariadb", "NVL": "mariadb", "ST_LATITUDE": "mysql",
                "JSON_SCHEMA_VALID": "mysql", "REGEXP_LIKE": "mysql", "SUBSTRING": None, "ST_X": None,
                "MY_FUNC": None, "natural_sort_key": "mariadb"}
    assert {name: server_only(name) for name in expected} == expected
    parse_fragment("NATURAL_SORT_KEY(t.a)")
    parse_fragment("ST_LATITUDE(t.g)")


def test_the_catalog_is_consistent_and_fragments_reexports_it() -> None:
    assert fragments.PURE_FUNCTIONS is PURE_FUNCTIONS and fragments.REFUSED_FUNCTIONS is REFUSED_FUNCTIONS
    for topic in CATALOG:
        sets = (topic.both, topic.mysql_only, topic.mariadb_only)
        assert all(n == n.upper() and re.fullmatch(r"[A-Z_][A-Z0-9_]*", n) for s in sets for n in s), topic.name
        assert sum(map(len, sets)) == len(topic.names), f"{topic.name}: a name in two server sets"
    assert sum(len(t.names) for t in CATALOG) == len(PURE_FUNCTIONS), "a name in two topics"
    # UNIX_TIMESTAMP of a value computes from the row; without one it reads the clock
    assert PURE_FUNCTIONS & set(REFUSED_FUNCTIONS) == {"UNIX_TIMESTAMP"}
    assert not PURE_FUNCTIONS & (fragments.AGGREGATE_FUNCTIONS | fragments.WINDOW_FUNCTIONS)


def test_a_call_whose_short_forms_crash_the_parser_is_still_read() -> None:
    """DATE_ADD(x) makes sqlglot 30 raise AttributeError; naming a call as written tries such forms."""
    from migrator.sql.fragments import parse_fragment

    tree = parse_fragment("DATE_FORMAT(DATE_ADD(o.at, INTERVAL p.days DAY), '%Y-%m-%d')").tree
    assert tree is not None
