"""What the example seed scripts share: fingerprinting rows, splitting schema.sql, loading
rows into MySQL in one transaction, and the command line. Stdlib + pymysql only; each
example's seed.py supplies its tables, columns, schema and row generator."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Rows = dict[str, list[tuple[Any, ...]]]
CHUNK = 1000


@dataclass(frozen=True)
class Example:
    name: str                                   # "shop", for messages
    schema: Path                                # schema.sql
    tables: tuple[str, ...]                     # parents before children
    columns: Mapping[str, tuple[str, ...]]
    generate: Callable[[int, int], Rows]
    default_scale: int = 1
    default_seed: int = 42
    scale_help: str = "multiplier of the data size"


def fingerprint(example: Example, rows: Rows) -> str:
    """A SHA-256 over the rows' canonical repr: equal fingerprints mean byte-identical rows."""
    digest = hashlib.sha256()
    for table in example.tables:
        digest.update(f"{table}{example.columns[table]!r}\n".encode())
        for row in rows[table]:
            digest.update(repr(row).encode("utf-8") + b"\n")
    return digest.hexdigest()


def schema_statements(path: Path) -> list[str]:
    """The statements of schema.sql: "--" comment lines dropped, split on ";" at end of line."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("--")]
    statements, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";").strip())
            current = []
    tail = "\n".join(current).strip().rstrip(";").strip()
    if tail:
        statements.append(tail)
    return [s for s in statements if s]


def load(example: Example, conn: Any, rows: Rows, *, chunk: int = CHUNK) -> dict[str, int]:
    """(Re)create the example's tables in `conn`'s current database and insert `rows`.

    Drops only the example's tables (children first), runs schema.sql, inserts every table
    in one transaction and returns the row count per table as read back from the database.
    """
    import pymysql.cursors

    if getattr(conn, "charset", "utf8mb4") != "utf8mb4":
        conn.set_character_set("utf8mb4")
    with conn.cursor(pymysql.cursors.Cursor) as cur:
        cur.execute("SELECT DATABASE()")
        (database,) = cur.fetchone()
        if not database:
            raise RuntimeError("the connection has no current database; connect with database=...")
        # A known session: UTC for TIMESTAMP columns, strict (no silent truncation), backslash
        # escapes on (pymysql escapes with backslashes).
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'")
        for table in reversed(example.tables):
            cur.execute(f"DROP TABLE IF EXISTS `{table}`")
        for statement in schema_statements(example.schema):
            cur.execute(statement)
        conn.begin()
        try:
            for table in example.tables:
                columns = example.columns[table]
                sql = (f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) "
                       f"VALUES ({', '.join(['%s'] * len(columns))})")
                data = rows[table]
                for start in range(0, len(data), chunk):
                    cur.executemany(sql, data[start:start + chunk])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        counts: dict[str, int] = {}
        for table in example.tables:
            cur.execute(f"SELECT COUNT(*) FROM `{table}`")
            counts[table] = int(cur.fetchone()[0])
    return counts


def sandbox_params(root: Path) -> dict[str, Any] | None:
    """Connection parameters of the sandbox at `root`, or None when there is none."""
    try:
        from migrator.sandbox.lifecycle import load_record
    except ImportError:  # running without migrator installed: read the record directly
        path = root / "sandbox.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return {"host": "127.0.0.1", "port": data["mysql_port"], "user": data["mysql_user"],
                "password": data["mysql_password"], "database": data["mysql_database"]}
    record = load_record(root)
    if record is None:
        return None
    return {"host": "127.0.0.1", "port": record.mysql_port, "user": record.mysql_user,
            "password": record.mysql_password, "database": record.mysql_database}


def parser(example: Example) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seed.py", description=f"Load the examples/{example.name} schema and seed data.")
    p.add_argument("--sandbox", type=Path, default=Path(os.environ.get("MIGRATOR_SANDBOX_DIR", ".migrator/sandbox")),
                   help="sandbox folder written by `migrator sandbox up` (default: %(default)s)")
    p.add_argument("--scale", type=int, default=example.default_scale,
                   help=f"{example.scale_help} (default: %(default)s)")
    p.add_argument("--seed", type=int, default=example.default_seed, help="random seed (default: %(default)s)")
    p.add_argument("--host", help="MySQL host (overrides the sandbox's)")
    p.add_argument("--port", type=int, help="MySQL port (overrides the sandbox's)")
    p.add_argument("--user", help="MySQL user (overrides the sandbox's)")
    p.add_argument("--password", help="MySQL password (overrides the sandbox's; or set MYSQL_PASSWORD)")
    p.add_argument("--database", help="target database (overrides the sandbox's)")
    p.add_argument("--dry-run", action="store_true",
                   help="only generate: print row counts and the rows' fingerprint, connect to nothing")
    return p


def main(example: Example, argv: Sequence[str] | None = None) -> int:
    args = parser(example).parse_args(argv)
    if args.scale < 1:
        print("seed.py: --scale must be >= 1", file=sys.stderr)
        return 2
    width = max(12, *(len(t) + 1 for t in example.tables))
    began = time.monotonic()
    rows = example.generate(args.scale, args.seed)
    if args.dry_run:
        for table in example.tables:
            print(f"{table:<{width}} {len(rows[table]):>8}")
        print(f"{'fingerprint':<{width}} {fingerprint(example, rows)}")
        return 0

    params = sandbox_params(args.sandbox) or {}
    explicit = {"host": args.host, "port": args.port, "user": args.user,
                "password": args.password if args.password is not None else os.environ.get("MYSQL_PASSWORD"),
                "database": args.database}
    params.update({k: v for k, v in explicit.items() if v is not None})
    if not params.get("port") or not params.get("user") or not params.get("database"):
        print(f"seed.py: no sandbox in {args.sandbox} (run `migrator sandbox up`), or pass "
              "--host/--port/--user/--password/--database", file=sys.stderr)
        return 2
    import pymysql  # only needed to load

    try:
        conn = pymysql.connect(host=params.get("host") or "127.0.0.1", port=int(params["port"]),
                               user=params["user"], password=params.get("password") or "",
                               database=params["database"], charset="utf8mb4", connect_timeout=10)
    except pymysql.MySQLError as exc:
        print(f"seed.py: cannot connect to MySQL at {params.get('host') or '127.0.0.1'}:{params['port']} "
              f"as {params['user']}: {exc}", file=sys.stderr)
        return 1
    try:
        counts = load(example, conn, rows)
    except pymysql.MySQLError as exc:
        print(f"seed.py: loading failed: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    elapsed = time.monotonic() - began
    print(f"loaded examples/{example.name} into {params['database']} (scale {args.scale}, seed {args.seed})")
    for table in example.tables:
        print(f"{table:<{width}} {counts[table]:>8}")
    print(f"{'total':<{width}} {sum(counts.values()):>8}   ({elapsed:.2f} s)")
    return 0
