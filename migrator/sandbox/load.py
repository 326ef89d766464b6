"""`migrator sandbox load SQLFILE`: a user's own schema dump into a sandbox database.

The file goes through MariaDB's own client (as root, over the sandbox's socket), so whatever a
dump holds — DELIMITER blocks, triggers, routines, `/*!...*/` comments, multi-row INSERTs —
loads as `mariadb NAME < FILE` would. A statement that fails stops the load; the ones before
it stay (DDL is not transactional) and the sentence says at which line of which file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pymysql

from migrator.errors import ConfigError, MigratorError
from migrator.sandbox.lifecycle import SandboxRecord

#: the longest a load may take (a dump of many gigabytes takes a while on a laptop)
LOAD_TIMEOUT_SECONDS = 6 * 3600
_USE = re.compile(r"^\s*USE\s+`?([A-Za-z0-9_$]+)`?\s*;", re.IGNORECASE | re.MULTILINE)
_CLIENT_ERROR = re.compile(r"ERROR (\d+) \(([0-9A-Z]+)\)(?: at line (\d+))?(?: in file: '[^']*')?: (.*)", re.S)


@dataclass(frozen=True)
class Loaded:
    database: str
    tables: int
    rows: int
    #: databases the file switched to with USE (its tables went there, not into `database`)
    other_databases: tuple[str, ...] = ()


def client() -> str:
    found = shutil.which("mariadb") or shutil.which("mysql")
    if not found:
        raise MigratorError("the MariaDB client is not installed (mariadb not found)",
                            hint="install the Debian package mariadb-client (apt-get install -y mariadb-client)")
    return found


def _counts(record: SandboxRecord, database: str) -> tuple[int, int]:
    """Base tables in the database and their rows, counted exactly."""
    try:
        conn = pymysql.connect(unix_socket=str(record.mariadb.socket), user="root", database=database,
                               autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                            "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", (database,))
                tables = [r[0] for r in cur.fetchall()]
                rows = 0
                for table in tables:
                    cur.execute("SELECT COUNT(*) FROM `{}`".format(table.replace("`", "``")))
                    rows += int(cur.fetchone()[0])
            return len(tables), rows
        finally:
            conn.close()
    except pymysql.MySQLError as exc:   # e.g. a dump that dropped the database it was loaded into
        raise MigratorError(f"the file was loaded, but database {database} could not be read back "
                            f"({exc.args[-1] if exc.args else exc})",
                            hint="a dump that drops or switches databases loads elsewhere: remove those lines") from exc


def load_sql(record: SandboxRecord, sql_file: Path, database: str) -> Loaded:
    """Run the file against `database` (which `lifecycle.up(..., database)` created and granted)."""
    if not sql_file.is_file():
        raise ConfigError(f"{sql_file} is not a file", hint="name a SQL file, such as a mysqldump or a schema.sql")
    text = sql_file.read_text(encoding="utf-8", errors="replace")
    others = tuple(sorted({name for name in _USE.findall(text) if name != database}))
    with sql_file.open("rb") as stream:
        try:
            done = subprocess.run([client(), f"--socket={record.mariadb.socket}", "--user=root",
                                   "--default-character-set=utf8mb4", "--binary-mode", database],
                                  stdin=stream, capture_output=True, timeout=LOAD_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise MigratorError(f"{sql_file} was still loading into database {database} after "
                                f"{LOAD_TIMEOUT_SECONDS // 3600} h, and was stopped",
                                hint="what it loaded stays; load the rest with the mariadb client directly") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        parsed = _CLIENT_ERROR.search(message)
        where = f"{sql_file} line {parsed.group(3)}" if parsed and parsed.group(3) else str(sql_file)
        why = " ".join((parsed.group(4) if parsed else message).split())[:300]
        raise MigratorError(f"{where} could not be loaded into database {database}: {why}",
                            hint="the statements before it were loaded; fix the file and load it again "
                                 "(a dump made with --add-drop-table loads again cleanly)")
    tables, rows = _counts(record, database)
    return Loaded(database, tables, rows, others)
