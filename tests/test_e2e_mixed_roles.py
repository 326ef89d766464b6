"""The shop example migrated with third-party servers in some roles and built-in ones in the
others: plan, apply, verify, plan again (empty), destroy (nothing left).

Real MariaDB, a moto server of the test's own, the local Glue runtime, the CLI in a subprocess
and the third-party servers from PyPI (pinned, installed by .ci/install). Items are compared with
a Python computation from the raw rows, read with boto3."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, glue_api, own_emulator, project_cli, third_party_server
from tests.helpers import project as make_project
from tests.shop_reference import CONTRACT, raw_rows, seed, stored_and_expected


def awslabs_glue(config: dict[str, Any], endpoint: str) -> None:
    """The data-processing server drives Glue's API, served by the local runtime (the test's glue_api)."""
    env = {**config["mcpServers"]["migrator-dynamodb"]["env"], "AWS_ENDPOINT_URL": endpoint,
           "AWS_ENDPOINT_URL_GLUE": config["glue_api"]}
    config["mcpServers"]["aws-dataprocessing"] = {
        "command": third_party_server("awslabs.aws-dataprocessing-mcp-server", "0.2.2"), "args": ["--allow-write"],
        "env": env}
    config["migrator"]["roles"]["glue"] = {"server": "aws-dataprocessing", "adapter": "awslabs_dataprocessing"}


def workshop_mysql(config: dict[str, Any], endpoint: str) -> None:
    config["mcpServers"]["workshop-mysql"] = {"command": "mysql_mcp_server", "args": [],
                                              "env": dict(config["mcpServers"]["migrator-mysql"]["env"])}
    config["migrator"]["roles"]["mysql"] = {"server": "workshop-mysql", "adapter": "mysql_mcp_server"}


#: A third-party MySQL or Glue server beside built-in servers in the other roles. The AWS Labs
#: DynamoDB server is in test_e2e_workshop_mcp.py with the other two (examples/workshop-mcp): alone
#: beside built-in servers it migrates the shop in 160 s (one boto3 session per call, ~0.1 s) and
#: exercises nothing its adapter tests and the workshop e2e do not; every role built-in is the
#: shop e2e.
SETUPS: dict[str, tuple[Callable[[dict[str, Any], str], None], ...]] = {
    "mysql=workshop": (workshop_mysql,),
    "glue=awslabs": (awslabs_glue,),
}


@pytest.fixture
def project(sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=11))
    conn.close()
    with own_emulator(tmp_path / "moto") as emulator:
        made = make_project(sandbox, mysql_db, tmp_path, emulator)
        env = {**sandbox.aws_env(), "AWS_ENDPOINT_URL": emulator.endpoint}
        with glue_api(env, tmp_path) as endpoint:   # serves the project's glue/ folder
            yield {**made, "glue_api": endpoint}


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_the_shop_migrates_the_same_whichever_server_has_each_role(sandbox: lifecycle.SandboxRecord,
                                                                  project: dict[str, Any], setup: str) -> None:
    config = {**json.loads(Path(project["mcp_json"]).read_text()), "glue_api": project["glue_api"]}
    for change in SETUPS[setup]:
        change(config, project["aws"].endpoint)
    del config["glue_api"]
    Path(project["mcp_json"]).write_text(json.dumps(config))
    doctor = project_cli(project, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    applied = project_cli(project, "apply", str(CONTRACT), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    doc = json.loads(CONTRACT.read_text())
    conn = root_connection(sandbox, project["db"])
    raw = raw_rows(conn, doc)
    conn.close()
    ddb = aws(project["aws"], "dynamodb")
    for table, got, exp in stored_and_expected(ddb, doc, raw):
        assert got == exp, (setup, table["table"])
        tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(
            ResourceArn=ddb.describe_table(TableName=table["table"])["Table"]["TableArn"])["Tags"]}
        assert tags.get("managed-by") == "migrator", (setup, tags)

    verified = project_cli(project, "verify", str(CONTRACT), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    outcomes = json.loads(verified.stdout)["tables"]
    assert all(t["ok"] and t["matching"] == t["compared"] > 0 for t in outcomes), outcomes
    assert "No changes." in project_cli(project, "plan", str(CONTRACT)).stdout

    destroyed = project_cli(project, "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert ddb.list_tables()["TableNames"] == []
