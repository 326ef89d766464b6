"""Index coverage: the views' range of items carrying each index's keys (SQL in a real MariaDB
against a Python computation from the same rows), the verdict sentences, and the recount while
an index lags its table."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from migrator.providers import check
from migrator.sandbox import lifecycle
from migrator.compare.coverage import CoverageSource, IndexCoverage, carried_bounds, carried_sql
from tests.conftest import root_connection

KEYS = [("pk", "S"), ("sk", "N")]
#: view a gives g1 and g2, view b only g1: an index on g2 is sparse for b's entity
INDEXES = {"ByG1": ["g1"], "ByG1G2": ["g1", "g2"], "ByPkG2": ["pk", "g2"], "BySk": ["sk"]}
SOURCES = [CoverageSource("va", frozenset({"pk", "sk", "g1", "g2"})), CoverageSource("vb", frozenset({"pk", "sk", "g1"}))]

pks = st.one_of(st.none(), st.sampled_from(["", "a", "A", "b", "a ", "é"]))
sks = st.one_of(st.none(), st.integers(0, 2))
maybe = st.one_of(st.none(), st.sampled_from(["x", ""]))
rows_a = st.lists(st.tuples(pks, sks, maybe, st.one_of(st.none(), st.integers(0, 1))), max_size=14)
rows_b = st.lists(st.tuples(pks, sks, maybe), max_size=10)


def reference(a: Sequence[tuple[Any, ...]], b: Sequence[tuple[Any, ...]]) -> dict[str, tuple[int, int]]:
    """Per index, the loadable keys (pk by its bytes, sk) whose every row / some row carries its keys."""
    rows: list[dict[str, Any]] = [dict(zip(("pk", "sk", "g1", "g2"), r)) for r in a]
    rows += [dict(zip(("pk", "sk", "g1"), r)) for r in b]
    groups: dict[tuple[bytes, int], list[dict[str, Any]]] = {}
    for row in rows:
        if row["pk"] not in (None, "") and row["sk"] is not None:
            groups.setdefault((row["pk"].encode(), row["sk"]), []).append(row)
    out = {}
    for name, attrs in INDEXES.items():
        carried = [[all(row.get(x) is not None for x in attrs) for row in group] for group in groups.values()]
        out[name] = (sum(all(c) for c in carried), sum(any(c) for c in carried))
    return out


@pytest.fixture(scope="module")
def views(sandbox: lifecycle.SandboxRecord) -> Iterator[Any]:
    conn = root_connection(sandbox)
    database = f"coverage_{uuid.uuid4().hex[:8]}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {database} CHARACTER SET utf8mb4")
        cur.execute(f"USE {database}")
        cur.execute("CREATE OR REPLACE TABLE va (pk VARCHAR(8) NULL, sk INT NULL, g1 VARCHAR(4) NULL, g2 INT NULL)")
        cur.execute("CREATE OR REPLACE TABLE vb (pk VARCHAR(8) NULL, sk INT NULL, g1 VARCHAR(4) NULL)")
    try:
        yield conn
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE {database}")
        conn.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=rows_a, b=rows_b)
@example(a=[("a", 1, "x", 1), ("A", 1, None, 1)], b=[("a", 1, "x")])   # 'a' and 'A' are two keys; a shared key
@example(a=[], b=[])
def test_the_views_range_of_carrying_items_equals_a_python_count_of_the_rows(
        views: Any, a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    with views.cursor() as cur:
        cur.execute("DELETE FROM va")
        cur.execute("DELETE FROM vb")
        if a:
            cur.executemany("INSERT INTO va VALUES (%s, %s, %s, %s)", a)
        if b:
            cur.executemany("INSERT INTO vb VALUES (%s, %s, %s)", b)
        cur.execute(carried_sql(SOURCES, KEYS, INDEXES))
        got = carried_bounds(cur.fetchone(), INDEXES)
    assert got == reference(a, b)


def test_the_sql_is_deterministic_and_quotes_names() -> None:
    sql = carried_sql([CoverageSource("v`x", frozenset({"p`k", "g"}))], [("p`k", "S")], {"I": ["g"]})
    assert sql == carried_sql([CoverageSource("v`x", frozenset({"g", "p`k"}))], [("p`k", "S")], {"I": ["g"]})
    assert "`v``x`" in sql and "`p``k`" in sql


def test_each_disagreement_is_one_sentence_naming_table_index_and_keys() -> None:
    clean = IndexCoverage("ByName", ("name",), 10, 10, 10, 12)
    assert clean.ok and clean.problems("T") == []
    lost = IndexCoverage("ByName", ("name",), 8, 10, 10, 10)
    assert not lost.ok
    assert lost.problems("T") == ["index T.ByName holds 8 items but 10 items of T carry its key attributes (name): "
                                  "2 are missing from the index"]
    kept = IndexCoverage("ByName", ("name", "at"), 11, 10)
    assert kept.problems("T") == ["index T.ByName holds 11 items but only 10 items of T carry its key attributes "
                                  "(name, at): it holds 1 that lack them"]
    fewer = IndexCoverage("ByName", ("name",), 9, 9, 10, 12)
    assert fewer.problems("T") == ["1 fewer items of T carry the key attributes of index ByName (name) than their "
                                   "rows give (9 carry them, the views give at least 10)"]
    more = IndexCoverage("ByName", ("name",), 13, 13, 10, 12)
    assert more.problems("T") == ["1 more items of T carry the key attributes of index ByName (name) than any row "
                                  "gives (13 carry them, the views give at most 12)"]
    assert IndexCoverage("ByName", ("name",), 5, 5).ok   # no range: a load that keeps older items


class LaggingIndex:
    """A stand-in for the DynamoDB facade whose index catches up after `lag` counts: an index
    that lags its table cannot be made to happen on moto (it updates indexes synchronously)."""

    def __init__(self, lag: int) -> None:
        self.lag = lag
        self.calls = 0

    async def count_carrying(self, table: str, carrying: Mapping[str, Sequence[str]], *,
                             segments: int = 1) -> tuple[int, dict[str, int]]:
        self.calls += 1
        return 20, dict.fromkeys(carrying, 12)

    async def count_items(self, table: str, *, segments: int = 1, index: str | None = None) -> int:
        return 12 if self.calls > self.lag else 9


def test_a_lagging_index_is_counted_again_and_a_lasting_gap_is_reported() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    caught_up = LaggingIndex(lag=2)
    items, indexed = asyncio.run(check.count_table(caught_up, "T", {"ByName": ["name"]}, sleep))  # type: ignore[arg-type]
    assert (items, indexed, slept) == (20, {"ByName": (12, 12)}, list(check.INDEX_SETTLE_SECONDS[:2]))
    slept.clear()
    stuck = LaggingIndex(lag=99)
    items, indexed = asyncio.run(check.count_table(stuck, "T", {"ByName": ["name"]}, sleep))  # type: ignore[arg-type]
    assert indexed == {"ByName": (9, 12)} and slept == list(check.INDEX_SETTLE_SECONDS)
