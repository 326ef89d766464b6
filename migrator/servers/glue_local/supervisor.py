"""The supervisor of one local Glue job run: a detached process that fetches the script
from S3, runs it with Glue's argv convention, enforces the timeout and records the end.

    python -m migrator.servers.glue_local.supervisor RUN_DIR
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.servers.glue_local.processes import kill_run_processes
from migrator.servers.glue_local.runs import (TIMEOUT_OVERRIDE, FetchError, Run, RunDir, merge_arguments, now,
                                              read_json, split_s3, tail)

JDBC_JAR = Path("/usr/share/java/mariadb-java-client.jar")

STOP_GRACE_SECONDS = 5.0

_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b(:.*)?$")


def _s3_client() -> Any:
    """boto3 S3 client honouring AWS_ENDPOINT_URL (kept here: the supervisor must start fast)."""
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client(
        "s3", region_name=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60))


def _download(s3: Any, uri: str, dest_dir: Path, what: str) -> Path:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    dest = dest_dir / Path(key).name
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        s3.download_file(bucket, key, str(dest))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise FetchError(f"cannot fetch the {what} {uri}: {err.get('Code', '')} {err.get('Message', '')}".rstrip()) \
            from exc
    except (BotoCoreError, OSError) as exc:
        raise FetchError(f"cannot fetch the {what} {uri}: {exc}") from exc
    return dest


def error_line(stderr_text: str) -> str | None:
    """The line that says what went wrong: the last exception line, else the last non-empty line."""
    lines = [line.strip() for line in stderr_text.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else None


class StopRequested(Exception):
    """Raised inside the supervisor when SIGTERM arrives while it is not waiting on the script."""


@dataclass
class Prepared:
    """A run ready to execute: its argv, environment and working directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


@dataclass
class Supervisor:
    """Runs one job run to a terminal state; SIGTERM means stop."""

    run_dir: RunDir
    stop_requested: bool = False
    interruptible: bool = False
    child: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        if self.interruptible:
            raise StopRequested()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            self._run()
        except BaseException as exc:
            self._kill_child()
            with self.run_dir.update() as run:
                run.finish("ERROR", f"the local Glue supervisor failed: {type(exc).__name__}: {exc}")
            raise
        return 0

    def _run(self) -> None:
        job = read_json(self.run_dir.file("job.json"))
        run = self.run_dir.load()
        try:
            prepared = self._prepare_interruptibly(job, run)
        except StopRequested:
            self._finish("STOPPED")
            return
        except FetchError as exc:
            self._append_stderr(str(exc))
            self._finish("FAILED", str(exc))
            return
        if not self._mark_running():
            self._finish("STOPPED")
            return
        state, message = self._execute(prepared, run.timeout_seconds)
        self._finish(state, message)

    def _prepare_interruptibly(self, job: dict[str, Any], run: Run) -> Prepared:
        """Fetching may block on S3: a SIGTERM meanwhile aborts it at once."""
        self.interruptible = True
        try:
            if self.stop_requested:
                raise StopRequested()
            return self._prepare(job, run)
        finally:
            self.interruptible = False

    def _prepare(self, job: dict[str, Any], run: Run) -> Prepared:
        """Fetch the script and extra files; build Glue's argv and the script's environment."""
        s3 = _s3_client()
        merged = merge_arguments(job, run.arguments)
        script = _download(s3, job["Command"]["ScriptLocation"], self.run_dir.file("script"), "job script")
        py_dir, work = self.run_dir.file("py"), self.run_dir.file("work")
        py_dir.mkdir(exist_ok=True)
        work.mkdir(exist_ok=True)
        python_path = [str(py_dir)]
        for uri in _csv(merged.get("--extra-py-files")):
            fetched = _download(s3, uri, py_dir, "extra Python file")
            if fetched.suffix in {".zip", ".egg", ".whl"}:
                python_path.append(str(fetched))
            elif fetched.suffix != ".py":
                raise FetchError(f"--extra-py-files entry {uri} is neither a .py nor a .zip file")
        for uri in _csv(merged.get("--extra-files")):
            _download(s3, uri, work, "extra file")
        argv = [sys.executable, str(script), "--JOB_NAME", run.job_name, "--JOB_RUN_ID", run.id]
        for key, value in merged.items():
            if key != TIMEOUT_OVERRIDE:
                argv += [key, value]
        return Prepared(argv=argv, env=self._env(run, python_path), cwd=work)

    def _env(self, run: Run, python_path: list[str]) -> dict[str, str]:
        env = dict(os.environ)
        existing = env.get("PYTHONPATH")
        env.update({"PYTHONPATH": os.pathsep.join(python_path + ([existing] if existing else [])),
                    "PYTHONUNBUFFERED": "1", "GLUE_RUN_ID": run.id, "GLUE_JOB_NAME": run.job_name,
                    "MIGRATOR_GLUE_LOCAL_DIR": str(self.run_dir.path.parents[2])})
        if run.command_name == "glueetl":
            jars = f"--jars {JDBC_JAR} " if JDBC_JAR.exists() else ""
            env.update({
                "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
                "PYSPARK_SUBMIT_ARGS": f"{jars}--conf spark.driver.host=127.0.0.1 "
                                       "--conf spark.driver.bindAddress=127.0.0.1 --conf spark.ui.enabled=false "
                                       "pyspark-shell"})
        return env

    def _mark_running(self) -> bool:
        """RUNNING, unless a stop was asked for meanwhile (then False)."""
        with self.run_dir.update() as run:
            if run.state != "STARTING" or self.stop_requested:
                self.stop_requested = True
                return False
            run.state = "RUNNING"
            run.running_since = time.time()
            run.last_modified_on = now()
            return True

    def _execute(self, prepared: Prepared, timeout_seconds: float) -> tuple[str, str | None]:
        deadline = time.monotonic() + timeout_seconds
        with open(self.run_dir.file("stdout.log"), "ab") as out, open(self.run_dir.file("stderr.log"), "ab") as err:
            self.child = subprocess.Popen(prepared.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          env=prepared.env, cwd=prepared.cwd, start_new_session=True)
        with self.run_dir.update() as run:
            run.child_pid = self.child.pid
        while True:
            try:
                code = self.child.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            if self.stop_requested:
                self._kill_child()
                return "STOPPED", None
            if time.monotonic() >= deadline:
                self._kill_child()
                return "TIMEOUT", f"the job run exceeded its timeout of {_duration(timeout_seconds)} and was stopped"
        kill_run_processes(self.run_dir.run_id)  # leftovers such as a Spark JVM
        if self.stop_requested:
            return "STOPPED", None
        if code == 0:
            return "SUCCEEDED", None
        line = error_line(tail(self.run_dir.file("stderr.log"), 400))
        status = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return "FAILED", line or f"the script ended with {status}"

    def _kill_child(self) -> None:
        """SIGTERM the script's process group, then SIGKILL it and any leftover of the run."""
        child = self.child
        if child is not None and child.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        kill_run_processes(self.run_dir.run_id)

    def _finish(self, state: str, message: str | None = None) -> None:
        with self.run_dir.update() as run:
            run.finish(state, message)

    def _append_stderr(self, text: str) -> None:
        with open(self.run_dir.file("stderr.log"), "a") as fh:
            fh.write(text + "\n")


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def supervise(run_dir: Path) -> int:
    return Supervisor(RunDir(Path(run_dir).resolve())).run()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m migrator.servers.glue_local.supervisor RUN_DIR", file=sys.stderr)
        return 2
    return supervise(Path(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
