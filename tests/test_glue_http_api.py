"""The local Glue runtime behind Glue's HTTP API: a plain boto3 Glue client (as any third-party
server uses) creates a job, runs a real script on the local runtime, reads the run, stops one,
manages connections and tags, and gets Glue's own exceptions.

The API runs as its own process (`python -m migrator.servers.glue_local.http_api`, as the
sandbox starts it) with the sandbox's AWS settings; scripts live in the sandbox's moto S3."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from migrator.sandbox import processes
from tests.helpers import script_bucket

TERMINAL = {"SUCCEEDED", "FAILED", "ERROR", "STOPPED", "TIMEOUT"}


@pytest.fixture
def glue(sandbox: Any, tmp_path: Path) -> Iterator[Any]:
    port = processes.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "migrator.servers.glue_local.http_api", str(tmp_path / "glue"),
                             str(port)], env={**sandbox.aws_env(), "PATH": "/usr/bin:/bin",
                                              "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                            stderr=subprocess.PIPE)
    client = boto3.client("glue", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        for _ in range(100):
            try:
                client.list_jobs()
                break
            except Exception:  # not listening yet
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        yield client
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def bucket(sandbox: Any) -> str:
    return script_bucket(sandbox, "gapi")


def wait(glue: Any, job: str, run_id: str, states: set[str]) -> dict[str, Any]:
    for _ in range(600):
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in states:
            return dict(run)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {states}")


def job(name: str, bucket: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "Role": "arn:aws:iam::123456789012:role/glue",
            "Command": {"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/{script}",
                        "PythonVersion": "3.9"}, "MaxCapacity": 0.0625, **extra}


def test_a_boto3_client_runs_a_real_local_job(sandbox: Any, glue: Any, bucket: str) -> None:
    name = f"j-{uuid.uuid4().hex[:8]}"
    assert glue.create_job(**job(name, bucket, "report_args.py", Tags={"ManagedBy": "someone"}, DefaultArguments={
        "--extra-py-files": f"s3://{bucket}/scripts/glue_helper.py", "--out_bucket": bucket,
        "--kept": "from-job"}))["Name"] == name
    assert glue.get_job(JobName=name)["Job"]["Command"]["ScriptLocation"].endswith("report_args.py")
    assert name in glue.list_jobs()["JobNames"] and name in [j["Name"] for j in glue.get_jobs()["Jobs"]]

    # report_args.py imports a helper from a zip this bucket lacks: the run fails, and says why
    run_id = glue.start_job_run(JobName=name, Arguments={"--out_key": "out.json"})["JobRunId"]
    failed = wait(glue, name, run_id, TERMINAL)
    assert failed["JobRunState"] == "FAILED" and "zipped_helper" in failed["ErrorMessage"]
    assert [r["Id"] for r in glue.get_job_runs(JobName=name)["JobRuns"]] == [run_id]

    slow = f"s-{uuid.uuid4().hex[:8]}"
    glue.create_job(**job(slow, bucket, "sleep.py", DefaultArguments={"--seconds": "60"}))
    sleeping = glue.start_job_run(JobName=slow)["JobRunId"]
    wait(glue, slow, sleeping, {"RUNNING"})
    stopped = glue.batch_stop_job_run(JobName=slow, JobRunIds=[sleeping, "jr_" + "0" * 64])
    assert [s["JobRunId"] for s in stopped["SuccessfulSubmissions"]] == [sleeping]
    assert stopped["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    assert wait(glue, slow, sleeping, TERMINAL)["JobRunState"] == "STOPPED"

    arn = f"arn:aws:glue:us-east-1:123456789012:job/{name}"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"ManagedBy": "someone"}
    glue.tag_resource(ResourceArn=arn, TagsToAdd={"team": "data"})
    glue.untag_resource(ResourceArn=arn, TagsToRemove=["ManagedBy"])
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "data"}

    glue.update_job(JobName=name, JobUpdate={k: v for k, v in job(name, bucket, "fail.py").items() if k != "Name"})
    assert glue.get_job(JobName=name)["Job"]["Command"]["ScriptLocation"].endswith("fail.py")
    for each in (name, slow):
        glue.delete_job(JobName=each)
    assert name not in glue.list_jobs()["JobNames"]


def test_connections_hide_the_password_and_errors_are_glues_own(glue: Any, tmp_path: Path) -> None:
    props = {"JDBC_CONNECTION_URL": "jdbc:mysql://127.0.0.1:3306/shop", "USERNAME": "u", "PASSWORD": "s3cret"}
    glue.create_connection(ConnectionInput={"Name": "src", "ConnectionType": "JDBC", "ConnectionProperties": props})
    got = glue.get_connection(Name="src", HidePassword=False)["Connection"]
    assert got["ConnectionProperties"]["USERNAME"] == "u" and "s3cret" not in json.dumps(got, default=str)
    assert [c["Name"] for c in glue.get_connections()["ConnectionList"]] == ["src"]
    codes = []
    for call in (lambda: glue.get_job(JobName="missing"),
                 lambda: glue.create_connection(ConnectionInput={"Name": "src", "ConnectionType": "JDBC",
                                                                 "ConnectionProperties": props}),
                 lambda: glue.create_job(Name="bad", Role="r", Command={"Name": "nope", "ScriptLocation": "x"}),
                 lambda: glue.get_job_run(JobName="missing", RunId="jr_" + "1" * 64),
                 lambda: glue.get_tags(ResourceArn="arn:aws:glue:us-east-1:1:crawler/c")):
        with pytest.raises(ClientError) as raised:
            call()
        codes.append(raised.value.response["Error"]["Code"])
    assert codes == ["EntityNotFoundException", "AlreadyExistsException", "InvalidInputException",
                     "EntityNotFoundException", "InvalidInputException"]
    glue.delete_connection(ConnectionName="src")
    with pytest.raises(ClientError) as gone:
        glue.delete_connection(ConnectionName="src")
    assert gone.value.response["Error"]["Code"] == "EntityNotFoundException"
    with pytest.raises(ClientError) as unknown:
        glue.get_crawlers()
    assert unknown.value.response["Error"]["Code"] == "UnknownOperationException"
    # a body of the wrong shape (boto3 would not send it) is an answer, not a dropped connection
    request = urllib.request.Request(glue.meta.endpoint_url, data=b'{"MaxResults": "many"}', method="POST",
                                     headers={"X-Amz-Target": "AWSGlue.ListJobs"})
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(request, timeout=10)
    assert bad.value.code == 400 and json.loads(bad.value.read())["__type"] == "InvalidInputException"


def test_workers_and_max_capacity_as_aws_takes_them(glue: Any, bucket: str) -> None:
    """AWS derives a worker job's MaxCapacity and answers with it, and refuses a CreateJob or
    UpdateJob that sets both (a client copying GetJob into UpdateJob must drop it)."""
    name = f"w-{uuid.uuid4().hex[:8]}"
    spark = {"Name": name, "Role": "arn:aws:iam::123456789012:role/glue", "GlueVersion": "5.0",
             "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/spark_count.py"},
             "WorkerType": "G.2X", "NumberOfWorkers": 3}
    with pytest.raises(ClientError) as both:
        glue.create_job(**spark, MaxCapacity=6.0)
    assert both.value.response["Error"]["Code"] == "InvalidInputException"
    assert "Max Capacity" in both.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as half:
        glue.create_job(**{k: v for k, v in spark.items() if k != "NumberOfWorkers"})
    assert half.value.response["Error"]["Code"] == "InvalidInputException"
    glue.create_job(**spark)
    got = glue.get_job(JobName=name)["Job"]
    assert (got["WorkerType"], got["NumberOfWorkers"], got["MaxCapacity"]) == ("G.2X", 3, 6.0)   # 2 DPUs × 3
    copied = {k: v for k, v in got.items() if k in {"Role", "Command", "GlueVersion", "WorkerType", "NumberOfWorkers",
                                                    "MaxCapacity"}}
    with pytest.raises(ClientError) as update:
        glue.update_job(JobName=name, JobUpdate=copied)
    assert update.value.response["Error"]["Code"] == "InvalidInputException"
    glue.update_job(JobName=name, JobUpdate={k: v for k, v in copied.items() if k != "MaxCapacity"})
    glue.delete_job(JobName=name)
