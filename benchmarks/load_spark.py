"""Benchmark (b) of issue 10: a Spark (glueetl) load of N rows against a raw write loop.

On a fresh sandbox (private MariaDB, moto, the local Glue runtime on PySpark), in one run and
against one moto server:

- raw: a single-threaded `batch_write_item` loop writing the same items, already converted
  (the floor any loader has to beat);
- spark: `migrator apply` of a one-table contract with `"load": {"engine": "spark"}`; the
  load's own duration (from its state record) and the Spark session start within it.

Prints items/s and the ratios spark / raw, with and without the session start, the peak RSS
of the `migrator apply` process (VmHWM; the rows never pass through it, so it must not grow
with N), and verifies the items: the table's count, and 2,000 random keys fetched with boto3
compared with items computed here from the rows.

    python benchmarks/load_spark.py [--rows 200000] [--partitions 4] [--writers 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pymysql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrator.runtime.decode import item_python  # noqa: E402
from migrator.sandbox import lifecycle  # noqa: E402

BASE = dt.datetime(2024, 1, 1)


def row(i: int) -> tuple[Any, ...]:
    return (i, f"customer-{i % 997}", Decimal(i % 100_000) / 100, BASE + dt.timedelta(seconds=37 * i), i % 3 != 0)


def expected_item(i: int) -> dict[str, Any]:
    """The item of row i, computed here (DynamoDB JSON as boto3's client returns it)."""
    _, customer, amount, created, active = row(i)
    return {"PK": {"S": f"ORDER#{i}"}, "customer": {"S": customer}, "amount": {"N": str(amount)},
            "created_at": {"S": created.strftime("%Y-%m-%dT%H:%M:%S.000Z")}, "active": {"BOOL": active},
            "order_id": {"N": str(i)}}


def seed(record: Any, rows: int) -> None:
    conn = pymysql.connect(host="127.0.0.1", port=record.mysql_port, user=record.mysql_user,
                           password=record.mysql_password, database=record.mysql_database, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount DECIMAL(10,2) "
                    "NOT NULL, created_at DATETIME NOT NULL, active BOOLEAN NOT NULL)")
        for start in range(0, rows, 5000):
            cur.executemany("INSERT INTO orders VALUES (%s, %s, %s, %s, %s)",
                            [row(i) for i in range(start, min(rows, start + 5000))])
    conn.close()


def contract(partitions: int, writers: int) -> dict[str, Any]:
    attrs = [{"name": "PK", "type": "S", "source_table": "orders", "source_column": "id",
              "transformation": {"type": "string-format", "format": "ORDER#{id}"}},
             {"name": "customer", "type": "S", "source_table": "orders", "source_column": "customer"},
             {"name": "amount", "type": "N", "source_table": "orders", "source_column": "amount"},
             {"name": "created_at", "type": "S", "source_table": "orders", "source_column": "created_at"},
             {"name": "active", "type": "BOOL", "source_table": "orders", "source_column": "active"},
             {"name": "order_id", "type": "N", "source_table": "orders", "source_column": "id"}]
    return {"tables": [{"table": f"Orders{uuid.uuid4().hex[:6]}", "type": "single-entity", "source_table": "orders",
                        "pk": "PK", "sk": None, "gsis": [], "satisfies": ["AP1"], "estimated_item_size_bytes": 120,
                        "attributes": attrs, "load": {"engine": "spark", "partitions": partitions,
                                                      "partition_column": "order_id", "writers": writers}}]}


def raw_loop(ddb: Any, rows: int) -> float:
    table = f"raw{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    items = [expected_item(i) for i in range(rows)]
    began = time.perf_counter()
    for start in range(0, rows, 25):
        pending: Any = {table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    seconds = time.perf_counter() - began
    ddb.delete_table(TableName=table)
    return seconds


def peak_rss(pid: int, stop: threading.Event, out: list[int]) -> None:
    """The process's own peak resident set (VmHWM, kB), read until it ends."""
    while not stop.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]))
        except OSError:
            return
        stop.wait(0.2)


def count(ddb: Any, table: str) -> int:
    total = 0
    for segment in range(4):
        start = None
        while True:
            kwargs: dict[str, Any] = {"TableName": table, "Select": "COUNT", "Segment": segment, "TotalSegments": 4}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.scan(**kwargs)
            total += page["Count"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    return total


def verify(ddb: Any, table: str, rows: int, sample: int = 2000) -> int:
    """Random keys fetched with BatchGetItem, compared with the items computed here; returns mismatches."""
    ids = random.Random(7).sample(range(rows), min(sample, rows))
    bad = 0
    for start in range(0, len(ids), 100):
        chunk = ids[start:start + 100]
        pending: Any = {table: {"Keys": [{"PK": {"S": f"ORDER#{i}"}} for i in chunk], "ConsistentRead": True}}
        got: dict[str, Any] = {}
        while pending:
            answer = ddb.batch_get_item(RequestItems=pending)
            for item in answer["Responses"].get(table, []):
                got[item["PK"]["S"]] = item
            pending = answer.get("UnprocessedKeys") or {}
        bad += sum(1 for i in chunk if f"ORDER#{i}" not in got
                   or item_python(got[f"ORDER#{i}"]) != item_python(expected_item(i)))  # 1.00 == 1 in DynamoDB
    return bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sandbox"
        record = lifecycle.up(root)
        try:
            seed(record, args.rows)
            ddb = boto3.client("dynamodb", endpoint_url=record.endpoint, region_name="us-east-1",
                               aws_access_key_id="t", aws_secret_access_key="t")
            raw_seconds = raw_loop(ddb, args.rows)
            doc = contract(args.partitions, args.writers)
            path = Path(tmp) / "contract.json"
            path.write_text(json.dumps(doc))
            env = {**os.environ, "MIGRATOR_MCP_CONFIG": str(record.mcp_json), "MIGRATOR_STATE_DIR": f"{tmp}/state"}
            began = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "migrator", "apply", str(path), "--auto-approve"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp)
            stop, rss = threading.Event(), [0]
            watcher = threading.Thread(target=peak_rss, args=(proc.pid, stop, rss), daemon=True)
            watcher.start()
            out, err = proc.communicate()
            stop.set()
            apply_seconds = time.perf_counter() - began
            if proc.returncode != 0:
                print(out[-3000:], err[-3000:])
                raise SystemExit(1)
            table = doc["tables"][0]["table"]
            state = json.loads(Path(f"{tmp}/state/migrator.state.json").read_text())["resources"]
            load = state[f"load.{table}"]["attributes"]
            stored = count(ddb, table)
            mismatches = verify(ddb, table, args.rows)
        finally:
            lifecycle.down(root)
    items, seconds, session = int(load["items_written"]), float(load["duration_seconds"]), load.get("session_seconds")
    raw_rate, load_rate = args.rows / raw_seconds, items / seconds
    print(f"{args.rows:,} rows, {load['partitions']} partitions by {load.get('partition_column')}, "
          f"{args.writers} writers per task, one moto server")
    print(f"items verified: {stored:,} in the table (expected {args.rows:,}); "
          f"{min(2000, args.rows) - mismatches:,}/{min(2000, args.rows):,} random keys equal the items computed here")
    print(f"raw batch_write_item loop: {raw_seconds:.1f} s -> {raw_rate:,.0f} items/s")
    print(f"spark load (job duration): {seconds:.1f} s -> {load_rate:,.0f} items/s, ratio {load_rate / raw_rate:.2f}")
    if session:
        rate = items / (seconds - float(session))
        print(f"  without the Spark session start ({float(session):.1f} s): {rate:,.0f} items/s, "
              f"ratio {rate / raw_rate:.2f}")
    print(f"migrator apply, whole run: {apply_seconds:.1f} s; its peak RSS {max(rss) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
