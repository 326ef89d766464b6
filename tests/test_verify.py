"""`migrator verify` and the check's sampled deep compare, against items corrupted on purpose.

Real MariaDB, moto, the local Glue runtime and the CLI in a subprocess. The corruption is done
with boto3 directly; the findings must name exactly the items and attributes changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli

ROWS = 12


def test_verify_names_exactly_the_corrupted_items_and_the_check_fails_keeping_the_load(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s)", [(i, f"n{i}", 1 + i % 2) for i in range(4, ROWS + 1)])
    conn.close()
    contract, table, env, cwd = str(tiny["contract"]), tiny["table"], tiny["env"], tiny["tmp"]
    applied = run_cli(env, cwd, "apply", contract, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    state = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())
    sample = state["resources"][f"check.{table}"]["attributes"]["sample"]
    assert (sample["compared"], sample["matching"], sample["ok"]) == (ROWS, ROWS, True)
    ddb = aws(sandbox, "dynamodb")
    by_name = sum(1 for page in ddb.get_paginator("scan").paginate(TableName=table, IndexName="ByName")
                  for _ in page["Items"])
    assert state["resources"][f"check.{table}"]["attributes"]["indexes"] == [
        {"index": "ByName", "keys": ["name"], "index_items": by_name, "carrying": ROWS, "expected_min": ROWS,
         "expected_max": ROWS, "ok": True}]
    assert by_name == ROWS

    clean = run_cli(env, cwd, "verify", contract, "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["tables"][0]["matching"] == ROWS

    ddb.update_item(TableName=table, Key={"PK": {"S": "THING#2"}}, UpdateExpression="SET #n = :v",
                    ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":v": {"S": "tampered"}})
    ddb.delete_item(TableName=table, Key={"PK": {"S": "THING#3"}})
    ddb.update_item(TableName=table, Key={"PK": {"S": "THING#4"}}, UpdateExpression="SET kind = :v",
                    ExpressionAttributeValues={":v": {"N": "7"}})
    ddb.update_item(TableName=table, Key={"PK": {"S": "THING#5"}}, UpdateExpression="REMOVE #n",
                    ExpressionAttributeNames={"#n": "name"})   # the ByName index key

    found = run_cli(env, cwd, "verify", contract, "--json", "--seed", "other-seed")
    assert found.returncode == 1, found.stdout + found.stderr
    doc = json.loads(found.stdout)["tables"][0]
    got = {(d["key"]["PK"], d["kind"], d["attribute"]) for d in doc["differences"]}
    assert got == {("THING#2", "value", "name"), ("THING#3", "missing_item", None), ("THING#4", "type", "kind"),
                   ("THING#5", "missing_attribute", "name")}
    assert (doc["compared"], doc["matching"], doc["missing"], doc["differing"]) == (ROWS, ROWS - 4, 1, 3)
    assert "tampered" not in found.stdout   # values never appear in a finding

    text = run_cli(env, cwd, "verify", contract)
    assert text.returncode == 1
    assert f"{table} item PK=THING#3 is missing" in text.stdout
    assert f"{table} item PK=THING#4 has the wrong type in kind (expected S, found N)" in text.stdout

    rechecked = run_cli(env, cwd, "apply", contract, "--auto-approve", "--replace", f"check.{table}")
    assert rechecked.returncode == 1, rechecked.stdout + rechecked.stderr
    output = rechecked.stdout + rechecked.stderr
    assert "4 of 12 sampled items are missing or differ from their rows (1 missing, 3 differing)" in output, output
    assert f"{table} item PK=THING#2 differs in name" in output
    # THING#3 is gone and THING#5 lost its name: the index follows its table, the rows say 12
    assert (f"2 fewer items of {table} carry the key attributes of index ByName (name) than their rows give "
            "(10 carry them, the views give at least 12)") in output, output
    after = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())["resources"]
    assert after[f"check.{table}"]["status"] == "tainted"
    assert after[f"load.{table}"]["status"] != "tainted"      # nothing loaded is undone
    assert ddb.get_item(TableName=table, Key={"PK": {"S": "THING#6"}})["Item"]["name"]["S"] == "n6"

    # The full comparison, in a Glue job: the same four, the stray item no row explains, the index's coverage.
    ddb.put_item(TableName=table, Item={"PK": {"S": "STRAY#1"}, "name": {"S": "stray"}})
    full = run_cli(env, cwd, "verify", contract, "--full", "--json")
    assert full.returncode == 1 and full.stdout, full.stdout + full.stderr
    (doc,) = json.loads(full.stdout)["tables"]
    assert {(x["kind"], x["key"]["PK"]) for x in doc["listed"]} == {
        ("differing", "THING#2"), ("missing", "THING#3"), ("differing", "THING#4"), ("differing", "THING#5"),
        ("extra", "STRAY#1")}
    assert (doc["rows"], doc["expected_items"], doc["table_items"]) == (ROWS, ROWS, ROWS)
    # every row has a name; THING#3 is gone and THING#5 lost it, STRAY#1 brings one
    assert doc["indexes"] == {"ByName": {"expected": ROWS, "actual": ROWS - 2 + 1}}
    text = run_cli(env, cwd, "verify", contract, "--full")
    assert f"{table} item PK=STRAY#1 is in the table but no row gives it" in text.stdout, text.stdout
    assert f"{table} item PK=THING#4 differs from its row in kind" in text.stdout
    assert "index ByName: 11 items, 12 expected: does not match" in text.stdout
    glue, s3 = aws(sandbox, "glue"), aws(sandbox, "s3")
    assert not any("verify" in name for name in glue.list_jobs()["JobNames"])     # transient: nothing left
    assert not any("verify_" in o["Key"] for o in s3.list_objects_v2(Bucket=env["MIGRATOR_BUCKET"]).get("Contents", []))


def test_verify_before_apply_is_one_sentence(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    done = run_cli(tiny["env"], tiny["tmp"], "verify", str(tiny["contract"]))
    assert done.returncode != 0
    assert f"dynamodb_table.{tiny['table']} does not exist, so there is nothing to verify" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_rejected_rows_are_logged_in_s3_by_key_and_destroy_removes_the_log(sandbox: lifecycle.SandboxRecord,
                                                                           tiny: dict[str, Any]) -> None:
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.execute("INSERT INTO things VALUES (4, '', 1)")   # an empty ByName index key: DynamoDB refuses it
        cur.execute("SELECT id FROM things WHERE name = ''")
        expected = [{"PK": f"THING#{i}"} for i, in cur.fetchall()]
    conn.close()
    env, cwd, table = tiny["env"], tiny["tmp"], tiny["table"]
    doc = json.loads(tiny["contract"].read_text())
    doc["tables"][0]["load"] = {"max_rejected_rows": len(expected)}   # rejected on purpose: budgeted
    tiny["contract"].write_text(json.dumps(doc))
    applied = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    s3 = aws(sandbox, "s3")
    bucket, key = env["MIGRATOR_BUCKET"], f"migrator/rejects/{table}/part-00000.jsonl"
    lines = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()]
    assert [(e["key"], e["reason"], e["attribute"]) for e in lines] == [(k, "key_empty", "name") for k in expected]
    record = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())["resources"][f"load.{table}"]
    assert (record["attributes"]["rejects_logged"], record["attributes"]["rejects_prefix"]) == (
        1, f"migrator/rejects/{table}/")
    destroyed = run_cli(env, cwd, "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert bucket not in buckets or s3.list_objects_v2(Bucket=bucket, Prefix="migrator/rejects/")["KeyCount"] == 0
