"""Throughput of a whole migration on the sandbox, against a raw write loop in the same run.

Loads examples/shop at a given scale into a fresh sandbox, runs `migrator apply` (views,
tables, scripts, jobs, loads through the local Glue runtime, checks), and reports items per
second of the loads next to a plain boto3 batch_write_item loop writing the same number of
items to the same moto server. The emulator is the bottleneck here (LOCAL-STACK.md), so the
ratio is the figure to compare across machines.

    python benchmarks/load_throughput.py [--scale 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples" / "shop"))

import seed  # noqa: E402

from migrator.sandbox import lifecycle  # noqa: E402


def raw_loop(endpoint: str, items: int) -> float:
    """Seconds to write `items` small items with batch_write_item, 25 at a time."""
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t",
                       aws_secret_access_key="t")
    table = f"raw{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    began = time.perf_counter()
    for start in range(0, items, 25):
        batch = [{"PutRequest": {"Item": {"PK": {"S": f"ITEM#{i}"}, "n": {"N": str(i)}, "s": {"S": "x" * 40}}}}
                 for i in range(start, min(items, start + 25))]
        pending = {table: batch}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    seconds = time.perf_counter() - began
    ddb.delete_table(TableName=table)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sandbox"
        record = lifecycle.up(root)
        try:
            import pymysql

            conn = pymysql.connect(host="127.0.0.1", port=record.mysql_port, user=record.mysql_user,
                                   password=record.mysql_password, database=record.mysql_database)
            counts = seed.load(conn, seed.generate(scale=args.scale, seed=1))
            conn.close()
            env = {**os.environ, "MIGRATOR_MCP_CONFIG": str(record.mcp_json), "MIGRATOR_STATE_DIR": f"{tmp}/state"}
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "migrator", "apply", str(REPO / "examples/shop/contract.json"),
                                   "--auto-approve"], capture_output=True, text=True, env=env, cwd=tmp)
            apply_seconds = time.perf_counter() - began
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:])
                raise SystemExit(1)
            state = json.loads(Path(f"{tmp}/state/migrator.state.json").read_text())["resources"]
            loads = {a: r["attributes"] for a, r in state.items() if a.startswith("load.")}
            items = sum(int(a["items_written"]) for a in loads.values())
            job_seconds = sum(float(a["duration_seconds"]) for a in loads.values())
            phase_seconds = max(float(a["duration_seconds"]) for a in loads.values())  # they run in parallel
            raw_seconds = raw_loop(record.endpoint, items)
        finally:
            lifecycle.down(root)
    for address, attrs in sorted(loads.items()):
        print(f"  {address}: {attrs['items_written']} items in {float(attrs['duration_seconds']):.2f} s")
    source_rows = sum(counts.values())
    print(f"source rows (all tables): {source_rows}; items written by {len(loads)} loads: {items}")
    print(f"migrator apply, whole run (33 resources, loads in parallel): {apply_seconds:.1f} s")
    print(f"loads, sum of job durations: {job_seconds:.1f} s -> {items / job_seconds:,.0f} items/s per job-second")
    print(f"raw batch_write_item loop, same item count, same moto: {raw_seconds:.1f} s "
          f"-> {items / raw_seconds:,.0f} items/s")
    print(f"loads in parallel: {items / phase_seconds:,.0f} items/s over the load phase (longest job {phase_seconds:.1f} s)")
    print(f"ratio (parallel loads items/s / raw loop items/s): {(items / phase_seconds) / (items / raw_seconds):.2f}")
    print(f"ratio (whole apply / raw loop time): {apply_seconds / raw_seconds:.2f}")


if __name__ == "__main__":
    main()
