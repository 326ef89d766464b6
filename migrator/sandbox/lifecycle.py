"""`migrator sandbox up|down|status`: a private MariaDB, a moto server, the local Glue runtime.

Everything lives under one folder (default `.migrator/sandbox`): `sandbox.json` records
what runs where (PIDs, ports, the generated password; mode 0600), `mcp.json` wires the
four built-in MCP servers to it. `up` is idempotent: what already runs is kept.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from migrator.errors import ConfigError
from migrator.fileio import atomic_write
from migrator.mysql_schema import SYSTEM_DATABASES
from migrator.sandbox import glue_api, glue_prerequisites, mariadb, moto, processes

DEFAULT_DIR = Path(".migrator/sandbox")
DATABASE = "migrator"
USER = "migrator"
REGION = "us-east-1"


@dataclass
class SandboxRecord:
    root: str
    mysql_port: int
    mysql_user: str
    mysql_password: str
    mysql_database: str
    moto_port: int
    mysql_pid: int | None = None
    moto_pid: int | None = None
    started_at: dict[str, float] = field(default_factory=dict)
    mysql_process: dict[str, Any] | None = None  # ProcessIdentity documents: who the PIDs really are
    moto_process: dict[str, Any] | None = None
    glue_api_port: int | None = None             # the local Glue runtime's HTTP API (AWS_ENDPOINT_URL_GLUE)
    glue_api_process: dict[str, Any] | None = None
    #: the server's socket: root connects there without a password (`mariadb --socket=... -u root`)
    mysql_socket: str = ""

    def mysql(self) -> processes.ProcessIdentity | None:
        """The MariaDB process this record started (a record of an older version: adopted by its marker)."""
        recorded = processes.ProcessIdentity.from_doc(self.mysql_process)
        return recorded or processes.adopt(self.mysql_pid, self.mariadb.marker)

    def moto(self) -> processes.ProcessIdentity | None:
        recorded = processes.ProcessIdentity.from_doc(self.moto_process)
        return recorded or processes.adopt(self.moto_pid, moto.marker(self.moto_port))

    def glue_api(self) -> processes.ProcessIdentity | None:
        return processes.ProcessIdentity.from_doc(self.glue_api_process)

    @property
    def glue_endpoint(self) -> str:
        """Glue's API on the local runtime: give it to boto3 clients as AWS_ENDPOINT_URL_GLUE."""
        return f"http://127.0.0.1:{self.glue_api_port}"

    @property
    def mariadb(self) -> mariadb.MariaDBSpec:
        return mariadb.MariaDBSpec(root=Path(self.root) / "mariadb", port=self.mysql_port, user=self.mysql_user,
                                   password=self.mysql_password, database=self.mysql_database)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def glue_dir(self) -> Path:
        return Path(self.root) / "glue"

    @property
    def mcp_json(self) -> Path:
        return Path(self.root) / "mcp.json"

    def mysql_env(self) -> dict[str, str]:
        return {"MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": str(self.mysql_port), "MYSQL_USER": self.mysql_user,
                "MYSQL_PASSWORD": self.mysql_password, "MYSQL_DATABASE": self.mysql_database}

    def aws_env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    def shell_env(self) -> dict[str, str]:
        """What a shell (and an mcp.json's `${env:...}`) needs to reach the sandbox like real MySQL and AWS."""
        glue = {"AWS_ENDPOINT_URL_GLUE": self.glue_endpoint} if self.glue_api_port else {}
        return {**self.mysql_env(), **self.aws_env(), **glue}


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    healthy: bool
    pid: int | None
    where: str
    detail: str = ""


def _record_path(root: Path) -> Path:
    return root / "sandbox.json"


def load_record(root: Path) -> SandboxRecord | None:
    path = _record_path(root)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return SandboxRecord(**data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a sandbox record ({exc})",
                          hint="stop any sandbox processes by hand, delete that file and run `migrator sandbox up`") from exc


def save_record(record: SandboxRecord) -> None:
    """Atomic, and readable by the owner only (the record holds a password)."""
    atomic_write(_record_path(Path(record.root)), json.dumps(asdict(record), indent=2, sort_keys=True) + "\n",
                 mode=0o600)


def mcp_config(record: SandboxRecord) -> dict[str, Any]:
    """The standard `mcpServers` document for the four built-in servers, plus migrator's role map."""
    serve = [sys.executable, "-m", "migrator", "mcp", "serve"]
    glue_env = {**record.aws_env(), "GLUE_BACKEND": "local", "MIGRATOR_GLUE_LOCAL_DIR": str(record.glue_dir)}
    servers = {
        "migrator-mysql": {"command": serve[0], "args": [*serve[1:], "mysql"], "env": record.mysql_env()},
        "migrator-dynamodb": {"command": serve[0], "args": [*serve[1:], "dynamodb"], "env": record.aws_env()},
        "migrator-glue": {"command": serve[0], "args": [*serve[1:], "glue"], "env": glue_env},
        "migrator-s3": {"command": serve[0], "args": [*serve[1:], "s3"], "env": record.aws_env()},
    }
    roles = {role: {"server": f"migrator-{role}", "adapter": "builtin"} for role in ("mysql", "dynamodb", "glue", "s3")}
    return {"mcpServers": servers, "migrator": {"roles": roles}}


def up(root: Path = DEFAULT_DIR, database: str | None = None) -> SandboxRecord:
    """Start whatever is not running yet; return the record. Fast when all already runs. With
    `database`, that database (created if need be, granted to the sandbox user) becomes the one
    the sandbox's mcp.json reads."""
    if database is not None:
        check_database_name(database)
    root = root.resolve()
    mariadb.binaries()
    glue_prerequisites.require(glue_prerequisites.probe())
    root.mkdir(parents=True, exist_ok=True)
    record = load_record(root) or SandboxRecord(
        root=str(root), mysql_port=processes.free_port(), mysql_user=USER,
        mysql_password=secrets.token_urlsafe(18), mysql_database=DATABASE, moto_port=processes.free_port())
    record.root = str(root)
    record.mysql_database = database or record.mysql_database
    spec = record.mariadb

    mysql, moto_process = record.mysql(), record.moto()
    mysql_running, moto_running = processes.is_ours(mysql), processes.is_ours(moto_process)
    if not mysql_running:
        record.mysql_port = processes.free_port(record.mysql_port)
        spec = record.mariadb
        mariadb.initialise(spec)
        mysql = mariadb.start(spec)
        record.started_at["mysql"] = time.time()
    if not moto_running:
        record.moto_port = processes.free_port(record.moto_port)
        moto_process = moto.start(root, record.moto_port)
        record.started_at["moto"] = time.time()
    assert mysql is not None and moto_process is not None
    record.mysql_pid, record.mysql_process = mysql.pid, mysql.to_doc()
    record.moto_pid, record.moto_process = moto_process.pid, moto_process.to_doc()
    save_record(record)  # PIDs first: a failed start below must still be stoppable by `down`
    if not mysql_running:
        mariadb.wait_ready(spec, mysql)
        mariadb.bootstrap(spec)
    elif database is not None:      # idempotent: creates and grants what a failed earlier run may not have
        mariadb.bootstrap(spec)
    record.mysql_socket = str(spec.socket)
    if not moto_running:
        moto.wait_ready(root, record.moto_port, moto_process)
    record.glue_dir.mkdir(parents=True, exist_ok=True)
    api = record.glue_api()
    if not processes.is_ours(api):
        record.glue_api_port = processes.free_port(record.glue_api_port or 0)
        api = glue_api.start(root, record.glue_api_port, record.aws_env())
        record.glue_api_process = api.to_doc()
        record.started_at["glue_api"] = time.time()
        save_record(record)
        glue_api.wait_ready(root, record.glue_api_port, api)
    save_record(record)
    atomic_write(record.mcp_json, json.dumps(mcp_config(record), indent=2, sort_keys=True) + "\n", mode=0o600)
    return record




def check_database_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_$]{1,64}", name):
        raise ConfigError(f"{name!r} cannot be a sandbox database name",
                          hint="use letters, digits, '_' or '$' (at most 64)")
    if name.lower() in SYSTEM_DATABASES:
        raise ConfigError(f"{name!r} is one of MariaDB's own databases", hint="name a database of your own")


def down(root: Path = DEFAULT_DIR) -> list[str]:
    """Stop exactly the processes this sandbox started (by PID); keep the data. Returns what stopped."""
    root = root.resolve()
    record = load_record(root)
    if record is None:
        return []
    stopped: list[str] = []
    from migrator.servers.glue_local import stop_all_runs  # the runs are sandbox processes too

    stopped += [f"glue run {r}" for r in stop_all_runs(record.glue_dir)]
    if processes.stop(record.glue_api()):
        stopped.append(f"glue api (port {record.glue_api_port})")
    record.glue_api_process = None
    if processes.stop(record.moto()):
        stopped.append(f"moto (pid {record.moto_pid})")
    if processes.stop(record.mysql(), timeout=60):
        stopped.append(f"mariadb (pid {record.mysql_pid})")
    record.mysql_pid = record.moto_pid = None
    record.mysql_process = record.moto_process = None
    save_record(record)
    return stopped


def status(root: Path = DEFAULT_DIR) -> list[ComponentStatus]:
    root = root.resolve()
    record = load_record(root)
    if record is None:
        return []
    spec = record.mariadb
    my_run = processes.is_ours(record.mysql())
    moto_run = processes.is_ours(record.moto())
    api_run = processes.is_ours(record.glue_api())
    info = glue_prerequisites.probe()
    from migrator.servers.glue_local import active_runs

    active = active_runs(record.glue_dir)
    glue_detail = (f"pythonshell ok, glueetl {'ok' if info.glueetl else 'unavailable'}"
                   f" (pyspark {info.pyspark or 'missing'}), {len(active)} active run(s)")
    return [
        ComponentStatus("mariadb", my_run, my_run and mariadb.healthy(spec), record.mysql_pid if my_run else None,
                        f"127.0.0.1:{record.mysql_port} database {record.mysql_database} user {record.mysql_user}"),
        ComponentStatus("moto", moto_run, moto_run and moto.healthy(record.moto_port),
                        record.moto_pid if moto_run else None, record.endpoint),
        ComponentStatus("glue", True, info.glueetl or info.java is not None, None, str(record.glue_dir), glue_detail),
        ComponentStatus("glue-api", api_run, api_run and glue_api.healthy(record.glue_api_port or 0),
                        record.glue_api_process["pid"] if api_run and record.glue_api_process else None,
                        record.glue_endpoint if record.glue_api_port else "-",
                        "the local runtime behind Glue's API: AWS_ENDPOINT_URL_GLUE for boto3 clients"),
    ]
