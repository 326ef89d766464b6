"""`migrator sandbox up|down|status` with real processes: idempotent, exact teardown, clear errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pymysql
import pytest

from migrator.errors import MigratorError
from migrator.sandbox import glue_prerequisites, lifecycle, mariadb, processes


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True,
                          env=env or dict(os.environ), cwd=cwd, timeout=120)


def _alive(process: processes.ProcessIdentity | None) -> bool:
    return processes.is_ours(process)


def test_up_is_idempotent_down_is_exact_and_data_survives(tmp_path: Path) -> None:
    root = tmp_path / "sb"
    began = time.monotonic()
    first = _cli("sandbox", "up", "--dir", str(root), "--json")
    cold = time.monotonic() - began
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    record = lifecycle.load_record(root)
    assert record is not None and record.mysql_pid and record.moto_pid
    assert cold < 15  # measured ~1.3 s here; the bound only catches a hang
    assert (root / "sandbox.json").stat().st_mode & 0o777 == 0o600
    assert (root / "mcp.json").stat().st_mode & 0o777 == 0o600
    cfg = json.loads((root / "mcp.json").read_text())
    assert set(cfg["mcpServers"]) == {"migrator-mysql", "migrator-dynamodb", "migrator-glue", "migrator-s3"}
    assert {c["name"] for c in doc["components"]} == {"mariadb", "moto", "glue", "glue-api"}
    glue = boto3.client("glue", endpoint_url=record.glue_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    assert glue.list_jobs()["JobNames"] == []   # the local runtime, behind Glue's API

    # The services really answer, with the generated credentials, in UTC.
    conn = pymysql.connect(host="127.0.0.1", port=record.mysql_port, user=record.mysql_user,
                           password=record.mysql_password, database=record.mysql_database)
    with conn.cursor() as cur:
        cur.execute("SELECT @@time_zone, @@bind_address")
        assert cur.fetchone() == ("+00:00", "127.0.0.1")
        cur.execute("CREATE TABLE keep (i INT)")
        cur.execute("INSERT INTO keep VALUES (42)")
    conn.commit()
    conn.close()
    s3 = boto3.client("s3", endpoint_url=record.endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="sandbox-probe")

    again = _cli("sandbox", "up", "--dir", str(root))
    assert again.returncode == 0
    same = lifecycle.load_record(root)
    assert same is not None and (same.mysql_pid, same.moto_pid) == (record.mysql_pid, record.moto_pid)
    assert same.glue_api_process == record.glue_api_process
    assert "sandbox-probe" in [b["Name"] for b in s3.list_buckets()["Buckets"]]  # moto was not restarted

    status = _cli("sandbox", "status", "--dir", str(root))
    assert status.returncode == 0 and status.stdout.count("healthy") == 4, status.stdout

    down = _cli("sandbox", "down", "--dir", str(root))
    assert down.returncode == 0 and "mariadb" in down.stdout and "moto" in down.stdout and "glue api" in down.stdout
    deadline = time.monotonic() + 10
    while (_alive(record.mysql()) or _alive(record.moto())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(record.mysql()) and not _alive(record.moto())
    assert not processes.port_open(record.mysql_port) and not processes.port_open(record.moto_port)
    assert not processes.port_open(record.glue_api_port or 0)
    assert _cli("sandbox", "status", "--dir", str(root)).returncode == 1
    assert "nothing was running" in _cli("sandbox", "down", "--dir", str(root)).stdout

    # Up again: same datadir, the data is still there.
    assert _cli("sandbox", "up", "--dir", str(root)).returncode == 0
    back = lifecycle.load_record(root)
    assert back is not None
    try:
        conn = pymysql.connect(host="127.0.0.1", port=back.mysql_port, user=back.mysql_user,
                               password=back.mysql_password, database=back.mysql_database)
        with conn.cursor() as cur:
            cur.execute("SELECT i FROM keep")
            assert cur.fetchall() == ((42,),)
        conn.close()
    finally:
        lifecycle.down(root)


def test_down_leaves_unrelated_processes_alone(tmp_path: Path) -> None:
    """A recorded PID that now belongs to another program is not ours and is not killed."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        root = tmp_path / "sb"
        root.mkdir()
        record = lifecycle.SandboxRecord(root=str(root), mysql_port=1, mysql_user="u", mysql_password="p",
                                         mysql_database="d", moto_port=2, mysql_pid=other.pid, moto_pid=other.pid)
        lifecycle.save_record(record)
        assert lifecycle.down(root) == []
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_missing_mariadb_is_one_line_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mariadb.shutil, "which", lambda *a, **k: None)
    with pytest.raises(MigratorError) as info:
        mariadb.binaries()
    assert str(info.value) == ("MariaDB is not installed (mariadbd not found): install the Debian package "
                               "mariadb-server (apt-get install -y mariadb-server).")


def test_missing_java_is_one_line_naming_the_package(tmp_path: Path) -> None:
    # MariaDB is on PATH, java is not: the CLI says what to install, no traceback.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    server, install = mariadb.binaries()
    for tool in (server, install):
        (bin_dir / Path(tool).name).symlink_to(tool)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{bin_dir}"}
    out = _cli("sandbox", "up", "--dir", str(tmp_path / "sb"), env=env)
    assert out.returncode == 1
    assert out.stderr.strip() == ("Error: Java is not installed (needed by the local Glue runtime for Spark jobs): "
                                  "install the Debian package default-jre-headless.")
    assert not (tmp_path / "sb").exists()  # nothing was started


def test_prerequisite_messages() -> None:
    with pytest.raises(MigratorError, match="libmariadb-java"):
        glue_prerequisites.require(glue_prerequisites.GlueRuntimeInfo(java="17", pyspark="3.5", jdbc_jar=None))
    with pytest.raises(MigratorError, match=re.escape("pip install 'pyspark==3.5")):
        glue_prerequisites.require(glue_prerequisites.GlueRuntimeInfo(java="17", pyspark=None, jdbc_jar="x.jar"))


def test_corrupt_record_is_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "sandbox.json").write_text("{oops")
    out = _cli("sandbox", "status", "--dir", str(tmp_path))
    assert out.returncode == 1 and "is not a sandbox record" in out.stderr and "Traceback" not in out.stderr


def test_installing_a_datadir_leaves_other_servers_temporary_tables_alone(tmp_path: Path) -> None:
    """MariaDB deletes every `#sql*` file in its tmpdir when it starts, the bootstrap of
    mariadb-install-db included. With the shared tmpdir that removed the temporary tables of
    any other MariaDB running on the machine (seen: a segfault in CI; "Error on delete of
    '/tmp/#sql-temptable-…'" when two sandboxes were made at once)."""
    shared = Path(os.environ.get("TMPDIR") or "/tmp")
    sentinel = shared / f"#sql-temptable-{os.getpid():x}-{time.monotonic_ns():x}-1.MAI"
    sentinel.write_bytes(b"another server's temporary table")
    try:
        spec = mariadb.MariaDBSpec(tmp_path / "mariadb", port=0, user="u", password="p", database="d")
        mariadb.initialise(spec)
        assert sentinel.exists(), "mariadb-install-db cleaned the shared tmpdir"
    finally:
        sentinel.unlink(missing_ok=True)
    assert (spec.datadir / "mysql").is_dir()
    assert sorted(p.name for p in spec.root.iterdir()) == ["data", "tmp"]  # no half-made datadir beside it


def test_env_exports_what_a_shell_and_an_mcp_json_need(sandbox: lifecycle.SandboxRecord, tmp_path: Path) -> None:
    """`eval "$(migrator sandbox env)"` in a real shell gives the record's values, quoting and all."""
    shown = _cli("sandbox", "env", "--dir", sandbox.root)
    assert shown.returncode == 0, shown.stderr
    names = ("MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE", "AWS_ENDPOINT_URL",
             "AWS_ENDPOINT_URL_GLUE", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    script = shown.stdout + "".join(f'printf "%s\\n" "${name}"\n' for name in names)
    values = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"PATH": os.environ["PATH"]},
                            timeout=30).stdout.splitlines()
    assert dict(zip(names, values)) == {
        "MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": str(sandbox.mysql_port), "MYSQL_USER": sandbox.mysql_user,
        "MYSQL_PASSWORD": sandbox.mysql_password, "MYSQL_DATABASE": sandbox.mysql_database,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{sandbox.moto_port}",
        "AWS_ENDPOINT_URL_GLUE": f"http://127.0.0.1:{sandbox.glue_api_port}", "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    missing = _cli("sandbox", "env", "--dir", str(tmp_path / "none"))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip() == f"Error: no sandbox in {tmp_path / 'none'}; run `migrator sandbox up` first"
