"""The AWS emulator: one moto server process for DynamoDB, S3, Glue, IAM and STS."""

from __future__ import annotations

import importlib.util
import sys
import urllib.request
from pathlib import Path

from migrator.errors import MigratorError
from migrator.sandbox import processes


def marker(port: int) -> str:
    return f"moto.server -H 127.0.0.1 -p {port}"


def start(root: Path, port: int) -> processes.ProcessIdentity:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise MigratorError("the AWS emulator moto is not installed",
                            hint="pip install 'moto[server]'")
    return processes.spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                           log_path=root / "moto.log")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def wait_ready(root: Path, port: int, process: processes.ProcessIdentity, timeout: float = 30.0) -> None:
    processes.wait_ready("moto server", process, port, healthy, root / "moto.log", timeout)
