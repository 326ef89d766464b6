"""Benchmark: reading a `hierarchy` view (a chain of max_depth + 1 joins on the primary key)
against a one-level self-join view of the same tree, on a private MariaDB started for the run.

A tree of `--rows` categories, each with `--fanout` children, so its depth is about
log_fanout(rows). Two views over it, compiled by migrator from two contracts:

- baseline: `parent_name`, a self-join to the parent row (what the workshop's contract reads);
- hierarchy: `path` (the whole path from the root) and `depth` (default max_depth 16: 17 joins).

Each view is read whole (`SELECT *`, all rows fetched) `--rounds` times, alternating; the
figures are rows per second, the median per view, and the ratio hierarchy / baseline. Every
read's row count, and every row's path and depth, are checked against a walk in Python (the
check that caught WITH RECURSIVE losing rows: see migrator/compile/hierarchies.py).

    python benchmarks/hierarchy_view.py [--rows 100000] [--fanout 8] [--rounds 3] [--max-depth 16]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pymysql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator.compile.contract import entity_plans  # noqa: E402
from migrator.compile.views import compile_view  # noqa: E402
from migrator.contract.typed import build_contract  # noqa: E402
from migrator.mysql_schema import schema_from_doc, server_info_from_doc  # noqa: E402
from migrator.sandbox import lifecycle  # noqa: E402
from migrator.servers.mysql import MySQLTools, Settings  # noqa: E402


def contract(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"tables": [{"table": "Tree", "type": "single-entity", "source_table": "categories", "pk": "id",
                        "satisfies": ["AP1"], "estimated_item_size_bytes": 200,
                        "attributes": [{"name": "id", "type": "N", "source_table": "categories", "source_column": "id"},
                                       *attributes]}]}


BASELINE = contract([{"name": "parent_name", "type": "S", "source_table": "categories", "source_column": "parent_id",
                      "join": {"type": "self-join", "join_alias": "up", "join_condition": "up.id = categories.parent_id",
                               "select_column": "up.name"}}])
def hierarchy(max_depth: int) -> dict[str, Any]:
    walk = {"table": "categories", "parent_column": "parent_id", "max_depth": max_depth}
    return contract([{"name": "path", "type": "S", "source_table": "categories", "source_column": "id",
                      "hierarchy": {**walk, "value": "path", "path_column": "name"}},
                     {"name": "depth", "type": "N", "source_table": "categories", "source_column": "id",
                      "hierarchy": {**walk, "value": "depth"}}])


def python_path(parents: list[int | None], row: int) -> str:
    names = []
    while row:
        names.insert(0, f"c{row}")
        row = parents[row] or 0
    return "/".join(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--fanout", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-depth", type=int, default=16, help="the contract's max_depth (16 by default)")
    args = parser.parse_args()
    parents: list[int | None] = [None] + [None if i == 1 else (i - 2) // args.fanout + 1 for i in range(1, args.rows + 1)]
    with tempfile.TemporaryDirectory() as folder:
        record = lifecycle.up(Path(folder))
        try:
            conn = pymysql.connect(unix_socket=record.mysql_socket, user="root", database=record.mysql_database,
                                   autocommit=True)
            cur = conn.cursor()
            cur.execute("CREATE TABLE categories (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, parent_id INT NULL, "
                        "FOREIGN KEY (parent_id) REFERENCES categories (id))")
            rows = [(i, f"c{i}", parents[i]) for i in range(1, args.rows + 1)]
            for start in range(0, len(rows), 10_000):
                cur.executemany("INSERT INTO categories VALUES (%s, %s, %s)", rows[start:start + 10_000])
            env = record.mysql_env()
            tools = MySQLTools(Settings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                        password=env["MYSQL_PASSWORD"], database=record.mysql_database,
                                        read_only=False, connect_timeout=10))
            schema = schema_from_doc(tools.describe_schema())
            d = tools.server_info()
            server = server_info_from_doc(d)
            views = {}
            for label, doc in (("baseline", BASELINE), ("hierarchy", hierarchy(args.max_depth))):
                table = build_contract(doc, f"{label}.json").tables[0]
                plan = entity_plans(table)[0]
                spec, findings = compile_view(plan.entity, f"bench_{label}", "Tree", schema, server, plan.entity_type)
                assert spec is not None, [f.sentence() for f in findings]
                cur.execute(f"CREATE OR REPLACE VIEW `bench_{label}` AS {spec.select_sql}")
                views[label] = f"bench_{label}"
            paths = {i: python_path(parents, i) for i in range(1, args.rows + 1)}
            expected = {i: (p, p.count("/") + 1) if p.count("/") < args.max_depth else (None, None)
                        for i, p in paths.items()}     # deeper than max_depth: no value
            deepest = max(paths, key=lambda i: paths[i].count("/"))
            speeds: dict[str, list[float]] = {label: [] for label in views}
            for n in range(args.rounds):
                for label in (list(views) if n % 2 == 0 else list(reversed(views))):
                    began = time.perf_counter()
                    cur.execute(f"SELECT * FROM `{views[label]}`")
                    got = cur.fetchall()
                    seconds = time.perf_counter() - began
                    assert len(got) == args.rows, (label, len(got))
                    if label == "hierarchy":    # every row's path and depth, as Python walks them
                        wrong = [r for r in got if (r[1], r[2]) != expected[r[0]]]
                        assert not wrong, (len(wrong), wrong[:3])
                    speeds[label].append(args.rows / seconds)
                    print(f"round {n + 1} {label:9} {args.rows / seconds:12,.0f} rows/s  ({seconds:.2f} s)")
            depth = paths[deepest].count("/") + 1
            base, walk = statistics.median(speeds["baseline"]), statistics.median(speeds["hierarchy"])
            print(f"rows {args.rows:,}, fan-out {args.fanout}, depth {depth}: baseline {base:,.0f} rows/s, "
                  f"hierarchy {walk:,.0f} rows/s, ratio hierarchy/baseline {walk / base:.2f}")
        finally:
            lifecycle.down(Path(folder))


if __name__ == "__main__":
    main()
