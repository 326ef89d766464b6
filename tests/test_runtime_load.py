"""migrator.runtime against the real sandbox: BatchWriter and run_load on moto + MariaDB,
connection resolution, and the Glue bundle (deterministic, self-sufficient, Python 3.9).

The only stand-ins are thin wrappers around the real boto3 DynamoDB client that inject
UnprocessedItems or throttling errors: moto never returns UnprocessedItems and never
throttles, so retries cannot be exercised any other way. Nothing here measures time.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import root_connection
from migrator.runtime import job, load
from migrator.runtime.bundle import build_bundle
from migrator.runtime.connections import ConnectionConfigError, mysql_params, parse_jdbc_url
from migrator.runtime.source import stream_rows
from migrator.runtime.writer import BatchWriteFailed, BatchWriter, backoff_delay
from migrator.servers.glue_local import LocalGlue
from tests.item_specs import spec_json

REPO = Path(__file__).resolve().parents[1]
KEY_SCHEMA = [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]
KEY_ATTRS = [{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "N"}]
ISO_MS = "%Y-%m-%dT%H:%M:%S"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def aws(sandbox: Any, service: str) -> Any:
    return boto3.client(service, endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def ddb(sandbox: Any) -> Any:
    return aws(sandbox, "dynamodb")


@pytest.fixture
def table(ddb: Any) -> Iterator[str]:
    name = unique("rt")
    ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=KEY_ATTRS,
                     BillingMode="PAY_PER_REQUEST")
    yield name
    ddb.delete_table(TableName=name)


def scan_all(ddb: Any, table: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        out.extend(page["Items"])
    return out


def count(ddb: Any, table: str) -> int:
    return sum(page["Count"] for page in ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT"))


def item(i: int, value: str = "v") -> dict[str, Any]:
    return {"PK": {"S": f"P#{i % 7}"}, "SK": {"N": str(i)}, "value": {"S": value}}


# ----------------------------------------------------------------------------- BatchWriter


class PartialClient:
    """The real client, except that the BatchWriteItem calls picked by `fails(n)` (n = 1, 2, ...)
    write only the first half of the request and hand the rest back as UnprocessedItems (as
    AWS does under throttling; moto never does)."""

    def __init__(self, real: Any, fails: Callable[[int], bool]) -> None:
        self.real, self.fails, self.calls = real, fails, 0

    def batch_write_item(self, RequestItems: dict[str, list[Any]], **_: Any) -> dict[str, Any]:
        self.calls += 1
        (name, requests), = RequestItems.items()
        if not self.fails(self.calls):
            return self.real.batch_write_item(RequestItems=RequestItems)
        keep, back = requests[:len(requests) // 2], requests[len(requests) // 2:]
        if keep:
            self.real.batch_write_item(RequestItems={name: keep})
        return {"UnprocessedItems": {name: back}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class ThrottledClient(PartialClient):
    """The real client, except that the calls picked by `fails(n)` raise a throttling ClientError."""

    def batch_write_item(self, RequestItems: dict[str, list[Any]], **_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.fails(self.calls):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "BatchWriteItem")
        return self.real.batch_write_item(RequestItems=RequestItems)


def test_writer_puts_1000_items(ddb: Any, table: str) -> None:
    sleeps: list[float] = []
    writer = BatchWriter(ddb, table, key_names=["PK", "SK"], sleep=sleeps.append)
    for i in range(1000):
        writer.put(item(i))
    writer.close()
    assert (writer.written, writer.batches, writer.retries, writer.throttles) == (1000, 40, 0, 0)
    assert sleeps == []
    assert count(ddb, table) == 1000


def test_writer_flushes_before_a_duplicate_key_and_the_last_row_wins(ddb: Any, table: str) -> None:
    """moto refuses duplicate keys in one BatchWriteItem like AWS, so a failure would show."""
    writer = BatchWriter(ddb, table)   # key names come from DescribeTable
    for i in range(40):
        writer.put(item(i, "first"))
        if i % 3 == 0:
            writer.put(item(i, "second"))
    writer.put({"PK": {"S": "num"}, "SK": {"N": "1"}, "value": {"S": "a"}})
    writer.put({"PK": {"S": "num"}, "SK": {"N": "1.0"}, "value": {"S": "b"}})  # the same key to DynamoDB
    writer.close()
    assert writer.key_names == ["PK", "SK"]
    assert writer.written == 40 + 14 + 2 and writer.duplicate_flushes == 15
    values = {(i["PK"]["S"], Decimal(i["SK"]["N"])): i["value"]["S"] for i in scan_all(ddb, table)}
    assert len(values) == 41
    assert all(values[(f"P#{i % 7}", Decimal(i))] == ("second" if i % 3 == 0 else "first") for i in range(40))
    assert values[("num", Decimal(1))] == "b"


def test_writer_resends_unprocessed_items_with_jittered_backoff(ddb: Any, table: str) -> None:
    sleeps: list[float] = []
    client = PartialClient(ddb, lambda n: n <= 3)
    writer = BatchWriter(client, table, key_names=["PK", "SK"], sleep=sleeps.append, rng=random.Random(7),
                         base_delay=0.05, max_delay=0.15)
    for i in range(25):
        writer.put(item(i))
    assert writer.batches == 4                        # one full batch sent at once: 25 -> 13 -> 7 -> 4 -> done
    writer.close()
    assert (writer.written, writer.retries, writer.throttles, writer.unprocessed) == (25, 3, 3, 13 + 7 + 4)
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps, start=1):  # full jitter: uniform(0, min(max, base * 2**(n-1)))
        assert 0 <= delay <= min(0.15, 0.05 * 2 ** (attempt - 1))
    assert count(ddb, table) == 25


def test_writer_retries_unprocessed_items_over_many_batches(ddb: Any, table: str) -> None:
    client = PartialClient(ddb, lambda n: n % 2 == 1 and n < 60)   # 30 partial answers, each followed by a full one
    writer = BatchWriter(client, table, key_names=["PK", "SK"], sleep=lambda s: None)
    for i in range(1000):
        writer.put(item(i))
    writer.close()
    assert writer.written == 1000 and writer.retries == 30 and writer.batches == 40 + 30
    assert count(ddb, table) == 1000


def test_writer_retries_throttling_errors(ddb: Any, table: str) -> None:
    sleeps: list[float] = []
    writer = BatchWriter(ThrottledClient(ddb, lambda n: n <= 3), table, key_names=["PK", "SK"], sleep=sleeps.append)
    for i in range(30):
        writer.put(item(i))
    writer.close()
    assert (writer.written, writer.throttles, writer.retries, len(sleeps)) == (30, 3, 3, 3)
    assert count(ddb, table) == 30


def test_writer_gives_up_after_max_attempts_and_says_how_many(ddb: Any, table: str) -> None:
    sleeps: list[float] = []
    writer = BatchWriter(PartialClient(ddb, lambda n: True), table, key_names=["PK", "SK"], max_attempts=4,
                         sleep=sleeps.append)
    for i in range(24):
        writer.put(item(i))
    with pytest.raises(BatchWriteFailed) as info:
        writer.close()
    # 24 -> 12 written, 12 back -> 6 -> 3 -> 2 still unwritten after 4 attempts
    assert info.value.unwritten == 2 and writer.written == 22 and len(sleeps) == 3
    assert "2 item(s) not written" in str(info.value) and "after 4 attempts" in str(info.value)


def test_writer_does_not_retry_a_validation_error(ddb: Any, table: str) -> None:
    writer = BatchWriter(ddb, table, key_names=["PK"], sleep=lambda s: pytest.fail("no retry expected"))
    writer.put({"PK": {"S": "only-pk"}})  # the table also needs SK: moto says ValidationException
    with pytest.raises(BatchWriteFailed) as info:
        writer.flush()
    assert info.value.unwritten == 1 and writer.batches == 1 and "ValidationException" in str(info.value)


def test_writer_isolates_the_items_moto_refuses_and_writes_the_others(ddb: Any, table: str) -> None:
    """Real moto refuses a whole batch holding an item without its sort key (ValidationException):
    with on_refused the writer splits each such batch until the bad items are alone, writes the
    rest and hands each bad item over once, with the sentence and no retry."""
    refused: list[tuple[dict[str, Any], str]] = []
    writer = BatchWriter(ddb, table, key_names=["PK", "value"], sleep=lambda s: pytest.fail("no retry expected"),
                         on_refused=lambda bad, detail: refused.append((bad, detail)))
    bad = {3, 4, 30, 71}
    for i in range(80):
        writer.put({"PK": {"S": f"P#{i}"}, "value": {"S": f"v{i}"}} if i in bad else
                   {"PK": {"S": f"P#{i}"}, "SK": {"N": str(i)}, "value": {"S": f"v{i}"}})
    writer.close()
    assert sorted(int(i["SK"]["N"]) for i in scan_all(ddb, table)) == [i for i in range(80) if i not in bad]
    assert sorted(int(b["PK"]["S"][2:]) for b, _ in refused) == sorted(bad)
    assert all(detail and "P#" not in detail for _, detail in refused)
    assert (writer.written, writer.refused, writer.stats()["refused"]) == (80 - len(bad), len(bad), len(bad))


def test_backoff_is_full_jitter_and_capped() -> None:
    rng = random.Random(3)
    for attempt in range(1, 30):
        for _ in range(20):
            assert 0 <= backoff_delay(attempt, 0.05, 5.0, rng) <= min(5.0, 0.05 * 2 ** (attempt - 1))
    assert backoff_delay(1000, 0.05, 5.0, random.Random(1)) <= 5.0


# ----------------------------------------------------------------------------- connections


@pytest.mark.parametrize("url,expected", [
    ("jdbc:mysql://db.example.com:3307/shop", ("db.example.com", 3307, "shop")),
    ("jdbc:mysql://db.example.com/shop", ("db.example.com", 3306, "shop")),
    ("jdbc:mariadb://[::1]:3306/shop?useSSL=false&x=1", ("::1", 3306, "shop")),
    ("JDBC:MySQL://h:1/my%20db", ("h", 1, "my db")),
    ("jdbc:mysql://h:3306/", ("h", 3306, None)),
    ("jdbc:mysql://h:3306", ("h", 3306, None))])
def test_jdbc_urls(url: str, expected: tuple) -> None:
    got = parse_jdbc_url(url)
    assert (got["host"], got["port"], got["database"]) == expected


@pytest.mark.parametrize("url", ["jdbc:postgresql://h:5432/db", "mysql://h/db", "", "jdbc:mysql://", "jdbc:mysql://h:x/db"])
def test_bad_jdbc_urls(url: str) -> None:
    with pytest.raises(ConnectionConfigError):
        parse_jdbc_url(url)


def test_local_connection_file_is_read_and_the_password_never_shown(tmp_path: Path) -> None:
    glue = LocalGlue(tmp_path)
    glue.create_connection({"Name": "src", "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:mysql://10.0.0.5:3306/shop", "USERNAME": "app", "PASSWORD": "pw-Secret-1"}})
    params = mysql_params("src", environ={"MIGRATOR_GLUE_LOCAL_DIR": str(tmp_path)})
    assert params == {"host": "10.0.0.5", "port": 3306, "user": "app", "password": "pw-Secret-1", "database": "shop"}
    assert "pw-Secret-1" not in repr(params) and "pw-Secret-1" not in str(params) and "***" in repr(params)
    with pytest.raises(ConnectionConfigError) as info:
        mysql_params("nope", environ={"MIGRATOR_GLUE_LOCAL_DIR": str(tmp_path)})
    assert "nope" in str(info.value) and "does not exist" in str(info.value)


def test_secrets_manager_secret_gives_the_credentials(sandbox: Any, tmp_path: Path) -> None:
    secrets = aws(sandbox, "secretsmanager")
    secret = unique("db-secret")
    secrets.create_secret(Name=secret, SecretString=json.dumps(
        {"username": "from-secret", "password": "pw-from-secret", "host": "db.internal", "port": 3310,
         "dbname": "sales"}))
    glue = LocalGlue(tmp_path)
    glue.create_connection({"Name": "with-url", "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:mysql://10.0.0.5:3306/shop", "USERNAME": "ignored", "SECRET_ID": secret}})
    glue.create_connection({"Name": "secret-only", "ConnectionType": "JDBC", "ConnectionProperties": {},
                            "AuthenticationConfiguration": {"SecretArn": secret}})
    env = {"MIGRATOR_GLUE_LOCAL_DIR": str(tmp_path)}
    assert mysql_params("with-url", environ=env, secrets_client=secrets) == {
        "host": "10.0.0.5", "port": 3306, "user": "from-secret", "password": "pw-from-secret", "database": "shop"}
    assert mysql_params("secret-only", environ=env, secrets_client=secrets) == {
        "host": "db.internal", "port": 3310, "user": "from-secret", "password": "pw-from-secret", "database": "sales"}


def test_aws_glue_connection_is_read_with_the_password(sandbox: Any) -> None:
    glue = aws(sandbox, "glue")
    name = unique("conn")  # moto cannot delete connections; the name is unique
    glue.create_connection(ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:mysql://rds.example:3306/shop", "USERNAME": "u", "PASSWORD": "p"}})
    assert mysql_params(name, glue_client=glue, environ={}) == {
        "host": "rds.example", "port": 3306, "user": "u", "password": "p", "database": "shop"}
    with pytest.raises(ConnectionConfigError) as info:
        mysql_params(unique("missing"), glue_client=glue, environ={})
    assert "EntityNotFoundException" in str(info.value)


def test_stream_rows_is_utc_and_releases_the_connection_early(sandbox: Any, mysql_db: str) -> None:
    spec = sandbox.mariadb
    params = {"host": "127.0.0.1", "port": spec.port, "user": spec.user, "password": spec.password,
              "database": mysql_db}
    session = next(stream_rows(params, "SELECT @@session.time_zone AS tz, CONNECTION_ID() AS id"))
    assert session["tz"] == "+00:00"
    rows = stream_rows(params, "SELECT seq, CONNECTION_ID() AS id FROM seq_1_to_100000", fetch_size=3)
    first = [next(rows) for _ in range(5)]
    assert [r["seq"] for r in first] == [1, 2, 3, 4, 5]
    rows.close()                           # stop early: the connection goes without reading 100k rows
    root = root_connection(sandbox)
    left = None
    for _ in range(100):                   # the server notices the closed socket at once; allow it a moment
        with root.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID IN (%s, %s)",
                        (session["id"], first[0]["id"]))
            left = cur.fetchone()
        if left == (0,):
            break
        time.sleep(0.05)
    root.close()
    assert left == (0,)


# ----------------------------------------------------------------------------- run_load end to end

DDL = """CREATE TABLE customers (
  id INT PRIMARY KEY, email VARCHAR(100) NULL, name VARCHAR(100) NULL, balance DECIMAL(12,2) NULL,
  ratio DOUBLE NULL, active TINYINT NULL, created_at DATETIME(3) NULL, updated_at TIMESTAMP(6) NULL,
  birthday DATE NULL, prefs JSON NULL, tags JSON NULL, labels JSON NULL, avatar BLOB NULL,
  big DECIMAL(38,10) NULL, score_text VARCHAR(20) NULL)"""
VIEW = """CREATE VIEW ddb_customers_view AS SELECT email AS PK, id AS SK, name, balance, ratio, active,
  created_at, updated_at, birthday, prefs, tags, labels, avatar, big, score_text AS score, 'PROFILE' AS kind
  FROM customers"""
SPECS = [{"name": "PK", "type": "S", "key": True}, {"name": "SK", "type": "N", "key": True},
         {"name": "name", "type": "S"}, {"name": "balance", "type": "N"}, {"name": "ratio", "type": "N"},
         {"name": "active", "type": "BOOL"}, {"name": "created_at", "type": "S"},
         {"name": "updated_at", "type": "S"}, {"name": "birthday", "type": "S"}, {"name": "prefs", "type": "M"},
         {"name": "tags", "type": "L"}, {"name": "labels", "type": "SS"}, {"name": "avatar", "type": "B"},
         {"name": "big", "type": "N"}, {"name": "score", "type": "N"}, {"name": "kind", "type": "S"}]
COLUMNS = ["id", "email", "name", "balance", "ratio", "active", "created_at", "updated_at", "birthday", "prefs",
           "tags", "labels", "avatar", "big", "score_text"]


def raw_rows() -> list[dict[str, Any]]:
    """The rows inserted, as Python values; expectations are computed from these, not from MySQL."""
    rng = random.Random(20240402)
    names = ['Zoë "Z" O\'Brien', "", "null", "plain", "日本語 \\ back", None]
    rows = []
    for i in range(1, 41):
        created = dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randint(0, 10**8),
                                                         milliseconds=rng.randint(0, 999))
        updated = dt.datetime(2021, 6, 1) + dt.timedelta(seconds=rng.randint(0, 10**7),
                                                         microseconds=rng.randint(0, 999_999))
        prefs = {"theme": rng.choice(["dark", "light"]), "size": rng.randint(0, 999) / 10,
                 "quote": 'say "hi"', "nested": {"on": rng.random() < 0.5, "none": None, "list": [1, "two"]}}
        rows.append({
            "id": i, "email": f"user{i}@example.com", "name": rng.choice(names),
            "balance": Decimal(rng.randint(-10**8, 10**8)).scaleb(-2) if i % 5 else None,
            "ratio": rng.choice([0.1, 1e-7, 2.5, 1 / 3, 123456.789, None]),
            "active": rng.choice([0, 1, None]), "created_at": created, "updated_at": updated if i % 4 else None,
            "birthday": dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000)) if i % 3 else None,
            "prefs": prefs if i % 6 else None,
            "tags": [rng.choice(["a", "ü", 'q"uote']), rng.randint(-5, 5), None, {"k": [True]}] if i % 2 else [],
            "labels": rng.sample(["x", "y", "z", "x"], k=rng.randint(0, 4)),
            "avatar": bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12))) if i % 7 else None,
            "big": Decimal(rng.randint(-10**27, 10**27)).scaleb(-10),
            "score_text": f" {rng.randint(0, 10**4)}.{rng.randint(0, 99):02d} " if i % 8 else None})
    nulls = dict.fromkeys(COLUMNS)
    rows.append({**nulls, "id": 41, "email": None, "name": "no key"})          # key_null:PK
    rows.append({**nulls, "id": 42, "email": "", "name": "empty key"})         # key_empty:PK
    rows.append({**rows[0], "id": 43, "email": "bad@example.com", "active": 2})  # not_boolean:active
    rows.append({**nulls, "id": 44, "email": "all-null@example.com"})
    return rows


def insert_rows(sandbox: Any, database: str, rows: list[dict[str, Any]]) -> None:
    conn = root_connection(sandbox, database)
    with conn.cursor() as cur:
        cur.execute(DDL)
        cur.execute(VIEW)
        for row in rows:
            values = [json.dumps(row[c], ensure_ascii=False) if c in ("prefs", "tags", "labels")
                      and row[c] is not None else row[c] for c in COLUMNS]
            cur.execute(f"INSERT INTO customers ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                        values)
    conn.close()


def tagged(av: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as a comparable, type-tagged structure (True never equals N 1)."""
    (kind, v), = av.items()
    if kind == "N":
        return ("N", Decimal(v))
    if kind in ("S", "B", "BOOL"):
        return (kind, v)
    if kind == "NULL":
        return ("NULL",)
    if kind == "M":
        return ("M", {k: tagged(e) for k, e in v.items()})
    if kind == "L":
        return ("L", [tagged(e) for e in v])
    return (kind, frozenset(v))


def tagged_json(value: Any) -> Any:
    if value is None:
        return ("NULL",)
    if isinstance(value, bool):
        return ("BOOL", value)
    if isinstance(value, (int, float, Decimal)):
        return ("N", Decimal(str(value)))
    if isinstance(value, str):
        return ("S", value)
    if isinstance(value, list):
        return ("L", [tagged_json(v) for v in value])
    return ("M", {k: tagged_json(v) for k, v in value.items()})


def iso(value: dt.datetime) -> str:
    return f"{value.strftime(ISO_MS)}.{value.microsecond // 1000:03d}Z"


def expected_item(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"PK": ("S", row["email"]), "SK": ("N", Decimal(row["id"])), "kind": ("S", "PROFILE")}
    conversions = {
        "name": lambda v: ("S", v), "balance": lambda v: ("N", v), "ratio": lambda v: ("N", Decimal(repr(v))),
        "active": lambda v: ("BOOL", v == 1), "created_at": lambda v: ("S", iso(v)),
        "updated_at": lambda v: ("S", iso(v)), "birthday": lambda v: ("S", v.isoformat()),
        "prefs": tagged_json, "tags": tagged_json, "labels": lambda v: ("SS", frozenset(v)) if v else None,
        "avatar": lambda v: ("B", v), "big": lambda v: ("N", v),
        "score": lambda v: ("N", Decimal(v.strip()))}
    for name, convert in conversions.items():
        raw = row["score_text" if name == "score" else name]
        if raw is not None and convert(raw) is not None:
            out[name] = convert(raw)
    return out


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    with zipfile.ZipFile(io.BytesIO(build_bundle())) as archive:
        archive.extractall(target)
    return target


JOB_SCRIPT = """\
import sys
# Only the bundle may provide migrator and pymysql: drop the editable install's finder.
sys.meta_path[:] = [f for f in sys.meta_path if "Editable" not in getattr(f, "__name__", type(f).__name__)]
import migrator, pymysql
from migrator.runtime import load
bundle = sys.argv[1]
assert migrator.__file__.startswith(bundle) and pymysql.__file__.startswith(bundle), (migrator.__file__, pymysql.__file__)
code = load.main(sys.argv[2:])
foreign = sorted(m for m in sys.modules if m.startswith("migrator.") and not m.startswith("migrator.runtime"))
assert not foreign, foreign
sys.exit(code)
"""


def test_run_load_end_to_end_from_the_bundle(sandbox: Any, mysql_db: str, ddb: Any, table: str,
                                             bundle_dir: Path, tmp_path: Path) -> None:
    rows = raw_rows()
    insert_rows(sandbox, mysql_db, rows)
    glue_dir = tmp_path / "glue"
    spec = sandbox.mariadb
    LocalGlue(glue_dir).create_connection({"Name": "source", "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": f"jdbc:mysql://127.0.0.1:{spec.port}/{mysql_db}",
        "USERNAME": spec.user, "PASSWORD": spec.password}})
    s3 = aws(sandbox, "s3")
    bucket = unique("results")
    s3.create_bucket(Bucket=bucket)
    script = tmp_path / "job.py"
    script.write_text(JOB_SCRIPT)
    argv = ["--JOB_NAME", "load-customers", "--JOB_RUN_ID", "jr_1", "--job-bookmark-option", "job-bookmark-disable",
            "--connection_name", "source", "--item_spec", spec_json("ddb_customers_view", table, SPECS),
            "--result_s3_uri", f"s3://{bucket}/runs/1/result.json", "--fetch_size", "7", "--progress_every", "10"]
    env = {"PATH": os.environ.get("PATH", ""), **sandbox.aws_env(), "MIGRATOR_GLUE_LOCAL_DIR": str(glue_dir),
           "PYTHONPATH": str(bundle_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    began = time.monotonic()
    done = subprocess.run([sys.executable, str(script), str(bundle_dir), *argv], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    wall = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert spec.password not in done.stdout + done.stderr

    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events] == ["progress"] * 4 + ["finished", "result"]
    assert [e["rows_read"] for e in events[:4]] == [10, 20, 30, 40]

    result = json.loads(s3.get_object(Bucket=bucket, Key="runs/1/result.json")["Body"].read())
    assert (result["status"], result["rows_read"], result["items_written"], result["items_rejected"]) == \
        ("succeeded", 44, 41, 3)
    assert result["rejected_by_reason"] == {"key_null:PK": 1, "key_empty:PK": 1, "not_boolean:active": 1}
    assert sorted((s["reason"], json.dumps(s["key"], sort_keys=True)) for s in result["samples"]) == [
        ("key_empty", '{"PK": "", "SK": 42}'), ("key_null", '{"PK": null, "SK": 41}'),
        ("not_boolean", '{"PK": "bad@example.com", "SK": 43}')]
    started, finished = (dt.datetime.strptime(result[f], "%Y-%m-%dT%H:%M:%S.%fZ") for f in ("started_at", "finished_at"))
    # the duration is the load's own (monotonic) time: positive, within the wall-clock span it reports
    # (timestamps have millisecond precision) and within the time the process took as a whole
    assert 0 < result["duration_seconds"] < wall
    assert abs((finished - started).total_seconds() - result["duration_seconds"]) < 0.5  # two clocks, read apart
    # 41 items in batches of 25, whatever the fetch size; moto throttles nothing
    assert (result["writer"]["written"], result["writer"]["batches"], result["writer"]["retries"]) == (41, 2, 0)

    got = {i["SK"]["N"]: i for i in scan_all(ddb, table)}
    expected = {str(r["id"]): expected_item(r) for r in rows if r["id"] not in (41, 42, 43)}
    assert sorted(got) == sorted(expected)
    for sk, item_ in got.items():
        assert {k: tagged(v) for k, v in item_.items()} == expected[sk], sk
    by_id = {r["id"]: r for r in rows}
    for sk, item_ in got.items():       # exact decimal text, the source scale kept
        if by_id[int(sk)]["balance"] is not None:
            assert item_["balance"]["N"] == str(by_id[int(sk)]["balance"])
    assert got["44"] == {"PK": {"S": "all-null@example.com"}, "SK": {"N": "44"}, "kind": {"S": "PROFILE"}}


def test_main_fails_with_one_line_and_still_writes_the_result(sandbox: Any, mysql_db: str, ddb: Any, table: str,
                                                              tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    spec = sandbox.mariadb
    LocalGlue(tmp_path).create_connection({"Name": "source", "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": f"jdbc:mysql://127.0.0.1:{spec.port}/{mysql_db}",
        "USERNAME": spec.user, "PASSWORD": spec.password}})
    for key, value in {**sandbox.aws_env(), "MIGRATOR_GLUE_LOCAL_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    s3 = aws(sandbox, "s3")
    bucket = unique("results")
    s3.create_bucket(Bucket=bucket)
    code = load.main(["--JOB_NAME", "x", "--connection_name", "source",
                      "--item_spec", spec_json("no_such_view", table, SPECS[:2]),
                      f"--result_s3_uri=s3://{bucket}/r.json"])
    out, err = capsys.readouterr()
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("LoadError: ProgrammingError: ") and "no_such_view" in lines[0]
    assert spec.password not in out + err
    result = json.loads(s3.get_object(Bucket=bucket, Key="r.json")["Body"].read())
    assert result["status"] == "failed" and "no_such_view" in result["error"] and result["rows_read"] == 0

    assert load.main(["--JOB_NAME", "x", "--connection_name", "source"]) == 1
    assert capsys.readouterr().err.strip() == "LoadError: missing job argument(s): --item_spec"


def test_load_config() -> None:
    config = load.load_config({"connection_name": "c", "item_spec": spec_json("db.v", "T", SPECS[:3])})
    assert config.key_names == ("PK", "SK") and [s.key for s in config.spec.attributes] == [True, True, False]
    assert [s.sort_key for s in config.spec.attributes] == [False, True, False] and config.fetch_size == 1000
    assert config.spec == load.load_config({"--connection_name": "c", "--item_spec": spec_json(
        "db.v", "T", SPECS[:3])}).spec
    good = spec_json("v", "T", SPECS[:3])
    for bad, words in (({"item_spec": good.replace('"PK","SK"', '"PK","nope"')}, "nope"),
                       ({"result_s3_uri": "s3://bucket-only"}, "result_s3_uri"),
                       ({"fetch_size": "0"}, "--fetch_size"),
                       ({"item_spec": good.replace('"format":1', '"format":2')}, "different migrator versions"),
                       ({"item_spec": "{"}, "not JSON")):
        with pytest.raises(load.LoadError, match=words):
            load.load_config({"connection_name": "c", "item_spec": good, **bad})
    assert job.parse_argv(["--JOB_NAME", "j", "stray", "--a=1", "--b", "two", "--dangling"]) == \
        {"JOB_NAME": "j", "a": "1", "b": "two"}
    from migrator.runtime.source import select_sql
    assert select_sql("db.v", ["PK", "a.b", "we`ird"]) == "SELECT `PK`, `a.b`, `we``ird` FROM `db`.`v`"


# ----------------------------------------------------------------------------- the bundle

HASH_SCRIPT = "import hashlib; from migrator.runtime.bundle import build_bundle; " \
              "print(hashlib.sha256(build_bundle()).hexdigest())"


def test_bundle_is_byte_identical_across_processes_and_hash_seeds() -> None:
    digests = set()
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run([sys.executable, "-c", HASH_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=60, check=True)
        digests.add(done.stdout.strip())
    digests.add(hashlib.sha256(build_bundle()).hexdigest())
    assert len(digests) == 1


def test_bundle_contents() -> None:
    archive = zipfile.ZipFile(io.BytesIO(build_bundle()))
    infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and len(names) == len(set(names))
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and i.external_attr >> 16 == 0o100644 for i in infos)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    runtime_dir = REPO / "migrator" / "runtime"
    runtime = sorted(f"migrator/runtime/{p.relative_to(runtime_dir).as_posix()}" for p in runtime_dir.rglob("*.py")
                     if "__pycache__" not in p.parts)
    assert "migrator/runtime/writer/batch.py" in runtime   # subpackages are shipped too
    assert [n for n in names if n.startswith("migrator/")] == ["migrator/__init__.py", *runtime]
    assert {"pymysql/__init__.py", "pymysql/connections.py", "pymysql/cursors.py",
            "pymysql/constants/CLIENT.py", "pymysql/LICENSE"} <= set(names)
    stub = ast.parse(archive.read("migrator/__init__.py"))
    assert not [n for n in ast.walk(stub) if isinstance(n, (ast.Import, ast.ImportFrom))]
    for name in names:                          # the runtime imports only stdlib, boto3, pymysql, itself
        if name.startswith("migrator/runtime/"):
            for node in ast.walk(ast.parse(archive.read(name))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("migrator"):
                    assert node.module.startswith("migrator.runtime"), (name, node.module)
                if isinstance(node, ast.Import):
                    assert not [a.name for a in node.names if a.name.startswith("migrator")], name


def python39() -> str | None:
    candidates = [os.path.expanduser(f"~/.pyenv/versions/{v}/bin/python")
                  for v in sorted(os.listdir(os.path.expanduser("~/.pyenv/versions")))
                  if v.startswith("3.9.")] if os.path.isdir(os.path.expanduser("~/.pyenv/versions")) else []
    candidates += ["/usr/bin/python3.9"]
    return next((c for c in candidates if os.path.exists(c)), None)


PY39_SCRIPT = """\
import datetime, decimal, json, sys
sys.path.insert(0, sys.argv[1])
from migrator.runtime import aws, bundle, connections, items, job, load, source, spec, spark_load, verify, writer
import pymysql
assert sys.version_info[:2] == (3, 9) and pymysql.__file__.startswith(sys.argv[1])
item_spec = spec.ItemSpec.from_json('{"format": 1, "view": "v", "table": "T", "keys": ["PK"], "attributes": '
                               '[{"name": "PK", "type": "S"}, {"name": "n", "type": "N"}, {"name": "t", "type": "S"}, '
                               '{"name": "m", "type": "M"}]}')
item = items.to_item({"PK": "a", "n": decimal.Decimal("1.50"), "t": datetime.datetime(2024, 4, 2, 15, 30, 45),
                      "m": '{"x": [1, null]}'}, item_spec.attributes)
print(json.dumps(item, sort_keys=True))


class Fake:  # a stand-in DynamoDB client: the point is the threads and the budget on Python 3.9
    def __init__(self):
        self.table = {}

    def batch_write_item(self, RequestItems, **_):
        for request in RequestItems["T"]:
            self.table[request["PutRequest"]["Item"]["PK"]["S"]] = request["PutRequest"]["Item"]["v"]["N"]
        return {}


fake = Fake()
parallel = writer.ParallelWriter(fake, "T", key_names=["PK"], writers=3, limiter=writer.TokenBucket(1e6))
for n in range(300):
    parallel.put({"PK": {"S": str(n % 40)}, "v": {"N": str(n)}})
parallel.close()
assert parallel.written == 300 and fake.table == {str(n % 40): str(n) for n in range(300)}, fake.table
"""


def test_bundle_runs_on_python_39_like_glue_python_shell(tmp_path: Path) -> None:
    interpreter = python39()
    if interpreter is None:
        pytest.skip("no Python 3.9 interpreter on this machine")
    bundle = tmp_path / "runtime.zip"
    bundle.write_bytes(build_bundle())
    done = subprocess.run([interpreter, "-c", PY39_SCRIPT, str(bundle)], capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"},
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"PK": {"S": "a"}, "m": {"M": {"x": {"L": [{"N": "1"}, {"NULL": True}]}}},
                                       "n": {"N": "1.50"}, "t": {"S": "2024-04-02T15:30:45.000Z"}}


def test_the_load_reads_the_index_keys_from_the_table_as_it_is(ddb: Any) -> None:
    """An attribute the job's specs do not mark as an index key is one if the live table indexes it:
    an empty value is rejected (DynamoDB would refuse the whole batch), a missing one is fine."""
    name = unique("rtgsi")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                           {"AttributeName": "status", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "ByStatus",
                                              "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                     BillingMode="PAY_PER_REQUEST")
    try:
        assert load.index_key_names(ddb, name) == {"status"}
        rows = [{"PK": "a", "status": "open"}, {"PK": "b", "status": ""}, {"PK": "c", "status": None}]
        args = {"connection_name": "unused",
                "item_spec": spec_json("v", name, [{"name": "PK", "type": "S", "key": True}, {"name": "status", "type": "S"}])}
        result = load.run_load(args, dynamodb=ddb, rows=lambda config: iter(rows))
        assert (result.rows_read, result.items_written, result.items_rejected) == (3, 2, 1)
        assert result.rejected_by_reason == {"key_empty:status": 1}
        items = {i["PK"]["S"]: i for i in scan_all(ddb, name)}
        assert sorted(items) == ["a", "c"] and "status" not in items["c"]
    finally:
        ddb.delete_table(TableName=name)
