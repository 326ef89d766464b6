"""The built-in Glue MCP server over real stdio, with the local runtime really running jobs.

Scripts live in tests/fixtures/glue_scripts and are uploaded to the sandbox's moto S3;
runs are real processes. The last tests drive the aws backend against moto.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest

from migrator.errors import ConfigError
from migrator.protocol import ErrorCode
from migrator.sandbox.lifecycle import SandboxRecord
from migrator.servers import glue_local
from migrator.servers.glue import classify, make_backend
from conftest import StdioServer, builtin_server

SCRIPTS = Path(__file__).parent / "fixtures" / "glue_scripts"
TERMINAL = {"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR"}
TOOLS = {"create_job", "update_job", "get_job", "delete_job", "list_jobs", "start_job_run", "get_job_run",
         "list_job_runs", "stop_job_run", "get_job_run_logs", "create_connection", "get_connection",
         "delete_connection", "list_connections"}
T = TypeVar("T")


# ----------------------------------------------------------------------------- helpers


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 20.0, interval: float = 0.05) -> T:
    """Poll until `probe` returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def ok(doc: dict[str, Any]) -> Any:
    assert doc["ok"], doc
    return doc["result"]


def code_of(doc: dict[str, Any]) -> str:
    assert not doc["ok"], doc
    return doc["error"]["code"]


def run_state(glue: StdioServer, job: str, run_id: str) -> dict[str, Any]:
    return ok(glue.call("get_job_run", job_name=job, run_id=run_id))


def wait_state(glue: StdioServer, job: str, run_id: str, states: set[str], timeout: float = 20.0) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        run = run_state(glue, job, run_id)
        return run if run["JobRunState"] in states else None
    return wait_for(probe, f"run {run_id} of {job} to reach {sorted(states)}", timeout)


def processes_of(run_id: str) -> list[int]:
    """PIDs whose command line or environment mention the run id (supervisor, script, JVM)."""
    needle = run_id.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            if needle in (entry / "cmdline").read_bytes() or needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def new_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def s3(sandbox: SandboxRecord) -> Any:
    return boto3.client("s3", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def bucket(s3: Any) -> str:
    name = new_name("glue-scripts")
    s3.create_bucket(Bucket=name)
    for script in SCRIPTS.glob("*.py"):
        s3.upload_file(str(script), name, f"scripts/{script.name}")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped_helper.py", "VALUE = 'from the zip'\n")
    s3.put_object(Bucket=name, Key="libs/zipped.zip", Body=archive.getvalue())
    s3.put_object(Bucket=name, Key="files/settings.txt", Body=b"extra file content\n")
    return name


@pytest.fixture(scope="module")
def glue_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("glue-local") / "glue"
    yield folder
    glue_local.stop_all_runs(folder)


@pytest.fixture(scope="module")
def glue(sandbox: SandboxRecord, glue_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioServer]:
    env = {**sandbox.aws_env(), "GLUE_BACKEND": "local", "MIGRATOR_GLUE_LOCAL_DIR": str(glue_dir)}
    with builtin_server("glue", env, tmp_path_factory.mktemp("logs") / "glue-server.log") as server:
        yield server


def make_job(glue: StdioServer, bucket: str, script: str, **extra: Any) -> str:
    name = new_name(Path(script).stem.replace("_", "-"))
    job = {"Name": name, "Role": "arn:aws:iam::123456789012:role/glue",
           "Command": {"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/{script}",
                       "PythonVersion": "3.9"}, **extra}
    assert ok(glue.call("create_job", job=job)) == {"name": name}
    return name


def start(glue: StdioServer, job: str, **arguments: str) -> str:
    return ok(glue.call("start_job_run", job_name=job, arguments=arguments or None))["run_id"]


# ----------------------------------------------------------------------------- jobs


def test_lists_every_tool(glue: StdioServer) -> None:
    assert glue.tool_names() == TOOLS


def test_job_create_get_update_list_delete(glue: StdioServer, bucket: str) -> None:
    name = make_job(glue, bucket, "sleep.py", Description="first", DefaultArguments={"--a": "1"},
                    Tags={"ManagedBy": "migrator"})
    job = ok(glue.call("get_job", name=name))
    assert job["Name"] == name and job["Description"] == "first"
    assert job["Command"]["Name"] == "pythonshell" and job["DefaultArguments"] == {"--a": "1"}
    assert job["Timeout"] == 2880 and job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert "CreatedOn" in job and "Tags" not in job

    again = glue.call("create_job", job={"Name": name, "Role": "r", "Command": job["Command"]})
    assert code_of(again) == "already_exists"

    update = {"Role": "r2", "Command": job["Command"], "DefaultArguments": {"--b": "2"}, "Timeout": 5}
    assert ok(glue.call("update_job", name=name, job_update=update)) == {"name": name}
    updated = ok(glue.call("get_job", name=name))
    assert updated["Role"] == "r2" and updated["DefaultArguments"] == {"--b": "2"} and updated["Timeout"] == 5
    assert "Description" not in updated, "UpdateJob replaces the whole definition"
    assert updated["CreatedOn"] == job["CreatedOn"]
    assert code_of(glue.call("update_job", name=new_name("nope"), job_update=update)) == "not_found"

    other = make_job(glue, bucket, "sleep.py")
    names: list[str] = []
    token = None
    while True:
        page = ok(glue.call("list_jobs", next_token=token, max_results=1))
        assert len(page["job_names"]) <= 1
        names += page["job_names"]
        token = page["next_token"]
        if not token:
            break
    assert {name, other} <= set(names) and names == sorted(names)

    assert ok(glue.call("delete_job", name=name)) == {"deleted": True}
    assert ok(glue.call("delete_job", name=name)) == {"deleted": False}
    assert code_of(glue.call("get_job", name=name)) == "not_found"
    assert code_of(glue.call("start_job_run", job_name=name)) == "not_found"
    ok(glue.call("delete_job", name=other))


def test_bad_job_definitions_are_invalid(glue: StdioServer, bucket: str) -> None:
    base = {"Name": new_name("bad"), "Role": "r", "Command": {"Name": "pythonshell",
                                                              "ScriptLocation": f"s3://{bucket}/x.py"}}
    cases = [
        {**base, "Command": {"Name": "gluestreaming", "ScriptLocation": f"s3://{bucket}/x.py"}},
        {**base, "Command": {"Name": "pythonshell", "ScriptLocation": "/local/x.py"}},
        {**base, "DefaultArguments": {"--n": 1}},
        {**base, "Timeout": 0},
        {**base, "NoSuchField": True},
        {**base, "Name": "../escape"},
    ]
    for job in cases:
        assert code_of(glue.call("create_job", job=job)) == "invalid", job


# ----------------------------------------------------------------------------- runs


def test_pythonshell_run_succeeds_with_glue_arguments_and_extra_files(glue: StdioServer, bucket: str, s3: Any,
                                                                       glue_dir: Path) -> None:
    job = make_job(glue, bucket, "report_args.py", DefaultArguments={
        "--source": "default", "--kept": "from-job", "--out_bucket": bucket,
        "--extra-py-files": f"s3://{bucket}/scripts/glue_helper.py,s3://{bucket}/libs/zipped.zip",
        "--extra-files": f"s3://{bucket}/files/settings.txt"})
    out_key = f"out/{job}.json"
    started = time.monotonic()
    run_id = start(glue, job, **{"--source": "from-run", "--out_key": out_key})
    assert run_id.startswith("jr_") and len(run_id) == 67

    running = wait_state(glue, job, run_id, {"RUNNING"} | TERMINAL)
    latency_running = time.monotonic() - started
    run = wait_state(glue, job, run_id, TERMINAL)
    latency_done = time.monotonic() - started
    print(f"\nstart_job_run -> {running['JobRunState']} {latency_running:.2f} s, -> "
          f"{run['JobRunState']} {latency_done:.2f} s")
    assert run["JobRunState"] == "SUCCEEDED", run
    assert run["Id"] == run_id and run["JobName"] == job and run["Attempt"] == 0
    assert run["Arguments"] == {"--source": "from-run", "--out_key": out_key}
    assert run["Timeout"] == 2880 and isinstance(run["ExecutionTime"], int) and run["CompletedOn"]
    assert "ErrorMessage" not in run

    summary = json.loads(s3.get_object(Bucket=bucket, Key=out_key)["Body"].read())
    assert summary["argv"][:4] == ["--JOB_NAME", job, "--JOB_RUN_ID", run_id]
    assert summary["args"]["--source"] == "from-run", "run arguments win over DefaultArguments"
    assert summary["args"]["--kept"] == "from-job"
    assert summary["helper"] == "hello glue" and summary["zipped"] == "from the zip"
    assert summary["extra_file"] == "extra file content"
    assert summary["env_run_id"] == run_id and summary["env_local_dir"] == str(glue_dir.resolve())

    logs = ok(glue.call("get_job_run_logs", job_name=job, run_id=run_id))
    assert json.loads(logs["stdout"].splitlines()[-1]) == summary
    assert "report_args: a line on stderr" in logs["stderr"]
    assert ok(glue.call("get_job_run_logs", job_name=job, run_id=run_id, tail_lines=0)) == {"stdout": "",
                                                                                         "stderr": ""}
    runs = ok(glue.call("list_job_runs", job_name=job))
    assert [r["Id"] for r in runs["job_runs"]] == [run_id] and runs["next_token"] is None
    assert code_of(glue.call("get_job_run", job_name=job, run_id="jr_" + "0" * 64)) == "not_found"


def test_failed_run_reports_the_exception(glue: StdioServer, bucket: str) -> None:
    job = make_job(glue, bucket, "fail.py")
    run_id = start(glue, job)
    run = wait_state(glue, job, run_id, TERMINAL)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: bad row 42"
    logs = ok(glue.call("get_job_run_logs", job_name=job, run_id=run_id))
    assert logs["stdout"] == "about to fail" and "Traceback (most recent call last)" in logs["stderr"]


def test_missing_script_fails_with_a_clear_message(glue: StdioServer, bucket: str) -> None:
    job = make_job(glue, bucket, "does_not_exist.py")
    run_id = start(glue, job)
    run = wait_state(glue, job, run_id, TERMINAL)
    assert run["JobRunState"] == "FAILED"
    assert f"s3://{bucket}/scripts/does_not_exist.py" in run["ErrorMessage"]
    assert "cannot fetch the job script" in run["ErrorMessage"]


def test_timeout_kills_the_script(glue: StdioServer, bucket: str) -> None:
    job = make_job(glue, bucket, "sleep.py")
    run_id = start(glue, job, **{"--migrator-timeout-seconds": "1.5"})
    run = wait_state(glue, job, run_id, TERMINAL)
    assert run["JobRunState"] == "TIMEOUT", run
    assert "timeout of 1.5 seconds" in run["ErrorMessage"]
    assert wait_for(lambda: not processes_of(run_id), "the run's processes to end", timeout=60) is True
    logs = ok(glue.call("get_job_run_logs", job_name=job, run_id=run_id))
    assert "started" in logs["stdout"] and "woke up" not in logs["stdout"]


def test_stop_and_max_concurrent_runs(glue: StdioServer, bucket: str) -> None:
    job = make_job(glue, bucket, "sleep.py")  # MaxConcurrentRuns defaults to 1
    first = start(glue, job)
    wait_state(glue, job, first, {"RUNNING"})
    second = glue.call("start_job_run", job_name=job)
    assert code_of(second) == "limit_exceeded" and "MaxConcurrentRuns is 1" in second["error"]["message"]

    assert ok(glue.call("stop_job_run", job_name=job, run_id=first))["state"] in {"STOPPING", "STOPPED"}
    run = wait_state(glue, job, first, TERMINAL)
    assert run["JobRunState"] == "STOPPED"
    assert ok(glue.call("stop_job_run", job_name=job, run_id=first)) == {"state": "STOPPED"}
    assert wait_for(lambda: not processes_of(first), "the stopped run's processes to end", timeout=60) is True

    third = start(glue, job)  # the slot is free again
    assert ok(glue.call("stop_job_run", job_name=job, run_id=third))["state"] in {"STOPPING", "STOPPED"}
    assert wait_state(glue, job, third, TERMINAL)["JobRunState"] == "STOPPED"


def test_killed_supervisor_is_error(glue: StdioServer, bucket: str, glue_dir: Path) -> None:
    job = make_job(glue, bucket, "sleep.py")
    run_id = start(glue, job)
    wait_state(glue, job, run_id, {"RUNNING"})
    record = json.loads((glue_dir / "runs" / job / run_id / "run.json").read_text())
    os.kill(record["supervisor_pid"], signal.SIGKILL)
    run = wait_state(glue, job, run_id, TERMINAL)
    assert run["JobRunState"] == "ERROR" and "supervisor" in run["ErrorMessage"]
    assert wait_for(lambda: not processes_of(run_id), "the orphaned script to be killed", timeout=60) is True


def test_runs_outlive_the_server_and_stop_all_runs_leaves_nothing(sandbox: SandboxRecord, bucket: str,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "glue"
    env = {**sandbox.aws_env(), "GLUE_BACKEND": "local", "MIGRATOR_GLUE_LOCAL_DIR": str(folder)}
    with builtin_server("glue", env, tmp_path / "server.log") as server:
        jobs = [make_job(server, bucket, "sleep.py") for _ in range(2)]
        runs = {job: start(server, job) for job in jobs}
        for job, run_id in runs.items():
            wait_state(server, job, run_id, {"RUNNING"})
    expected = sorted(f"{job}/{run_id}" for job, run_id in runs.items())
    assert sorted(glue_local.active_runs(folder)) == expected, "runs outlive the MCP server"

    assert sorted(glue_local.stop_all_runs(folder)) == expected
    for run_id in runs.values():
        assert processes_of(run_id) == []
    assert glue_local.active_runs(folder) == []
    local = glue_local.LocalGlue(folder)
    assert {local.get_job_run(job, run_id)["JobRunState"] for job, run_id in runs.items()} == {"STOPPED"}
    assert glue_local.stop_all_runs(folder) == []


# ----------------------------------------------------------------------------- connections


def test_connection_password_is_never_returned(glue: StdioServer, glue_dir: Path) -> None:
    name = new_name("mysql")
    password = f"pw-{uuid.uuid4().hex}"
    connection = {"Name": name, "ConnectionType": "JDBC", "Description": "source",
                  "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:mysql://127.0.0.1:3306/shop",
                                           "USERNAME": "migrator", "PASSWORD": password}}
    assert ok(glue.call("create_connection", connection=connection)) == {"name": name}
    assert code_of(glue.call("create_connection", connection=connection)) == "already_exists"

    raw = glue.raw("get_connection", name=name)
    assert password not in raw.content[0].text and password not in json.dumps(raw.structuredContent)
    got = json.loads(raw.content[0].text)["result"]
    assert got["Name"] == name and got["ConnectionType"] == "JDBC"
    assert got["ConnectionProperties"] == {"JDBC_CONNECTION_URL": "jdbc:mysql://127.0.0.1:3306/shop",
                                           "USERNAME": "migrator"}
    listed = glue.raw("list_connections")
    assert name in listed.content[0].text and password not in listed.content[0].text

    stored = glue_dir / "connections" / f"{name}.json"
    assert stored.stat().st_mode & 0o777 == 0o600 and password in stored.read_text()

    assert ok(glue.call("delete_connection", name=name)) == {"deleted": True}
    assert ok(glue.call("delete_connection", name=name)) == {"deleted": False}
    assert code_of(glue.call("get_connection", name=name)) == "not_found"


def test_local_backend_needs_its_folder() -> None:
    with pytest.raises(ConfigError, match="MIGRATOR_GLUE_LOCAL_DIR"):
        make_backend({"GLUE_BACKEND": "local"})
    with pytest.raises(ConfigError, match="not a Glue backend"):
        make_backend({"GLUE_BACKEND": "azure"})


def test_errors_map_to_codes() -> None:
    """moto finishes its runs at once and never conflicts, so these AWS answers are built by hand."""
    from botocore.exceptions import ClientError

    def aws(code: str, status: int = 400) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                           "StartJobRun")

    expected = {"ConcurrentRunsExceededException": "limit_exceeded", "ConcurrentModificationException": "conflict",
                "EntityNotFoundException": "not_found", "AlreadyExistsException": "already_exists",
                "InvalidInputException": "invalid", "AccessDeniedException": "access_denied",
                "InternalServiceException": "unavailable"}
    for aws_code, code in expected.items():
        failure = classify(aws(aws_code))
        assert failure is not None and failure.code.value == code, aws_code
    local = classify(glue_local.LocalGlueError(ErrorCode.LIMIT_EXCEEDED, "busy"))
    assert local is not None and local.code is ErrorCode.LIMIT_EXCEEDED and local.message == "busy"


# ----------------------------------------------------------------------------- glueetl


@pytest.mark.spark
def test_glueetl_runs_on_local_pyspark(glue: StdioServer, bucket: str, s3: Any) -> None:
    job = make_job(glue, bucket, "spark_count.py", GlueVersion="5.0", WorkerType="G.1X", NumberOfWorkers=2,
                   DefaultArguments={"--out_bucket": bucket})
    update = {**ok(glue.call("get_job", name=job))}
    update["Command"] = {"Name": "glueetl", "ScriptLocation": update["Command"]["ScriptLocation"]}
    assert update["MaxCapacity"] == 2.0     # derived from the workers, as AWS answers; UpdateJob refuses both
    for key in ("Name", "CreatedOn", "LastModifiedOn", "MaxCapacity"):
        update.pop(key)
    ok(glue.call("update_job", name=job, job_update=update))
    out_key = f"out/{job}.txt"
    run_id = start(glue, job, **{"--out_key": out_key})
    run = wait_state(glue, job, run_id, TERMINAL, timeout=120)
    logs = ok(glue.call("get_job_run_logs", job_name=job, run_id=run_id, tail_lines=30))
    assert run["JobRunState"] == "SUCCEEDED", (run, logs["stderr"])
    assert run["GlueVersion"] == "5.0" and run["WorkerType"] == "G.1X"
    assert s3.get_object(Bucket=bucket, Key=out_key)["Body"].read() == b"10"
    assert "count=10" in logs["stdout"]
    assert wait_for(lambda: not processes_of(run_id), "Spark to exit", timeout=60) is True


# ----------------------------------------------------------------------------- aws backend (moto)


def test_aws_backend_against_moto(sandbox: SandboxRecord, bucket: str, tmp_path: Path) -> None:
    env = {**sandbox.aws_env(), "GLUE_BACKEND": "aws"}
    name = new_name("aws-job")
    job = {"Name": name, "Role": "arn:aws:iam::123456789012:role/glue", "GlueVersion": "5.0",
           "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/spark_count.py"},
           "DefaultArguments": {"--out_bucket": bucket}, "ExecutionProperty": {"MaxConcurrentRuns": 1}}
    with builtin_server("glue", env, tmp_path / "server.log") as glue:
        assert glue.tool_names() == TOOLS
        assert ok(glue.call("create_job", job=job)) == {"name": name}
        assert code_of(glue.call("create_job", job=job)) == "already_exists"
        got = ok(glue.call("get_job", name=name))
        assert got["Name"] == name and got["Command"]["Name"] == "glueetl"
        assert name in ok(glue.call("list_jobs"))["job_names"]
        assert code_of(glue.call("get_job", name=new_name("missing"))) == "not_found"
        assert code_of(glue.call("create_job", job={"Name": new_name("x")})) == "invalid"  # boto param validation

        run_id = ok(glue.call("start_job_run", job_name=name, arguments={"--out_key": "k"}))["run_id"]
        run = ok(glue.call("get_job_run", job_name=name, run_id=run_id))
        assert run["Id"] == run_id and run["JobName"] == name and run["JobRunState"] in TERMINAL | {"STARTING",
                                                                                                     "RUNNING"}
        assert run_id in [r["Id"] for r in ok(glue.call("list_job_runs", job_name=name))["job_runs"]]
        logs = ok(glue.call("get_job_run_logs", job_name=name, run_id=run_id))
        assert logs == {"stdout": "", "stderr": ""}

        conn = {"Name": new_name("conn"), "ConnectionType": "JDBC",
                "ConnectionProperties": {"USERNAME": "u", "PASSWORD": "aws-secret-pw"}}
        assert ok(glue.call("create_connection", connection=conn)) == {"name": conn["Name"]}
        raw = glue.raw("get_connection", name=conn["Name"])
        assert "aws-secret-pw" not in raw.content[0].text and not raw.isError
        assert "aws-secret-pw" not in glue.raw("list_connections").content[0].text

        assert ok(glue.call("delete_job", name=name)) == {"deleted": True}
        assert ok(glue.call("delete_job", name=name)) == {"deleted": False}
