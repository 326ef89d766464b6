"""A table loaded through the Spark (glueetl) path by `migrator apply`, on local PySpark.

Real MariaDB, moto, the local Glue runtime running the glueetl script on PySpark, and the CLI
in a subprocess. The view is cut by ranges of an integer column holding NULLs; the items are
compared with a Python computation from the raw rows, read with boto3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli, scan_items

ROWS = 240


@pytest.mark.spark
def test_a_spark_load_by_ranges_with_nulls_writes_every_item(sandbox: lifecycle.SandboxRecord,
                                                              tiny: dict[str, Any]) -> None:
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s)",
                        [(i, f"n{i}", None if i % 4 == 0 else 1 + i % 6) for i in range(4, ROWS + 1)])
        cur.execute("INSERT INTO things VALUES (%s, '', 1)", (ROWS + 1,))       # rejected: an empty index key
        cur.execute("SELECT t.id, t.name, t.kind_id, k.label FROM things t LEFT JOIN kinds k ON k.id = t.kind_id")
        raw = cur.fetchall()
    conn.close()
    doc = json.loads(Path(tiny["contract"]).read_text())
    doc["tables"][0]["attributes"].append({"name": "kind_no", "type": "N", "source_table": "things",
                                           "source_column": "kind_id"})
    doc["tables"][0]["load"] = {"engine": "spark", "partitions": 3, "partition_column": "kind_no", "writers": 2,
                                "max_rejected_rows": 1}   # the empty index key above
    Path(tiny["contract"]).write_text(json.dumps(doc))
    env, cwd, contract = tiny["env"], tiny["tmp"], str(tiny["contract"])

    planned = run_cli(env, cwd, "plan", contract)
    assert "# engine: glueetl, 2 × G.1X workers, 3 partitions (engine spark in the contract)" in planned.stdout, \
        planned.stdout
    applied = run_cli(env, cwd, "apply", contract, "--auto-approve", "--json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    events = [json.loads(line) for line in applied.stdout.splitlines()]
    load = f"load.{tiny['table']}"
    progress = [e for e in events if e["type"] == "progress" and e["address"] == load]
    assert progress and progress[-1]["parts"] == progress[-1]["parts_done"] >= 2, progress[-1:]
    assert progress[-1]["rows_read"] == len(raw)

    expected = {}
    for thing_id, name, kind_id, label in raw:
        if name == "":
            continue
        item: dict[str, Any] = {"PK": f"THING#{thing_id}", "name": name}
        if label is not None:
            item["kind"] = label
        if kind_id is not None:
            item["kind_no"] = kind_id
        expected[item["PK"]] = item
    got = {i["PK"]: {k: (int(v) if k == "kind_no" else v) for k, v in i.items()}
           for i in scan_items(aws(sandbox, "dynamodb"), tiny["table"])}
    assert got == expected

    record = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())["resources"][load]["attributes"]
    assert (record["engine"], record["partitions"], record["rows_read"], record["items_written"],
            record["items_rejected"]) == ("glueetl", 3, len(raw), len(expected), 1)
    assert record["rejected_by_reason"] == {"key_empty:name": 1}
    assert "No changes." in run_cli(env, cwd, "plan", contract).stdout

    # The full comparison of a Spark-loaded table runs on Spark too (3 tasks, as the load):
    # clean, then exactly the items corrupted with boto3.
    clean = run_cli(env, cwd, "verify", contract, "--full", "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (doc,) = json.loads(clean.stdout)["tables"]
    assert (doc["engine"], doc["partitions"], doc["ok"]) == ("glueetl", 3, True), doc
    assert (doc["rows"], doc["rejected"], doc["expected_items"], doc["table_items"]) == (
        len(raw), 1, len(expected), len(expected))
    assert doc["indexes"] == {"ByName": {"expected": len(expected), "actual": len(expected)}}
    ddb = aws(sandbox, "dynamodb")
    ddb.update_item(TableName=tiny["table"], Key={"PK": {"S": "THING#7"}}, UpdateExpression="SET kind_no = :v",
                    ExpressionAttributeValues={":v": {"N": "42"}})
    ddb.delete_item(TableName=tiny["table"], Key={"PK": {"S": "THING#9"}})
    ddb.put_item(TableName=tiny["table"], Item={"PK": {"S": "STRAY#1"}, "name": {"S": "stray"}})
    found = run_cli(env, cwd, "verify", contract, "--full", "--json")
    assert found.returncode == 1, found.stdout + found.stderr
    (doc,) = json.loads(found.stdout)["tables"]
    assert {(x["kind"], x["key"]["PK"], tuple(x.get("attributes", ()))) for x in doc["listed"]} == {
        ("differing", "THING#7", ("kind_no",)), ("missing", "THING#9", ()), ("extra", "STRAY#1", ())}
    assert doc["indexes"] == {"ByName": {"expected": len(expected), "actual": len(expected)}}   # -1 +1
    glue = aws(sandbox, "glue")
    assert not any("verify" in name for name in glue.list_jobs()["JobNames"])     # transient: nothing left
