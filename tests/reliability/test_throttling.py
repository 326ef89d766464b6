"""DynamoDB throttling the load's batch writes: every item still arrives, and the load's
record counts the retries.

moto never throttles, so a proxy in front of it answers a seeded share of BatchWriteItem
requests the way DynamoDB does under pressure (`throttle_proxy`): HTTP 400
ProvisionedThroughputExceededException, or half of the batch handed back as
UnprocessedItems. The Glue jobs write through it; migrator's counts are checked against
the proxy's own tally.
"""

from __future__ import annotations

from pathlib import Path

from migrator.sandbox import lifecycle
from tests.helpers import Emulator
from tests.reliability.support import assert_loaded, cli, destroy_and_check, expected, shop_doc, shop_project, state
from tests.reliability.throttle_proxy import Throttling, throttling_proxy
from tests.shop_reference import CONTRACT


def test_throttled_batch_writes_lose_nothing_and_are_counted(sandbox: lifecycle.SandboxRecord, shop_db: str,
                                                              emulator: Emulator, tmp_path: Path) -> None:
    throttling = Throttling(fraction=0.3, mode="mixed", seed=11)
    with throttling_proxy(emulator.endpoint, throttling) as proxy:
        proj = shop_project(sandbox, shop_db, tmp_path, proxy)
        applied = cli(proj, "apply", str(CONTRACT), "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        counts = assert_loaded(proj, expected(sandbox, shop_db))
        resources = state(proj)["resources"]
        for table in (t["table"] for t in shop_doc()["tables"]):
            record = resources[f"load.{table}"]["attributes"]
            writer = record["writer"]
            injected = throttling.injected(table)  # may be 0 for a table of two batches
            assert record["items_written"] == counts[table] == throttling.written[table], table
            # every injected answer shows in the record (botocore's silent retries plus the writer's own),
            # and every other retry is a real failure: a non-200 from moto, or an attempt that never
            # reached the proxy (each attempt is a batch or an SDK retry)
            recorded = writer["sdk_retries"] + writer["throttles"]
            never_arrived = writer["batches"] + writer["sdk_retries"] - throttling.requests[table]
            assert recorded >= injected and never_arrived >= 0, (table, writer, injected, throttling.requests[table])
            assert recorded - injected == throttling.upstream_failures[table] + never_arrived, (
                table, writer, injected, throttling.requests[table], throttling.upstream_failures[table])
            assert writer["unprocessed"] > 0 or throttling.unprocessed[table] == 0, (table, writer)
            assert writer["retries"] == writer["throttles"], (table, writer)  # each throttle answered by a re-send
        tables = [t["table"] for t in shop_doc()["tables"]]
        assert sum(throttling.errors[t] for t in tables) > 0 and sum(throttling.unprocessed[t] for t in tables) > 0
        destroy_and_check(sandbox, proj)
