"""The Spark load's partitions: every row in exactly one, for any bounds, in Python and in MariaDB.

The slices are checked as a property over all integers and NULL, then their SQL (and the hash
partitions' SQL) is run against a real MariaDB table holding NULLs, negative numbers and
values beyond the MIN/MAX the cuts were made from: the partitions' row sets must be disjoint and
cover the table. The partition results' merge is checked against sums computed here."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from migrator.runtime.load import LoadResult
from migrator.runtime.spark_load import Slice, hash_predicates, merge, range_slices
from tests.conftest import root_connection


@given(st.integers(-10**6, 10**6), st.integers(0, 10**6), st.integers(1, 64),
       st.lists(st.one_of(st.none(), st.integers(-2 * 10**6, 3 * 10**6)), max_size=50))
def test_every_value_and_null_falls_in_exactly_one_slice(low: int, span: int, n: int,
                                                          values: list[int | None]) -> None:
    slices = range_slices(low, low + span, n)
    assert 1 <= len(slices) <= n
    for value in [None, low, low + span, low - 1, low + span + 1, *values]:
        assert sum(s.holds(value) for s in slices) == 1, (value, slices)


def test_an_empty_or_one_valued_column_is_one_slice() -> None:
    assert range_slices(None, None, 8) == [Slice(None, None, nulls=True)]
    assert range_slices(5, 5, 8) == [Slice(None, None, nulls=True)]


def _ids(conn: Any, where: str) -> set[int]:
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM parts WHERE {where}")
        return {row[0] for row in cur.fetchall()}


def test_the_partitions_sql_is_disjoint_and_complete_in_mariadb(sandbox: Any, mysql_db: str) -> None:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE parts (id INT PRIMARY KEY, n INT NULL, PK VARCHAR(20) NULL, SK INT NULL)")
        rows = [(i, None if i % 7 == 0 else (i * 37) % 1000 - 300, None if i % 11 == 0 else f"P#{i % 13}",
                 None if i % 5 == 0 else i) for i in range(1, 400)]
        cur.executemany("INSERT INTO parts VALUES (%s, %s, %s, %s)", rows)
    every = {r[0] for r in rows}
    values = [r[1] for r in rows if r[1] is not None]
    # cuts made from a narrower MIN/MAX than the data now has: the open ends still take everything
    for n in (1, 2, 3, 8):
        sets = [_ids(conn, s.sql("n")) for s in range_slices(min(values) + 50, max(values) - 50, n)]
        assert sum(len(x) for x in sets) == len(every) and set().union(*sets) == every, n
    for n in (1, 3, 4):
        sets = [_ids(conn, p) for p in hash_predicates(["PK", "SK"], n)]
        assert sum(len(x) for x in sets) == len(every) and set().union(*sets) == every, n
        assert n == 1 or all(sets), "a hash partition is empty"
    conn.close()


def test_partition_results_merge_into_one() -> None:
    parts = [{"partition": 1, "status": "succeeded", "rows_read": 5, "items_written": 4, "items_rejected": 1,
              "items_skipped": 0, "rejects_logged": 1, "rejected_by_reason": {"key_null:PK": 1},
              "samples": [{"reason": "key_null"}], "writer": {"written": 4, "consumed_wcu": 4.0},
              "rejects_keys": ["r/part-00001.jsonl"]},
             {"partition": 0, "status": "failed", "error": "boom", "rows_read": 7, "items_written": 7,
              "items_rejected": 0, "items_skipped": 2, "rejected_by_reason": {}, "samples": [],
              "writer": {"written": 7, "consumed_wcu": 7.5}}]
    merged = merge(parts, LoadResult())
    assert (merged.rows_read, merged.items_written, merged.items_rejected, merged.items_skipped) == (12, 11, 1, 2)
    assert merged.writer == {"written": 11, "consumed_wcu": 11.5} and merged.rejected_by_reason == {"key_null:PK": 1}
    assert (merged.status, merged.error) == ("failed", "partition 0: boom")
    assert merged.rejects_keys == ["r/part-00001.jsonl"] and merged.rejects_logged == 1
