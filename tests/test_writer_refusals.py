"""Items DynamoDB refuses are rejected rows, counted and logged, never a failed load (issue 21:
"a row over a limit is a rejected row, counted, never a failed batch").

DynamoDB refuses a whole BatchWriteItem (ValidationException) for one item it will not store. The
runtime rejects every cause it can predict before sending; moto refuses nothing beyond those, so an
unpredicted refusal cannot be produced in moto itself. `refusal_proxy` sits in front of the real
moto server and refuses any write carrying a marked value, forwarding everything else. Rows come
from real MariaDB through the real load entry points (load.main, spark_load.load_partition, and
`migrator apply`); every expectation is computed here from the rows inserted.

The checks know which keys the load rejected (a logged reject is never "missing"): the refused rows
are rejected rows to the check's sample, to the full verify (Python shell and the Spark passes) and
to `apply`; an item deleted on purpose is still missing; a rejects log cut short (as a writer past
its limit cuts it) or lost clears nothing it does not list, and says for how many rows the
comparison cannot tell. And a request DynamoDB refuses for every item fails the load fast.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from migrator.runtime import job, load, spark_load, spark_verify, verify
from migrator.runtime.connections import mysql_params
from migrator.runtime.decode import item_key
from migrator.runtime.items import RowRejected
from migrator.runtime.rejects import RejectLog, key_digest, scan_log
from migrator.runtime.writer import BREAKER_ITEMS, MAX_BATCH, BatchWriter
from migrator.sandbox import lifecycle
from migrator.servers.glue_local import LocalGlue
from tests.conftest import root_connection
from tests.helpers import run_cli, scan_items
from tests.item_specs import item_spec, spec_json
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
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
            if o["Key"].endswith(".jsonl")]   # the logs, not their digests twins (`.keys`)
    return [json.loads(line) for k in keys
            for line in s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode().splitlines()]


def args(table: str, bucket: str, write_mode: str | None = None, version_column: str | None = None,
         **extra: str) -> list[str]:
    argv = ["--JOB_NAME", "refusals", "--connection_name", "source",
            "--item_spec", spec_json("v_things", table, SPECS, write_mode=write_mode, version_column=version_column),
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


@pytest.mark.parametrize("writers", ["3"])   # 1 writer: the same path without concurrency (CI time)
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


@pytest.mark.parametrize(("mode", "writers"), [("insert_only", "1"), ("version_guarded", "3")])
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
    config = load.with_index_keys(load.load_config(job.parse_argv(args(table, bucket, writers="2"))), {})
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


def test_budgeted_refused_rows_pass_apply(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    """Within budget, the refused rows are rejected rows to the check too: its sample finds their items
    absent and their keys in the load's rejects log, so none is called missing."""
    marked = {7, 8, 30}
    contract = json.loads(tiny["contract"].read_text())
    contract["tables"][0]["load"] = {"max_rejected_rows": len(marked)}
    tiny["contract"].write_text(json.dumps(contract))
    with refusal_proxy(sandbox.endpoint, Refusals(MARKER)) as running:
        ids = tiny_behind_proxy(sandbox, tiny, running, marked)
        passed = run_cli(tiny["env"], tiny["tmp"], "apply", str(tiny["contract"]), "--auto-approve")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"every check passed, every row accounted for ({len(marked)} rejected within budget)" in passed.stdout
    state = json.loads((Path(tiny["tmp"]) / "state" / "migrator.state.json").read_text())
    sample = state["resources"][f"check.{tiny['table']}"]["attributes"]["sample"]
    assert (sample["sampled"], sample["compared"], sample["matching"], sample["rejected"], sample["rejected_by_load"],
            sample["missing"], sample["unlisted_rejects"], sample["notes"]) == (
        len(ids), len(ids) - len(marked), len(ids) - len(marked), 0, len(marked), 0, 0, [])


VIEW_SPEC = item_spec("v_things", "unused", SPECS)


def view_sources(table_name: str, rejects_prefix: str | None = "rejects/") -> list[verify.Source]:
    """The one source of `table_name` for verify --full: the load's spec and where it logged rejects."""
    return [verify.Source(item_spec("v_things", table_name, SPECS), rejects_prefix)]
CANNOT_TELL = "the comparison cannot tell a missing item from an unlisted reject for {} rows"


# ----------------------------------------------------------------------------- the log's keys, pure


def test_a_logged_key_is_found_by_the_digest_of_the_item_key_whatever_its_length() -> None:
    specs = VIEW_SPEC.attributes
    long_pk = "G#" + "x" * 1500                        # its preview is cut at 200 characters, its digest is not
    row = {"PK": long_pk, "SK": Decimal("7.0"), "note": "n", "version": None}
    digest = load.row_key_digest(row, specs, ["PK", "SK"])
    assert digest == key_digest((long_pk, Decimal(7)))   # N 7.0 is the key 7, as DynamoDB says
    assert load.row_key_digest({**row, "PK": None}, specs, ["PK", "SK"]) is None   # the key is what is wrong
    log = RejectLog(limit=2)
    for n in range(4):
        log.add(RowRejected("r"), {**row, "SK": n}, ["PK", "SK"], key_digest((long_pk, Decimal(n))))
    wanted = {key_digest((long_pk, Decimal(n))) for n in (1, 3)} | {key_digest(("other", Decimal(1)))}
    scan = scan_log(log.body(), wanted)
    assert (scan.found, scan.listed, scan.unlisted) == ({key_digest((long_pk, Decimal(1)))}, 2, 2)
    # what the checks read is the digests twin: the same answer, and no value of any row in it
    twin = log.keys_body().decode()
    scan = scan_log(twin, wanted)
    assert (scan.found, scan.listed, scan.unlisted) == ({key_digest((long_pk, Decimal(1)))}, 2, 2)
    assert "x" * 10 not in twin and '"note"' not in twin and '"key"' not in twin
    assert [json.loads(line) for line in twin.splitlines()] == [
        {"key_digest": key_digest((long_pk, Decimal(0)))}, {"key_digest": key_digest((long_pk, Decimal(1)))},
        {"dropped": 2}]


# ----------------------------------------------------------------------------- the check, through the CLI


def rewrite_log(sandbox: lifecycle.SandboxRecord, env: dict[str, str], table: str, drop_ids: set[int],
                cut: bool) -> None:
    """The load's log without the lines of `drop_ids`: as a writer past its limit writes it (`cut`,
    with its "dropped" line) or as if they were never logged."""
    s3, bucket_name = client(sandbox, "s3"), env["MIGRATOR_BUCKET"]
    dropped = {f"THING#{i}" for i in drop_ids}
    cut_log(s3, bucket_name, f"migrator/rejects/{table}/part-00000",
            lambda entry: entry.get("key", {}).get("PK") in dropped, len(drop_ids) if cut else 0)


def cut_log(s3: Any, bucket: str, part: str, drop: Any, dropped: int) -> None:
    """Rewrite a log object and its digests twin (line by line aligned) without the entries `drop`
    picks, and with a "dropped" line of `dropped` rows when it is not 0."""
    lines = s3.get_object(Bucket=bucket, Key=f"{part}.jsonl")["Body"].read().decode().splitlines()
    digests = s3.get_object(Bucket=bucket, Key=f"{part}.keys")["Body"].read().decode().splitlines()
    assert len(lines) == len(digests)
    kept = [(line, d) for line, d in zip(lines, digests) if not drop(json.loads(line))]
    tail = [json.dumps({"dropped": dropped, "note": "not listed"})] if dropped else []
    s3.put_object(Bucket=bucket, Key=f"{part}.jsonl", Body=("\n".join([k for k, _ in kept] + tail) + "\n").encode())
    s3.put_object(Bucket=bucket, Key=f"{part}.keys", Body=("\n".join([d for _, d in kept] + tail) + "\n").encode())


def test_the_check_tells_a_rejected_row_from_a_lost_item_and_a_cut_log_clears_nothing(
        sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    marked = {7, 8, 30}
    contract = json.loads(tiny["contract"].read_text())
    contract["tables"][0]["load"] = {"max_rejected_rows": len(marked)}
    tiny["contract"].write_text(json.dumps(contract))
    env, cwd, name, ddb = tiny["env"], tiny["tmp"], tiny["table"], client(sandbox, "dynamodb")

    def recheck() -> tuple[int, str, dict[str, Any]]:
        done = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve", "--replace", f"check.{name}")
        state = json.loads((Path(cwd) / "state" / "migrator.state.json").read_text())
        return done.returncode, done.stdout + done.stderr, state["resources"][f"check.{name}"]["attributes"]["sample"]

    with refusal_proxy(sandbox.endpoint, Refusals(MARKER)) as running:
        ids = tiny_behind_proxy(sandbox, tiny, running, marked)
        good = len(ids) - len(marked)
        applied = run_cli(env, cwd, "apply", str(tiny["contract"]), "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr

        # an item lost after the load is missing: its key is in no log
        lost = {"PK": {"S": "THING#12"}}
        item = ddb.get_item(TableName=name, Key=lost)["Item"]
        ddb.delete_item(TableName=name, Key=lost)
        code, out, sample = recheck()
        assert code == 1, out
        assert f"1 of {good} sampled items are missing or differ from their rows (1 missing, 0 differing)" in out, out
        assert f"{name} item PK=THING#12 is missing" in out
        assert not any(f"PK=THING#{i} is missing" in out for i in marked)
        assert (sample["missing"], sample["rejected_by_load"], sample["unlisted_rejects"]) == (1, len(marked), 0)
        assert "cannot tell" not in out
        ddb.put_item(TableName=name, Item=item)

        # a log cut short (a writer past its limit): the unlisted refused row stays missing, with the sentence
        rewrite_log(sandbox, env, name, {30}, cut=True)
        code, out, sample = recheck()
        assert code == 1, out
        assert f"{name} item PK=THING#30 is missing" in out and CANNOT_TELL.format(1) in out, out
        assert (sample["missing"], sample["rejected_by_load"], sample["unlisted_rejects"]) == (1, 2, 1)
        assert sample["notes"] == [f"the rejects log lists fewer rows than the load rejected, so "
                                   f"{CANNOT_TELL.format(1)}"]

        # a line lost without a trace (the load still counted 3): the same, from the load's count
        rewrite_log(sandbox, env, name, {8}, cut=False)
        code, out, sample = recheck()
        assert code == 1 and CANNOT_TELL.format(2) in out, out
        assert (sample["missing"], sample["rejected_by_load"], sample["unlisted_rejects"]) == (2, 1, 2)
        assert MARKER not in out


# ----------------------------------------------------------------------------- verify --full, in the job


def full_args(table_name: str, bucket_name: str, sources: list[verify.Source]) -> dict[str, str]:
    return {"connection_name": "source", "target_table": table_name,
            "sources": json.dumps([s.to_doc() for s in sources]), "result_s3_uri": f"s3://{bucket_name}/verify.json", "segments": "3"}


def spark_compare(sandbox: lifecycle.SandboxRecord, table_name: str, bucket_name: str) -> verify.VerifyResult:
    """The Spark comparison's two passes, its tasks run in a loop over real slices and segments."""
    sources = view_sources(table_name)
    params = dict(mysql_params("source"))
    ddb = client(sandbox, "dynamodb")
    return spark_verify.compare_on(
        lambda fn, n: [fn(i) for i in range(n)],
        lambda i: spark_verify.Part(i, 3, table_name, ["PK", "SK"], params, dynamodb=ddb), sources, table_name,
        ["PK", "SK"], {}, {}, 3, verify.logs_lookup(client(sandbox, "s3"), bucket_name, sources))


def test_full_verify_counts_the_logged_refusals_as_rejected_rows(sandbox: lifecycle.SandboxRecord, source: str,
                                                                 proxy: Proxy, table: str, bucket: str) -> None:
    assert load.main(args(table, bucket, writers="3")) == 0
    ddb, s3 = client(sandbox, "dynamodb"), client(sandbox, "s3")

    def full(sources: list[verify.Source]) -> verify.VerifyResult:
        return verify.run_verify(full_args(table, bucket, sources), dynamodb=ddb, s3=s3)

    # without the log the refused rows look missing; with it they are rejected rows and all else matches
    blind = full(view_sources(table, None))
    assert (blind.missing, blind.rejected_by_load, blind.ok) == (len(MARKED), 0, False)
    for result in (full(view_sources(table)), spark_compare(sandbox, table, bucket)):
        assert (result.rows, result.rejected, result.expected_items, result.table_items) == (
            ROWS, 0, ROWS, ROWS - len(MARKED))
        assert (result.missing, result.extra, result.differing, result.rejected_by_load) == (0, 0, 0, len(MARKED))
        assert result.ok and result.listed == [] and result.notes == []

    # an item lost after the load is missing; a refused row the cut log no longer lists is too, with the sentence
    lost = next(r for r in rows() if r["id"] not in MARKED and r["id"] > 100)
    pk, sk = key(lost)
    ddb.delete_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"N": str(sk)}})
    unlisted = sorted(MARKED)[:2]
    cut_log(s3, bucket, "rejects/part-00000", lambda entry: entry["key"]["SK"] in unlisted, len(unlisted))
    missing = sorted([key(lost)] + [key(r) for r in rows() if r["id"] in unlisted])
    for result in (full(view_sources(table)), spark_compare(sandbox, table, bucket)):
        assert (result.missing, result.rejected_by_load, result.unlisted_rejects, result.ok) == (
            len(missing), len(MARKED) - len(unlisted), len(unlisted), False)
        assert sorted((e["key"]["PK"], int(e["key"]["SK"])) for e in result.listed) == missing
        assert {e["kind"] for e in result.listed} == {"missing"}
        assert result.notes == [f"the rejects log lists fewer rows than the load rejected, so "
                                f"{CANNOT_TELL.format(len(unlisted))}"]


# ----------------------------------------------------------------------------- the breaker


def add_rows(sandbox: lifecycle.SandboxRecord, db: str, ids: range, note: str) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, %s, %s)", [(i, f"G{i % 4}", note, 2) for i in ids])
    conn.close()


@pytest.mark.parametrize("writers", ["1", "3"])
def test_a_request_refused_for_every_item_fails_the_load_fast_with_one_sentence(
        sandbox: lifecycle.SandboxRecord, source: str, proxy: Proxy, table: str, bucket: str, writers: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Every item carries "G#" (its partition key), so the proxy refuses every request, as DynamoDB
    does for a table whose key schema is not the items'. 1,180 rows would cost ~2,300 requests to
    isolate one by one; the load stops after the breaker's items, the first failure's sentence
    in one line."""
    add_rows(sandbox, source, range(1000, 2000), "more")
    proxy.refusals.marker = "G#"
    assert load.main(args(table, bucket, writers=writers)) == 1
    out, err = capsys.readouterr()
    doc = json.loads(client(sandbox, "s3").get_object(Bucket=bucket, Key="result.json")["Body"].read())
    failures = [line for line in err.splitlines() if line.startswith("LoadError: ")]
    assert len(failures) == 1 and failures == err.strip().splitlines()[-1:]
    assert (f"DynamoDB refused each of the first {BREAKER_ITEMS} items sent to {table} and accepted none, so the "
            "load stopped") in failures[0]
    assert "One or more parameter values were invalid: the value … of an attribute is not accepted." in failures[0]
    assert "G#G" not in out + err + doc["error"]           # values scrubbed, as refusal_detail does
    assert (doc["status"], doc["items_written"], proxy.refusals.written[table]) == ("failed", 0, 0)
    assert doc["rejected_by_reason"] == {"item_refused": doc["items_rejected"]}
    assert doc["items_rejected"] == doc["writer"]["refused"] == BREAKER_ITEMS   # none counted past the threshold
    # bounded: the batches it took to refuse that many items, plus one in flight per other thread, each
    # split into at most 2n - 1 requests
    batches = -(-BREAKER_ITEMS // MAX_BATCH) + 1 + int(writers) - 1
    assert len(proxy.refusals.batch_sizes) == doc["writer"]["batches"] <= batches * (2 * MAX_BATCH - 1)


def test_refusals_after_an_item_was_written_are_isolated_however_many(
        sandbox: lifecycle.SandboxRecord, source: str, proxy: Proxy, table: str, bucket: str) -> None:
    """The breaker is for a request refused as such: once DynamoDB took an item, each refused item
    is an item's fault, past the breaker's count too."""
    many = range(1000, 1000 + BREAKER_ITEMS + 50)
    add_rows(sandbox, source, many, f"{MARKER} late")
    assert load.main(args(table, bucket, writers="1")) == 0
    doc = json.loads(client(sandbox, "s3").get_object(Bucket=bucket, Key="result.json")["Body"].read())
    refused = len(MARKED) + len(many)
    assert (doc["status"], doc["items_written"], doc["items_rejected"]) == ("succeeded", ROWS - len(MARKED), refused)
    assert doc["rejected_by_reason"] == {"item_refused": refused} and proxy.refusals.written[table] == ROWS - len(
        MARKED)


def test_item_key_digest_matches_the_refused_items_logged(sandbox: lifecycle.SandboxRecord, source: str,
                                                          proxy: Proxy, table: str, bucket: str) -> None:
    """Each refused row's log line carries the digest the checks compute from the row's item."""
    assert load.main(args(table, bucket, writers="3")) == 0
    specs = VIEW_SPEC.attributes
    lines = client(sandbox, "s3").get_object(Bucket=bucket, Key="rejects/part-00000.jsonl")["Body"].read()
    wanted = {key_digest(item_key(load.load_item({**r, "PK": key(r)[0], "SK": r["id"]}, specs), ["PK", "SK"]))
              for r in rows() if r["id"] in MARKED}
    assert scan_log(lines, wanted).found == wanted
