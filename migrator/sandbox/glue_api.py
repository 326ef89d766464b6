"""The local Glue runtime's HTTP API (servers.glue_local.http_api) as a sandbox process, so
boto3 clients and third-party MCP servers run real local jobs (`AWS_ENDPOINT_URL_GLUE`)."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

from migrator.sandbox import processes

MODULE = "migrator.servers.glue_local.http_api"


def start(root: Path, port: int, aws_env: dict[str, str]) -> processes.ProcessIdentity:
    """With the sandbox's AWS settings: the runs it starts fetch scripts from moto's S3."""
    env = {**os.environ, **aws_env}
    return processes.spawn([sys.executable, "-m", MODULE, str(root / "glue"), str(port)],
                           log_path=root / "glue-api.log", env=env)


def healthy(port: int) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps({}).encode(), method="POST",
                                     headers={"X-Amz-Target": "AWSGlue.ListJobs",
                                              "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(request, timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def wait_ready(root: Path, port: int, process: processes.ProcessIdentity, timeout: float = 30.0) -> None:
    processes.wait_ready("local Glue API", process, port, healthy, root / "glue-api.log", timeout)
