"""Benchmark (a) of issue 10: one Python shell load of a 50k-row table against a raw loop.

Starts a moto server of its own, then in the same run and against that one endpoint writes
the same items three ways, each into a fresh table:

- raw: a single-threaded `batch_write_item` loop over the items, already converted, 25 a
  request, re-sending UnprocessedItems (the floor any loader has to beat);
- `run_load` with `--writers 1` (one BatchWriter, as before issue 10);
- `run_load` with the default writer count (ParallelWriter).

The loads get their rows from Python (`run_load(rows=...)`): they convert every row with
`items.to_item`, which the raw loop does not have to do. Every table's item count is checked.
The figures are items per second and the ratio load / raw (target >= 0.9 for the default),
per round and as medians over the rounds (the order of the three rotates from round to round).
`--write-mode insert_only|version_guarded` runs the loads in that mode (a conditional PutItem
per item, into a fresh table so every item is written): the price of a condition.

    python benchmarks/load_pythonshell.py [--rows 50000] [--rounds 1] [--writers 8] [--write-mode overwrite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator.runtime import load  # noqa: E402
from migrator.runtime.items import to_item  # noqa: E402
from migrator.runtime.spec import WRITE_MODES, AttributeSpec, ItemSpec  # noqa: E402
from migrator.sandbox import moto, processes  # noqa: E402

SPECS = [{"name": "PK", "type": "S", "key": True}, {"name": "SK", "type": "N", "key": True},
         {"name": "name", "type": "S"}, {"name": "amount", "type": "N"}, {"name": "created_at", "type": "S"},
         {"name": "active", "type": "BOOL"}]


def item_spec(table: str, mode: str) -> ItemSpec:
    """The orders view's mapping; `version_guarded` compares `amount`."""
    return ItemSpec.of("orders_view", table, [AttributeSpec(a["name"], a["type"]) for a in SPECS], ["PK", "SK"], mode,
                       "amount" if mode == "version_guarded" else None)


KEY_SCHEMA = [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]
KEY_ATTRS = [{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "N"}]


def rows(count: int) -> list[dict[str, Any]]:
    """`count` rows shaped like a MySQL order table (a string and a numeric key, a few attributes)."""
    base = dt.datetime(2024, 1, 1)
    return [{"PK": f"CUSTOMER#{i % 997}", "SK": i, "name": f"order {i} of customer {i % 997}",
             "amount": Decimal(i % 10_000) / 100, "created_at": base + dt.timedelta(seconds=37 * i),
             "active": i % 3 != 0} for i in range(count)]


def client(endpoint: str) -> Any:
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60,
                    max_pool_connections=32)
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t",
                        aws_secret_access_key="t", config=config)


def new_table(ddb: Any) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=KEY_ATTRS,
                     BillingMode="PAY_PER_REQUEST")
    return name


def item_count(ddb: Any, table: str) -> int:
    return sum(p["Count"] for p in ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT"))


def raw_loop(ddb: Any, table: str, items: list[dict[str, Any]]) -> float:
    began = time.perf_counter()
    for start in range(0, len(items), 25):
        pending: Mapping[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - began


def run_load(ddb: Any, table: str, source: list[dict[str, Any]], writers: int, mode: str) -> float:
    spec = item_spec(table, mode)
    args = {"connection_name": "unused", "item_spec": spec.to_json(), "writers": str(writers),
            "progress_every": str(10 ** 9)}

    def feed(config: load.LoadConfig) -> Iterator[Mapping[str, Any]]:
        return iter(source)

    began = time.perf_counter()
    result = load.run_load(args, dynamodb=ddb, rows=feed)
    seconds = time.perf_counter() - began
    assert result.items_written == len(source), result
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--writers", type=int, default=load.DEFAULT_WRITERS)
    parser.add_argument("--write-mode", choices=WRITE_MODES, default="overwrite")
    args = parser.parse_args()
    source = rows(args.rows)
    specs = item_spec("unused", args.write_mode).attributes
    items = [to_item(r, specs) for r in source]
    timings: dict[str, list[float]] = {"raw": [], "writers=1": [], f"writers={args.writers}": []}
    with tempfile.TemporaryDirectory() as tmp:
        port = processes.free_port()
        server = moto.start(Path(tmp), port)
        try:
            moto.wait_ready(Path(tmp), port, server)
            ddb = client(f"http://127.0.0.1:{port}")
            labels = list(timings)
            for round_ in range(args.rounds):
                # the order rotates each round so that no variant always runs on a warmer (or busier) server
                for label in labels[round_ % 3:] + labels[:round_ % 3]:
                    table = new_table(ddb)
                    if label == "raw":
                        seconds = raw_loop(ddb, table, items)
                    else:
                        seconds = run_load(ddb, table, source, int(label.split("=")[1]), args.write_mode)
                    assert item_count(ddb, table) == len(items), label
                    ddb.delete_table(TableName=table)
                    timings[label].append(seconds)
                    print(f"  {label:>10}: {len(items) / seconds:8,.0f} items/s ({seconds:.2f} s)", flush=True)
        finally:
            processes.stop(server)
    for round_ in range(args.rounds):
        ratios = ", ".join(f"{label} {timings['raw'][round_] / seconds[round_]:.2f}"
                           for label, seconds in timings.items() if label != "raw")
        print(f"round {round_ + 1}, ratio to that round's raw loop: {ratios}")
    raw = statistics.median(timings["raw"])
    print(f"{args.rows} rows, write mode {args.write_mode}, {args.rounds} round(s), one moto server, medians:")
    for label, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"{label:>10}: {len(items) / median:8,.0f} items/s   ratio to raw loop: {raw / median:.2f}")


if __name__ == "__main__":
    main()
