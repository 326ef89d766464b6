"""A private MariaDB: own datadir and socket, loopback only, UTC, one password user."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

from migrator.errors import MigratorError
from migrator.sandbox import processes


@dataclass(frozen=True)
class MariaDBSpec:
    root: Path          # <sandbox>/mariadb
    port: int
    user: str
    password: str
    database: str

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket(self) -> Path:
        return self.root / "mysqld.sock"

    @property
    def pid_file(self) -> Path:
        return self.root / "mysqld.pid"

    @property
    def tmpdir(self) -> Path:
        """Its own temporary folder: nothing else on the machine shares or cleans it."""
        return self.root / "tmp"

    @property
    def log(self) -> Path:
        return self.root / "mysqld.err"

    @property
    def marker(self) -> str:
        return f"--datadir={self.datadir}"


def binaries() -> tuple[str, str]:
    """Paths of mariadbd and mariadb-install-db, or a one-line error naming the package."""
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if not server or not install:
        raise MigratorError("MariaDB is not installed (mariadbd not found)",
                            hint="install the Debian package mariadb-server (apt-get install -y mariadb-server)")
    return server, install


def initialise(spec: MariaDBSpec) -> None:
    """Create the datadir once; a datadir that exists is kept with its data.

    Built beside its place and renamed when complete, so a failed or interrupted install never
    leaves a datadir that looks made. MariaDB deletes every `#sql*` file in its tmpdir when it
    starts, the bootstrap included: with the shared /tmp it removed the temporary tables of any
    other MariaDB running on the machine (a segfault in one, "Error on delete of '/tmp/#sql-…'"
    in the other), so it gets the sandbox's own tmpdir.
    """
    if (spec.datadir / "mysql").is_dir():
        return
    _, install = binaries()
    partial = spec.datadir.with_name(spec.datadir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    spec.tmpdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([install, "--no-defaults", "--user=root", f"--datadir={partial}",
                           "--auth-root-authentication-method=normal", "--skip-test-db", f"--tmpdir={spec.tmpdir}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        lines = (done.stderr + done.stdout).splitlines()
        errors = [l.strip() for l in lines if "ERROR" in l and "Aborting" not in l] or [l.strip() for l in lines[-1:]]
        raise MigratorError(f"mariadb-install-db failed for {spec.datadir}: {(errors or ['no output'])[0]}",
                            hint="run `migrator sandbox up` again; if it fails the same way, check the disk "
                                 f"and {spec.root}")
    if spec.datadir.exists():
        shutil.rmtree(spec.datadir)  # an empty or half-made datadir from an older version
    partial.rename(spec.datadir)


def start(spec: MariaDBSpec) -> processes.ProcessIdentity:
    server, _ = binaries()
    spec.tmpdir.mkdir(parents=True, exist_ok=True)
    return processes.spawn(
        [server, "--no-defaults", spec.marker, f"--port={spec.port}", "--bind-address=127.0.0.1",
         f"--socket={spec.socket}", f"--pid-file={spec.pid_file}", f"--tmpdir={spec.tmpdir}", "--user=root",
         "--skip-name-resolve", f"--log-error={spec.log}", "--default-time-zone=+00:00", "--character-set-server=utf8mb4",
         "--collation-server=utf8mb4_unicode_ci", "--innodb-buffer-pool-size=128M",
         "--max-connections=200"],
        log_path=spec.root / "mariadbd.out")


def wait_ready(spec: MariaDBSpec, process: processes.ProcessIdentity, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes.is_ours(process):
            raise MigratorError(f"MariaDB exited during start-up: {_last_error(spec)}",
                                hint=f"see {spec.log}")
        try:
            pymysql.connect(unix_socket=str(spec.socket), user="root", connect_timeout=1).close()
            return
        except pymysql.MySQLError:
            time.sleep(0.05)
    raise MigratorError(f"MariaDB did not accept connections within {timeout:.0f} s", hint=f"see {spec.log}")


def bootstrap(spec: MariaDBSpec) -> None:
    """Create the database and the password user (idempotent)."""
    try:
        _bootstrap(spec)
    except pymysql.MySQLError as exc:
        raise MigratorError(f"database {spec.database} could not be created and granted to {spec.user} "
                            f"({exc.args[-1] if exc.args else exc})", hint=f"see {spec.log}") from exc


def _bootstrap(spec: MariaDBSpec) -> None:
    conn = pymysql.connect(unix_socket=str(spec.socket), user="root", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{spec.database}` CHARACTER SET utf8mb4")
            for host in ("127.0.0.1", "localhost"):
                cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (spec.user, host, spec.password))
                cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (spec.user, host, spec.password))
                cur.execute(f"GRANT ALL PRIVILEGES ON `{spec.database}`.* TO %s@%s", (spec.user, host))
                # SHOW VIEW and process list reads help doctor; nothing outside the database.
                cur.execute("GRANT PROCESS ON *.* TO %s@%s", (spec.user, host))
    finally:
        conn.close()


def healthy(spec: MariaDBSpec) -> bool:
    try:
        pymysql.connect(host="127.0.0.1", port=spec.port, user=spec.user, password=spec.password,
                        database=spec.database, connect_timeout=1).close()
        return True
    except pymysql.MySQLError:
        return False


def _last_error(spec: MariaDBSpec) -> str:
    try:
        lines = [l for l in spec.log.read_text(errors="replace").splitlines() if "ERROR" in l]
    except OSError:
        return "no error log"
    return lines[-1].split("[ERROR]", 1)[-1].strip() if lines else "no error in the log"
