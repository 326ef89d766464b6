"""Round-trip latency of a trivial tool call on each built-in MCP server, and `doctor`'s time.

Starts a private sandbox in a temporary folder, so it measures a cold machine state.
Each server's figure is printed next to the same operation done directly (pymysql /
boto3) in the same run, because absolute numbers vary with the machine.

    python benchmarks/mcp_latency.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import boto3
import pymysql

from migrator.mcp.client import McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.facades import Facades
from migrator.sandbox import lifecycle


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed_async(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    await fn()  # warm-up (server start, connection)
    out = []
    for _ in range(n):
        began = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - began)
    return out


def timed_sync(fn: Callable[[], object], n: int) -> list[float]:
    fn()
    out = []
    for _ in range(n):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


async def measure(record: lifecycle.SandboxRecord, calls: int) -> dict[str, tuple[list[float], list[float]]]:
    config = parse_config(lifecycle.mcp_config(record), None, {})
    env = record.aws_env()
    kw = dict(endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    ddb, s3, glue = boto3.client("dynamodb", **kw), boto3.client("s3", **kw), boto3.client("glue", **kw)

    def mysql_direct() -> None:
        conn = pymysql.connect(host="127.0.0.1", port=record.mysql_port, user=record.mysql_user,
                               password=record.mysql_password, database=record.mysql_database)
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION(), @@sql_mode, @@time_zone")
            cur.fetchall()
        conn.close()

    results: dict[str, tuple[list[float], list[float]]] = {}
    async with McpHub(config, log_dir=Path(record.root) / "logs") as hub:
        f = Facades.open(hub)
        results["mysql server_info"] = (await timed_async(f.mysql.server_info, calls), timed_sync(mysql_direct, calls))
        results["dynamodb list_tables"] = (await timed_async(f.dynamodb.list_tables, calls),
                                           timed_sync(ddb.list_tables, calls))
        results["s3 list_buckets"] = (await timed_async(f.s3.list_buckets, calls), timed_sync(s3.list_buckets, calls))
        results["glue list_jobs (local)"] = (await timed_async(f.glue.list_jobs, calls),
                                             timed_sync(glue.list_jobs, calls))
        began = time.perf_counter()
        await asyncio.gather(*(f.dynamodb.list_tables() for _ in range(calls)))
        results[f"dynamodb list_tables x{calls} concurrent (total)"] = ([time.perf_counter() - began], [])
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sandbox"
        began = time.perf_counter()
        record = lifecycle.up(root)
        up_cold = time.perf_counter() - began
        began = time.perf_counter()
        lifecycle.up(root)
        up_warm = time.perf_counter() - began
        try:
            results = asyncio.run(measure(record, args.calls))
            doctor_times = []
            for _ in range(3):
                began = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "migrator", "doctor", "--mcp-config", str(record.mcp_json)],
                                      capture_output=True, text=True)
                doctor_times.append(time.perf_counter() - began)
                if done.returncode != 0:
                    print(done.stdout, done.stderr)
        finally:
            lifecycle.down(root)
    print(f"sandbox up: cold {up_cold:.2f} s, already running {up_warm:.2f} s")
    print(f"{'call':45} {'p50 ms':>8} {'p95 ms':>8} {'direct p50':>11} {'ratio':>6}")
    for name, (mcp, direct) in results.items():
        if not direct:
            print(f"{name:45} {mcp[0] * 1000:8.1f}")
            continue
        ratio = statistics.median(mcp) / statistics.median(direct)
        print(f"{name:45} {pct(mcp, .5) * 1000:8.2f} {pct(mcp, .95) * 1000:8.2f} {pct(direct, .5) * 1000:11.2f} {ratio:6.1f}")
    print(f"migrator doctor (CLI, whole process): {', '.join(f'{t:.2f}' for t in doctor_times)} s")


if __name__ == "__main__":
    main()
