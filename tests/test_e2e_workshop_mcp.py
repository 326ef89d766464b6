"""The workshop's own MCP servers migrate the workshop's contract: examples/workshop-mcp/mcp.json,
unchanged, drives `mysql_mcp_server`, the AWS Labs DynamoDB server 1.0.9 and the AWS Labs
data-processing server 0.2.2 (jobs on the local Glue runtime's HTTP API), with migrator's own
S3 server for the bucket. doctor, plan, apply, verify, plan again (empty), destroy (nothing left).

Real MariaDB, a moto server and a Glue API of the test's own, the CLI in a subprocess, the
third-party servers from PyPI (pinned, installed by .ci/install). The file's `${env:...}` values
come from `migrator sandbox env --json`, pointed at this test's database and emulator. Items
read back with boto3 are compared with tests/modernizr_reference.py, as in test_e2e_modernizr
(so they are the items the built-in servers load)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from migrator.sandbox import lifecycle
from tests.conftest import REPO, root_connection
from tests.helpers import aws, glue_api, own_emulator, run_cli, third_party_server
from tests.modernizr_reference import CONTRACT, TABLES, assert_items, expected_items, raw_rows, seed

EXAMPLE = REPO / "examples" / "workshop-mcp"
SERVERS = (("awslabs.dynamodb-mcp-server", "1.0.9"), ("awslabs.aws-dataprocessing-mcp-server", "0.2.2"))


@pytest.fixture
def workshop(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The environment a user has after `eval "$(migrator sandbox env)"`, for this test's own
    database, moto and Glue API, with the third-party servers on PATH (as `uv tool install` puts them)."""
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=5))
    conn.close()
    shown = run_cli({}, tmp_path, "sandbox", "env", "--json", "--dir", sandbox.root)
    assert shown.returncode == 0, shown.stderr
    exports = json.loads(shown.stdout)
    assert exports["MYSQL_PASSWORD"] == sandbox.mysql_password and exports["AWS_ENDPOINT_URL"] == sandbox.endpoint
    with own_emulator(tmp_path / "moto") as emulator:
        aws_env = {**sandbox.aws_env(), "AWS_ENDPOINT_URL": emulator.endpoint}
        with glue_api(aws_env, tmp_path) as endpoint:
            bins = [str(Path(third_party_server(*server)).parent) for server in SERVERS]
            env = {**exports, "MYSQL_DATABASE": mysql_db, "AWS_ENDPOINT_URL": emulator.endpoint,
                   "AWS_ENDPOINT_URL_GLUE": endpoint, "PATH": os.pathsep.join([os.environ["PATH"], *bins]),
                   "MIGRATOR_MCP_CONFIG": str(EXAMPLE / "mcp.json"), "MIGRATOR_STATE_DIR": str(tmp_path / "state"),
                   "MIGRATOR_BUCKET": f"workshop-{mysql_db.replace('_', '-')}"[:63]}
            yield {"env": env, "cwd": tmp_path, "db": mysql_db, "emulator": emulator, "glue": endpoint}


def test_the_workshop_servers_migrate_modernizr(sandbox: lifecycle.SandboxRecord, workshop: dict[str, Any]) -> None:
    def cli(*args: str) -> Any:
        return run_cli(workshop["env"], workshop["cwd"], *args)

    doctor = cli("doctor", str(CONTRACT), "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    roles = {r["role"]: r for r in json.loads(doctor.stdout)["roles"]}
    assert {role: r["server"] for role, r in roles.items()} == {
        "mysql": "mysql-mcp-server", "dynamodb": "awslabs.dynamodb-mcp-server",
        "glue": "awslabs.aws-dataprocessing-mcp-server", "s3": "migrator-s3"}
    # What each server lacks is said, and this plan does without it: DynamoDB's batch write (nothing
    # calls it), the data-processing server's logs (a failed load would say its state instead).
    lacking = {(role, o["operation"]): o for role, r in roles.items() for o in r["operations"] if not o["ok"]}
    assert set(lacking) == {("dynamodb", "batch_write"), ("glue", "get_job_run_logs")}, lacking
    assert not any(o["required"] for o in lacking.values()) and all(o["reason"] for o in lacking.values())
    assert lacking[("glue", "get_job_run_logs")]["needed_by"] == ["load"]

    plan = cli("plan", str(CONTRACT))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "to add, 0 to change, 0 to replace, 0 to destroy." in plan.stdout, plan.stdout

    applied = cli("apply", str(CONTRACT), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert sandbox.mysql_password not in applied.stdout + applied.stderr + plan.stdout + plan.stderr

    ddb = aws(workshop["emulator"], "dynamodb")
    assert_items(ddb, expected_items(raw_rows(sandbox, workshop["db"])))
    for table in TABLES:
        arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
        tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
        assert tags.get("managed-by") == "migrator", (table, tags)
    glue = boto3.client("glue", endpoint_url=workshop["glue"], region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    assert len(glue.get_jobs()["Jobs"]) == 5    # one per entity (jobs the data-processing server made)

    verified = cli("verify", str(CONTRACT), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    outcomes = json.loads(verified.stdout)["tables"]
    assert {t["table"] for t in outcomes} == set(TABLES), outcomes
    assert all(t["ok"] and t["matching"] == t["compared"] > 0 and t["capped_at"] == 100 for t in outcomes), outcomes

    again = cli("plan", str(CONTRACT), "--detailed-exitcode")
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout + again.stderr

    destroyed = cli("destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert ddb.list_tables()["TableNames"] == []
    assert glue.get_jobs()["Jobs"] == [] and glue.get_connections()["ConnectionList"] == []
    s3 = aws(workshop["emulator"], "s3")
    assert s3.list_buckets()["Buckets"] == []
    conn = root_connection(sandbox, workshop["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (workshop["db"],))
        assert cur.fetchone() == (0,)
    conn.close()
