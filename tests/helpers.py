"""Small helpers shared by the end-to-end tests: boto3 straight at the emulator, a full
scan deserialised by boto3 (never by migrator), the CLI in a subprocess, and a project
(database, mcp.json, state, bucket, and optionally an AWS emulator of its own)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import uuid
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from boto3.dynamodb.types import TypeDeserializer

from migrator.sandbox import lifecycle, moto, processes


class HasEndpoint(Protocol):
    @property
    def endpoint(self) -> str: ...


@dataclass(frozen=True)
class Emulator:
    """A moto server owned by one test: its tables and buckets are nobody else's."""

    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def own_emulator(folder: Path) -> Iterator[Emulator]:
    """Start a private moto server for one test and stop it afterwards (its memory goes with it)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = processes.free_port()
    process = moto.start(folder, port)
    try:
        moto.wait_ready(folder, port, process)
        yield Emulator(port)
    finally:
        processes.stop(process)


def stress(examples: int) -> int:
    """`examples` times MIGRATOR_STRESS (default 1): benchmarks/stress_properties.py runs the
    expensive properties at 10x their CI examples."""
    return examples * max(1, int(os.environ.get("MIGRATOR_STRESS", "1") or 1))


def aws(target: HasEndpoint, service: str) -> Any:
    """boto3 straight at an emulator (the sandbox's or a test's own)."""
    return boto3.client(service, endpoint_url=target.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def scan_items(ddb: Any, table: str, index: str | None = None) -> list[dict[str, Any]]:
    de = TypeDeserializer()
    items, kwargs = [], {"TableName": table, **({"IndexName": index} if index else {})}
    while True:
        page = ddb.scan(**kwargs)
        items += [{k: de.deserialize(v) for k, v in i.items()} for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run_cli(env: dict[str, str], cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=cwd, timeout=timeout)


def project(sandbox: lifecycle.SandboxRecord, database: str, folder: Path,
            emulator: HasEndpoint | None = None) -> dict[str, Any]:
    """An mcp.json for `database` on the sandbox, a Glue folder, a state folder and a fresh bucket.

    With `emulator`, every AWS call of the project (servers and Glue jobs) goes there.
    """
    emulator = emulator or sandbox
    config = lifecycle.mcp_config(sandbox)
    for server in config["mcpServers"].values():
        if "AWS_ENDPOINT_URL" in server["env"]:
            server["env"]["AWS_ENDPOINT_URL"] = emulator.endpoint
    config["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] = database
    glue_dir = folder / "glue"
    config["mcpServers"]["migrator-glue"]["env"]["MIGRATOR_GLUE_LOCAL_DIR"] = str(glue_dir)
    mcp_json = folder / "mcp.json"
    mcp_json.write_text(json.dumps(config))
    return {"db": database, "mcp_json": mcp_json, "bucket": f"mig-{uuid.uuid4().hex[:12]}", "state": folder / "state",
            "cwd": folder, "glue_dir": glue_dir, "aws": emulator}


def project_cli(project: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    env = {"MIGRATOR_MCP_CONFIG": str(project["mcp_json"]), "MIGRATOR_STATE_DIR": str(project["state"]),
           "MIGRATOR_BUCKET": project["bucket"]}
    return run_cli(env, project["cwd"], *args)


def browser_dom(html_file: Path) -> str:
    """The DOM headless Chromium builds from a local HTML file (what a person's browser shows)."""
    import shutil
    import tempfile

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is needed for this test: .ci/install installs Debian's chromium"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", f"--user-data-dir={profile}", "--dump-dom",
                               html_file.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def shown_figures(dom: str) -> dict[tuple[str, str], str]:
    """Every `<td data-table data-field>` of a report page: (table, field) -> the text shown."""
    from html.parser import HTMLParser

    cells: dict[tuple[str, str], str] = {}

    class Cells(HTMLParser):
        key: tuple[str, str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "td" and found.get("data-field"):
                self.key = (str(found.get("data-table")), str(found["data-field"]))
                cells[self.key] = ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "td":
                self.key = None

        def handle_data(self, data: str) -> None:
            if self.key is not None:
                cells[self.key] += data

    Cells().feed(dom)
    return cells


def assert_coverage_and_settings(ddb: Any, report: dict[str, Any], shown: dict[tuple[str, str], str]) -> None:
    """Each table's index coverage in the JSON report equals counts taken with boto3 (the index
    scanned, the table's items carrying its keys counted here), and the HTML page shows the same;
    so does each table's protection, read with boto3."""
    for table in report["tables"]:
        name = table["name"]
        items = scan_items(ddb, name)
        layout = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
                  for i in ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes") or []}
        got = {i["index"]: i for i in table["check"]["indexes"]}
        assert set(got) == set(layout), name
        for index, keys in layout.items():
            carrying = sum(1 for item in items if all(k in item for k in keys))
            entry = got[index]
            assert (entry["keys"], entry["index_items"], entry["carrying"], entry["ok"]) == (
                keys, len(scan_items(ddb, name, index=index)), carrying, True), (name, index)
            row = f"{name}.{index}"
            assert int(shown[(row, "index_items")].replace(",", "")) == entry["index_items"], row
            assert int(shown[(row, "carrying")].replace(",", "")) == entry["carrying"], row
        pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
            "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        assert table["protection"]["point_in_time_recovery"] == pitr, name
        assert shown[(name, "point_in_time_recovery")] == ("on" if pitr else "off"), name


REPO_ROOT = Path(__file__).resolve().parents[1]


def example_module(path: Path, name: str) -> Any:
    """An example's script (seed.py) as a module of its own name: several examples have a `seed`."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def third_party_server(package: str, version: str) -> str:
    """The command of a third-party MCP server, installed by .ci/install in a venv of its own."""
    command = REPO_ROOT / ".mcp-servers" / f"{package}-{version}" / "bin" / package
    assert command.exists(), f"{package}=={version} is not installed: run .ci/install (it puts it in {command.parent})"
    return str(command)


@contextlib.contextmanager
def glue_api(aws_env: dict[str, str], root: Path) -> Iterator[str]:
    """The local Glue runtime's HTTP API as its own process (as the sandbox runs it); yields its endpoint."""
    from migrator.sandbox import glue_api as sandbox_glue_api
    from migrator.sandbox import processes as sandbox_processes

    port = sandbox_processes.free_port()
    process = sandbox_glue_api.start(root, port, aws_env)
    try:
        sandbox_glue_api.wait_ready(root, port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        sandbox_processes.stop(process)


GLUE_SCRIPTS = Path(__file__).parent / "fixtures" / "glue_scripts"


def script_bucket(sandbox: Any, prefix: str) -> str:
    """A new bucket in the sandbox's S3 holding every test Glue script under scripts/."""
    s3 = aws(sandbox, "s3")
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    for script in GLUE_SCRIPTS.glob("*.py"):
        s3.upload_file(str(script), name, f"scripts/{script.name}")
    return name
