"""The `awslabs_dataprocessing` Glue adapter against the real PyPI server
(`awslabs.aws-dataprocessing-mcp-server` 0.2.2 --allow-write, in its own venv from .ci/install)
over stdio, with Glue's API served by the local runtime (real local runs of real scripts) and
S3/STS by moto. Expectations come from boto3 talking to the Glue API directly."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from mcp.types import CallToolResult, TextContent

from migrator.mcp.adapters.awslabs_dataprocessing.answers import recognise
from migrator.mcp.adapters.awslabs_dataprocessing.glue import HIDDEN, AwsLabsDataProcessingGlue
from migrator.mcp.adapters.awslabs_dataprocessing.s3 import AwsLabsDataProcessingS3
from migrator.mcp.client import McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.errors import ErrorCode, ToolError
from migrator.mcp.facades import JobRun
from tests.helpers import glue_api, script_bucket, third_party_server
from tests.reliability.throttle_proxy import Throttling, throttling_proxy

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def endpoint(sandbox: Any, tmp_path: Path) -> Iterator[str]:
    with glue_api(sandbox.aws_env(), tmp_path) as url:
        yield url


@pytest.fixture
def bucket(sandbox: Any) -> str:
    return script_bucket(sandbox, "dp")


@contextlib.asynccontextmanager
async def adapter(sandbox: Any, endpoint: str, tmp_path: Path, args: tuple[str, ...] = ("--allow-write",),
                  env: dict[str, str] | None = None) -> AsyncIterator[AwsLabsDataProcessingGlue]:
    command = third_party_server("awslabs.aws-dataprocessing-mcp-server", "0.2.2")
    servers = {"dp": {"command": command, "args": list(args),
                      "env": {**sandbox.aws_env(), "AWS_ENDPOINT_URL_GLUE": endpoint, **(env or {})}}}
    config = parse_config({"mcpServers": servers, "migrator": {"roles": {"glue": {
        "server": "dp", "adapter": "awslabs_dataprocessing"}}}}, None, os.environ)
    async with McpHub(config, log_dir=tmp_path / "logs") as hub:
        yield AwsLabsDataProcessingGlue(hub, "dp")


def job(name: str, bucket: str, script: str) -> dict[str, Any]:
    return {"Name": name, "Role": "arn:aws:iam::123456789012:role/glue", "MaxCapacity": 0.0625,
            "Command": {"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/{script}",
                        "PythonVersion": "3.9"}, "ExecutionProperty": {"MaxConcurrentRuns": 1},
            "Tags": {"managed-by": "migrator"}}


async def wait(a: AwsLabsDataProcessingGlue, name: str, run_id: str, states: frozenset[str]) -> JobRun:
    for _ in range(600):
        run = await a.get_job_run(name, run_id)
        if run.state in states:
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"{run_id} never reached {states}")


async def test_jobs_runs_and_connections_through_the_server(sandbox: Any, endpoint: str, bucket: str,
                                                            tmp_path: Path) -> None:
    direct = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    name, fails, slow = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("ok", "fail", "slow"))
    async with adapter(sandbox, endpoint, tmp_path) as a:
        await a.create_job(job(name, bucket, "sleep.py"))
        assert (await a.get_job(name))["Command"] == direct.get_job(JobName=name)["Job"]["Command"]
        assert direct.get_tags(ResourceArn=f"arn:aws:glue:us-east-1:123456789012:job/{name}")["Tags"][
            "ManagedBy"] == "DataprocessingMcpServer"
        assert name in await a.list_jobs()

        # run arguments travel in DefaultArguments for the start: without them sleep.py would sleep
        # 120 s; then the job is as it was planned
        before = direct.get_job(JobName=name)["Job"]
        run_id = await a.start_job_run(name, {"--seconds": "0.2"})
        done = await wait(a, name, run_id, JobRun.TERMINAL)
        assert done.state == "SUCCEEDED" and direct.get_job_run(JobName=name, RunId=run_id)["JobRun"][
            "JobRunState"] == "SUCCEEDED"
        after = direct.get_job(JobName=name)["Job"]
        assert after.get("DefaultArguments") == before.get("DefaultArguments") and after["Command"] == before["Command"]
        assert [r.run_id for r in await a.list_job_runs(name)] == [run_id]

        await a.create_job(job(fails, bucket, "fail.py"))
        failed = await wait(a, fails, await a.start_job_run(fails), JobRun.TERMINAL)
        assert failed.state == "FAILED" and failed.error_message == HIDDEN

        await a.create_job(job(slow, bucket, "sleep.py"))
        sleeping = await a.start_job_run(slow, {"--seconds": "60"})
        await wait(a, slow, sleeping, frozenset({"RUNNING"}))
        await a.stop_job_run(slow, sleeping)
        assert (await wait(a, slow, sleeping, JobRun.TERMINAL)).state == "STOPPED"
        with pytest.raises(ToolError) as no_logs:
            await a.get_job_run_logs(slow, sleeping)
        assert no_logs.value.code is ErrorCode.UNSUPPORTED

        props = {"JDBC_CONNECTION_URL": "jdbc:mysql://127.0.0.1:3306/shop", "USERNAME": "u", "PASSWORD": "s3cret"}
        await a.create_connection({"Name": f"c-{name}", "ConnectionType": "JDBC", "ConnectionProperties": props})
        got = await a.get_connection(f"c-{name}")
        assert got is not None and got["ConnectionProperties"]["USERNAME"] == "u" and "s3cret" not in str(got)
        assert await a.delete_connection(f"c-{name}") and not await a.delete_connection(f"c-{name}")
        assert await a.get_connection(f"c-{name}") is None

        for each in (name, fails, slow):
            assert await a.delete_job(each)
        assert not await a.delete_job(name) and await a.get_job(name) is None
        assert name not in direct.list_jobs()["JobNames"]


async def test_refusals_are_recognised(sandbox: Any, endpoint: str, bucket: str, tmp_path: Path) -> None:
    direct = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    foreign = f"foreign-{uuid.uuid4().hex[:8]}"
    direct.create_job(**{k: v for k, v in job(foreign, bucket, "sleep.py").items() if k != "Tags"})
    async with adapter(sandbox, endpoint, tmp_path) as a:
        with pytest.raises(ToolError) as denied:
            await a.delete_job(foreign)          # not created through the server: it refuses
        assert denied.value.code is ErrorCode.ACCESS_DENIED and denied.value.hint
        with pytest.raises(ToolError) as missing:
            await a.start_job_run(f"none-{foreign}")
        assert missing.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(ToolError) as exists:
            await a.create_job(job(foreign, bucket, "sleep.py"))
        assert exists.value.code is ErrorCode.ALREADY_EXISTS
    async with adapter(sandbox, endpoint, tmp_path, args=()) as read_only:
        with pytest.raises(ToolError) as no_write:
            await read_only.create_job(job(f"ro-{foreign}", bucket, "sleep.py"))
        assert no_write.value.code is ErrorCode.ACCESS_DENIED and "--allow-write" in (no_write.value.hint or "")
    assert foreign in direct.list_jobs()["JobNames"]
    direct.delete_job(JobName=foreign)


def answer(*texts: str, is_error: bool = False) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=t) for t in texts], isError=is_error)


@pytest.mark.parametrize(("texts", "code"), [
    (("Error in manage_aws_glue_jobs_and_runs: An error occurred (ThrottlingException) when calling the GetJob "
      "operation (reached max retries: 4): Rate exceeded",), ErrorCode.THROTTLED),
    (("Error in manage_aws_glue_jobs_and_runs: An error occurred (AccessDeniedException) when calling the "
      "CreateJob operation: not authorised",), ErrorCode.ACCESS_DENIED),
    (("Failed to get connection c: EntityNotFoundException - connection 'c' does not exist",), ErrorCode.NOT_FOUND),
    (("Operation create-job is not allowed without write access",), ErrorCode.ACCESS_DENIED),
    (("Something unexpected\nover two lines",), ErrorCode.INVALID),
])
def test_each_refusal_text_is_one_error_with_its_code(texts: tuple[str, ...], code: ErrorCode) -> None:
    with pytest.raises(ToolError) as raised:
        recognise(answer(*texts, is_error=True))
    assert raised.value.code is code and "\n" not in str(raised.value)


def test_an_answer_without_its_json_block_is_malformed() -> None:
    with pytest.raises(ToolError) as raised:
        recognise(answer("Successfully retrieved job j", "not json"))
    assert raised.value.code is ErrorCode.INTERNAL
    assert recognise(answer("Successfully retrieved job j", '{"job_details": {"Name": "j"}}')) == {
        "job_details": {"Name": "j"}}


async def test_a_throttled_glue_api_is_a_throttled_error(sandbox: Any, endpoint: str, bucket: str,
                                                         tmp_path: Path) -> None:
    """Glue answers ThrottlingException when over its request rate: the server's text is read as
    `throttled` (transient: the hub retries it), never as a missing job."""
    name = f"thr-{uuid.uuid4().hex[:8]}"
    async with adapter(sandbox, endpoint, tmp_path) as a:
        await a.create_job(job(name, bucket, "sleep.py"))
    throttling = Throttling(fraction=0.0, always_throttle="AWSGlue.GetJob")
    with throttling_proxy(endpoint, throttling) as proxy:
        # AWS_MAX_ATTEMPTS: the SDK inside the server would otherwise retry with backoff many times per call
        async with adapter(sandbox, proxy.endpoint, tmp_path, env={"AWS_MAX_ATTEMPTS": "2"}) as throttled:
            with pytest.raises(ToolError) as slow:
                await throttled.get_job(name)
            assert slow.value.code is ErrorCode.THROTTLED, slow.value
    assert throttling.errors["*"] >= 2        # the server's SDK and the hub both tried again
    direct = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    assert direct.get_job(JobName=name)["Job"]["Name"] == name    # the job was there all along
    direct.delete_job(JobName=name)


async def test_the_s3_role_on_the_server_uploads_text_and_names_what_it_cannot(sandbox: Any, endpoint: str,
                                                                               bucket: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=sandbox.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    script = "print('héllo, glue')\n".encode()
    async with adapter(sandbox, endpoint, tmp_path) as glue:
        uploads = AwsLabsDataProcessingS3(glue.hub, "dp")
        info = await uploads.put_object(bucket, "scripts/uploaded.py", script, "text/x-python")
        assert s3.get_object(Bucket=bucket, Key="scripts/uploaded.py")["Body"].read() == script
        assert (info.size, info.sha256) == (len(script), hashlib.sha256(script).hexdigest())
        with pytest.raises(ToolError) as binary:
            await uploads.put_object(bucket, "runtime/bundle.zip", b"PK\x03\x04\xff\xfe")
        assert binary.value.code is ErrorCode.UNSUPPORTED and "bind the s3 role to migrator's S3 server" in str(
            binary.value)
        with pytest.raises(ToolError) as missing:
            await uploads.put_object(f"no-such-{uuid.uuid4().hex[:8]}", "a.py", b"x = 1\n")
        assert missing.value.code is ErrorCode.NOT_FOUND, missing.value
        for call in (uploads.create_bucket("b"), uploads.head_object(bucket, "scripts/uploaded.py")):
            with pytest.raises(ToolError) as cannot:
                await call
            assert cannot.value.code is ErrorCode.UNSUPPORTED
    assert "runtime/bundle.zip" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


async def test_a_worker_job_starts_with_its_run_arguments_and_keeps_its_definition(sandbox: Any, endpoint: str,
                                                                                   bucket: str, tmp_path: Path) -> None:
    """The run's arguments go in through UpdateJob, whose copy of GetJob must leave out the
    MaxCapacity Glue derives for a worker job (Glue refuses both; so does the local API)."""
    direct = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    name = f"spk-{uuid.uuid4().hex[:8]}"
    spec = {"Name": name, "Role": "arn:aws:iam::123456789012:role/glue", "GlueVersion": "5.0",
            "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/sleep.py"},
            "WorkerType": "G.1X", "NumberOfWorkers": 2, "DefaultArguments": {"--seconds": "60"},
            "Tags": {"managed-by": "migrator"}}
    async with adapter(sandbox, endpoint, tmp_path) as a:
        await a.create_job(spec)
        before = direct.get_job(JobName=name)["Job"]
        assert before["MaxCapacity"] == 2.0
        run_id = await a.start_job_run(name, {"--seconds": "30", "--marker": "m1"})
        after = direct.get_job(JobName=name)["Job"]
        assert after["DefaultArguments"] == {"--seconds": "60"}, after      # put back after the start
        assert (after["WorkerType"], after["NumberOfWorkers"]) == ("G.1X", 2)
        assert direct.get_job_run(JobName=name, RunId=run_id)["JobRun"]["JobName"] == name
        await a.stop_job_run(name, run_id)
        await wait(a, name, run_id, JobRun.TERMINAL)
        assert await a.delete_job(name)
