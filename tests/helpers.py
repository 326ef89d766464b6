"""Small helpers shared by the end-to-end tests: boto3 straight at the emulator, a full
scan deserialised by boto3 (never by migrator), and the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
import sys
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

from migrator.sandbox import lifecycle


def aws(sandbox: lifecycle.SandboxRecord, service: str) -> Any:
    return boto3.client(service, endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def scan_items(ddb: Any, table: str) -> list[dict[str, Any]]:
    de = TypeDeserializer()
    items, kwargs = [], {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        items += [{k: de.deserialize(v) for k, v in i.items()} for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run_cli(env: dict[str, str], cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=cwd, timeout=timeout)


def project(sandbox: lifecycle.SandboxRecord, database: str, folder: Path) -> dict[str, Any]:
    """An mcp.json for `database` on the sandbox, a Glue folder, a state folder and a fresh bucket."""
    config = lifecycle.mcp_config(sandbox)
    config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] = database
    glue_dir = folder / "glue"
    config["mcpServers"]["migrator-glue"]["env"]["MIGRATOR_GLUE_LOCAL_DIR"] = str(glue_dir)
    mcp_json = folder / "mcp.json"
    mcp_json.write_text(json.dumps(config))
    return {"db": database, "mcp_json": mcp_json, "bucket": f"mig-{uuid.uuid4().hex[:12]}", "state": folder / "state",
            "cwd": folder, "glue_dir": glue_dir}


def project_cli(project: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    env = {"MIGRATOR_MCP_CONFIG": str(project["mcp_json"]), "MIGRATOR_STATE_DIR": str(project["state"]),
           "MIGRATOR_BUCKET": project["bucket"]}
    return run_cli(env, project["cwd"], *args)
