"""Items DynamoDB refuses are rejected rows, counted and logged, never a failed load (issue 21:
"a row over a limit is a rejected row, counted, never a failed batch").

DynamoDB refuses a whole BatchWriteItem (ValidationException) for one item it will not store. The
runtime rejects every cause it can predict before sending; moto refuses nothing beyond those, so an
unpredicted refusal cannot be produced in moto itself. `refusal_proxy` sits in front of the real
moto server and refuses any write carrying a marked value, forwarding everything else. Rows come
from real MariaDB through the real load entry points (load.main, spark_load.load_partition, and
`migrator apply`); every expectation is computed here from the rows inserted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from migrator.runtime import load, spark_load
from migrator.runtime.connections import mysql_params
from migrator.runtime.writer import BatchWriter
from migrator.sandbox import lifecycle
from migrator.servers.glue_local import LocalGlue
from tests.conftest import root_connection
from tests.helpers import run_cli, scan_items
from tests.reliability.refusal_proxy import Proxy, Refusals, refusal_proxy

MARKER = "REFUSE-ME"
ROWS = 180
MARKED = {3, 4, 5, 26, 77, 120, 121, 179}           # adjacent ones share a batch: splitting must isolate each
SPECS = [{"name": "PK", "type": "S", "key": True}, {"name": "SK", "type": "N", "key": True},
         {"name": "note", "type": "S"}, {"name": "version", "type": "N"}]
DETAIL = "One or more parameter values were invalid: the value … of an attribute is not accepted."


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rows() -> list[dict[str, Any]]:
    return [{"id": i, "grp": f"G{i % 4}", "note": f"{MARKER} {i}" if i in MARKED else f"note {i}",
             "version": 2} for i in range(ROWS)]


def key(row: dict[str, Any]) -> tuple[str, int]:
    return f"G#{row['grp']}", row["id"]


@pytest.fixture
def source(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> str:
    """The rows in MariaDB, a view with the item's attributes, and a Glue connection `source`."""
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE things (id INT PRIMARY KEY, grp VARCHAR(10), note VARCHAR(40), version INT)")
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s, %s)",
                        [(r["id"], r["grp"], r["note"], r["version"]) for r in rows()])
        cur.execute("CREATE VIEW v_things AS SELECT CONCAT('G#', grp) AS PK, id AS SK, note, version FROM things")
    conn.close()
    spec = sandbox.mariadb
    LocalGlue(tmp_path / "glue").create_connection({"Name": "source", "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": f"jdbc:mysql://127.0.0.1:{spec.port}/{mysql_db}",
        "USERNAME": spec.user, "PASSWORD": spec.password}})
    return mysql_db


@pytest.fixture
def proxy(sandbox: lifecycle.SandboxRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """The proxy, and the job's environment pointed at it (as a Glue job's would be)."""
    with refusal_proxy(sandbox.endpoint, Refusals(MARKER)) as running:
        for name, value in {**sandbox.aws_env(), "MIGRATOR_GLUE_LOCAL_DIR": str(tmp_path / "glue"),
                            "AWS_ENDPOINT_URL": running.endpoint}.items():
            monkeypatch.setenv(name, value)
        yield running


def client(sandbox: lifecycle.SandboxRecord, service: str) -> Any:
    """boto3 straight at moto, around the proxy: what the test reads is what moto holds."""
    return boto3.client(service, endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def table(sandbox: lifecycle.SandboxRecord) -> Iterator[str]:
    ddb = client(sandbox, "dynamodb")
    name = unique("refused")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                           {"AttributeName": "SK", "AttributeType": "N"}])
    yield name
    ddb.delete_table(TableName=name)


@pytest.fixture
def bucket(sandbox: lifecycle.SandboxRecord) -> str:
    name = unique("refusals")
    client(sandbox, "s3").create_bucket(Bucket=name)
    return name


def held(sandbox: lifecycle.SandboxRecord, table: str) -> dict[tuple[str, int], tuple[str, int]]:
    return {(i["PK"], int(i["SK"])): (i["note"], int(i["version"]))
            for i in scan_items(client(sandbox, "dynamodb"), table)}


def logged(sandbox: lifecycle.SandboxRecord, bucket: str, prefix: str) -> list[dict[str, Any]]:
    s3 = client(sandbox, "s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return [json.loads(line) for k in keys
            for line in s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode().splitlines()]


def args(table: str, bucket: str, **extra: str) -> list[str]:
    argv = ["--JOB_NAME", "refusals", "--connection_name", "source", "--source_view", "v_things",
            "--target_table", table, "--attributes", json.dumps(SPECS), "--key_names", "PK,SK",
            "--result_s3_uri", f"s3://{bucket}/result.json", "--rejects_s3_uri", f"s3://{bucket}/rejects/"]
    for name, value in extra.items():
        argv += [f"--{name}", value]
    return argv


def assert_rejected_and_logged(sandbox: lifecycle.SandboxRecord, bucket: str, doc: dict[str, Any],
                               written: int, skipped: int = 0) -> None:
    """The marked rows are counted item_refused, logged by key with the scrubbed sentence, and the counts add up."""
    marked = [r for r in rows() if r["id"] in MARKED]
    assert (doc["status"], doc["rows_read"], doc["items_written"], doc["items_rejected"], doc["items_skipped"]) == (
        "succeeded", ROWS, written, len(marked), skipped)
    assert doc["rows_read"] == doc["items_written"] + doc["items_rejected"] + doc["items_skipped"]
    assert doc["rejected_by_reason"] == {"item_refused": len(marked)}
    assert doc["writer"]["refused"] == len(marked) and doc["rejects_logged"] == len(marked)
    entries = logged(sandbox, bucket, "rejects/")
    assert sorted((e["key"]["PK"], e["key"]["SK"]) for e in entries) == sorted(key(r) for r in marked)
    assert all((e["reason"], e["attribute"], e["detail"]) == ("item_refused", None, DETAIL) for e in entries)
    assert MARKER not in json.dumps(doc) + json.dumps(entries)   # never a value in the result or the log


@pytest.mark.parametrize("writers", ["1", "3"])
def test_refused_items_are_rejected_rows_and_every_other_row_is_written(
        sandbox: lifecycle.SandboxRecord, source: str, proxy: Proxy, table: str, bucket: str, writers: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert load.main(args(table, bucket, writers=writers)) == 0
    out, err = capsys.readouterr()
    assert MARKER not in out + err
    doc = json.loads(client(sandbox, "s3").get_object(Bucket=bucket, Key="result.json")["Body"].read())
    good = [r for r in rows() if r["id"] not in MARKED]
    assert held(sandbox, table) == {key(r): (r["note"], 2) for r in good}
    assert_rejected_and_logged(sandbox, bucket, doc, written=len(good))
    # each marked item was refused at least once alone (after its batch was split); every request
    # the writer counts arrived, and splitting cost at most two requests per marked item and halving
    assert proxy.refusals.refused_batches[table] >= len(MARKED) and proxy.refusals.written[table] == len(good)
    assert doc["writer"]["batches"] == len(proxy.refusals.batch_sizes) <= ROWS // 25 + 1 + 2 * 5 * len(MARKED)


@pytest.mark.parametrize("writers", ["1", "3"])
@pytest.mark.parametrize("mode", ["insert_only", "version_guarded"])
def test_refused_conditional_puts_are_rejected_rows(sandbox: lifecycle.SandboxRecord, source: str, proxy: Proxy,
                                                    table: str, bucket: str, writers: str, mode: str) -> None:
    """Items already there: a newer version (version_guarded) or any (insert_only) is left as it was,
    skipped; an older one is replaced; marked rows are refused whatever is there."""
    ddb = client(sandbox, "dynamodb")
    before = {r["id"]: 3 if r["id"] % 3 == 0 else 1 for r in rows() if r["id"] % 10 in (0, 5)}   # 5, 120: marked
    for i, version in before.items():
        ddb.put_item(TableName=table, Item={"PK": {"S": f"G#G{i % 4}"}, "SK": {"N": str(i)},
                                            "note": {"S": "before"}, "version": {"N": str(version)}})
    extra = {"write_mode": mode, "writers": writers, **({"version_column": "version"} if mode == "version_guarded"
                                                         else {})}
    assert load.main(args(table, bucket, **extra)) == 0
    doc = json.loads(client(sandbox, "s3").get_object(Bucket=bucket, Key="result.json")["Body"].read())

    def kept(i: int) -> bool:                 # the condition leaves the item as it was
        return i in before and (mode == "insert_only" or before[i] >= 2)

    expected: dict[tuple[str, int], tuple[str, int]] = {}
    for r in rows():
        if r["id"] in MARKED or kept(r["id"]):
            if r["id"] in before:
                expected[key(r)] = ("before", before[r["id"]])
        else:
            expected[key(r)] = (r["note"], 2)
    assert held(sandbox, table) == expected
    skipped = sum(1 for i in before if i not in MARKED and kept(i))
    assert_rejected_and_logged(sandbox, bucket, doc, written=ROWS - len(MARKED) - skipped, skipped=skipped)
    assert sum(proxy.refusals.refused_puts.values()) == len(MARKED) and not proxy.refusals.refused_batches


def test_a_spark_partition_counts_refused_items_the_same_way(sandbox: lifecycle.SandboxRecord, source: str,
                                                             proxy: Proxy, table: str, bucket: str) -> None:
    """Each partition (a Spark task's body) rejects its refused items; the driver's merge adds up."""
    config = load.with_index_keys(load.load_config(load.parse_argv(args(table, bucket, writers="2"))), {})
    params = mysql_params("source")
    parts = [spark_load.load_partition(n, p, config, params)
             for n, p in enumerate(spark_load.hash_predicates(config.key_names, 3))]
    assert all(p["status"] == "succeeded" and p["rows_read"] == p["items_written"] + p["items_rejected"]
               for p in parts)
    assert sum(1 for p in parts if p["items_rejected"]) >= 2          # the marked rows fall in several partitions
    merged = spark_load.merge(parts, load.LoadResult()).to_doc()
    good = [r for r in rows() if r["id"] not in MARKED]
    assert held(sandbox, table) == {key(r): (r["note"], 2) for r in good}
    assert sorted(merged["rejects_keys"]) == sorted(f"rejects/part-{n:05d}.jsonl" for n, p in enumerate(parts)
                                                    if p["items_rejected"])
    assert_rejected_and_logged(sandbox, bucket, merged, written=len(good))


def test_errors_not_about_the_items_still_fail_the_load(sandbox: lifecycle.SandboxRecord, source: str,
                                                        proxy: Proxy, table: str, bucket: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    proxy.refusals.fail_every_write = "AccessDeniedException"
    assert load.main(args(table, bucket, writers="3")) == 1
    assert "AccessDeniedException" in capsys.readouterr().err
    doc = json.loads(client(sandbox, "s3").get_object(Bucket=bucket, Key="result.json")["Body"].read())
    assert doc["status"] == "failed" and doc["items_written"] == 0 and "item_refused" not in doc["rejected_by_reason"]
    # and a table that is not there is not an item's fault either (moto answers ResourceNotFoundException)
    refused: list[Any] = []
    writer = BatchWriter(client(sandbox, "dynamodb"), unique("missing"), key_names=["PK", "SK"],
                         on_refused=lambda item, detail: refused.append(item))
    writer.put({"PK": {"S": "a"}, "SK": {"N": "1"}})
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        writer.close()
    assert refused == [] and writer.refused == 0


def tiny_behind_proxy(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any], running: Proxy,
                      marked: set[int]) -> set[int]:
    """The tiny project's rows 4..39 (the marked ones carry the marker in `name`, an index key) and
    its MCP servers (and so its Glue jobs) pointed at the proxy; every id of the source."""
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s)",
                        [(i, f"{MARKER}{i}" if i in marked else f"n{i}", 1) for i in range(4, 40)])
        cur.execute("SELECT id FROM things")
        ids = {int(r[0]) for r in cur.fetchall()}
    conn.close()
    mcp = Path(tiny["tmp"]) / "mcp.json"
    config = json.loads(mcp.read_text())
    for server in config["mcpServers"].values():
        if "AWS_ENDPOINT_URL" in server.get("env", {}):
            server["env"]["AWS_ENDPOINT_URL"] = running.endpoint
    mcp.write_text(json.dumps(config))
    return ids


def test_apply_fails_on_refused_rows_with_their_reason_and_loads_every_other_row(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    """Through the CLI: the refused rows are rejected rows (over the default budget of 0), not a
    failed batch; every other row is in the table."""
    marked = {7, 8, 30}
    with refusal_proxy(sandbox.endpoint, Refusals(MARKER)) as running:
        ids = tiny_behind_proxy(sandbox, tiny, running, marked)
        failed = run_cli(tiny["env"], tiny["tmp"], "apply", str(tiny["contract"]), "--auto-approve")
        assert running.refusals.refused_batches[tiny["table"]] >= len(marked)
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert f"{len(marked)} of {len(ids)} rows rejected (over budget 0 rows): item_refused {len(marked)}" in out
    assert "BatchWriteFailed" not in out and "every check passed" not in out and "Traceback" not in out
    assert MARKER not in out
    items = scan_items(client(sandbox, "dynamodb"), tiny["table"])
    assert sorted(int(i["PK"].split("#")[1]) for i in items) == sorted(ids - marked)


@pytest.mark.xfail(strict=True, reason="the check's sample (validate/deep.py sample_table via providers/check.py) "
                                       "expects every row the mapping accepts, so it reports the refused rows as "
                                       "missing items even when the load budgets them")
def test_budgeted_refused_rows_pass_apply(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    marked = {7, 8, 30}
    contract = json.loads(tiny["contract"].read_text())
    contract["tables"][0]["load"] = {"max_rejected_rows": len(marked)}
    tiny["contract"].write_text(json.dumps(contract))
    with refusal_proxy(sandbox.endpoint, Refusals(MARKER)) as running:
        tiny_behind_proxy(sandbox, tiny, running, marked)
        passed = run_cli(tiny["env"], tiny["tmp"], "apply", str(tiny["contract"]), "--auto-approve")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"every check passed, every row accounted for ({len(marked)} rejected within budget)" in passed.stdout
