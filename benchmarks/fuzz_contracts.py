"""N hypothesis contracts through `validate` and the compiler: how many were accepted,
rejected with a message, and how many raised (must be 0).

The contracts are arbitrary JSON, contract-shaped JSON, and the workshop's real contract
after random mutations (tests/contract_strategies.py). Each goes through the offline checks
(`check_contract`: schema, lint, SQL fragment safety); what they accept is built into the
typed model and compiled (views, keys, scripts, jobs) against the live schema of the
workshop's MySQL tables in a private MariaDB, as `plan` would. A raise anywhere is a bug:
the first few are printed with their contract and traceback.

    python benchmarks/fuzz_contracts.py [-n 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pymysql  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from migrator.compile.contract import SourceCredentials, compile_contract  # noqa: E402
from migrator.contract.typed import build_contract  # noqa: E402
from migrator.contract.document import check_contract  # noqa: E402
from migrator.errors import MigratorError  # noqa: E402
from migrator.findings import Severity  # noqa: E402
from migrator.mysql_schema import schema_from_doc, server_info_from_doc  # noqa: E402
from migrator.mysql_schema import ServerInfo  # noqa: E402
from migrator.sandbox import lifecycle  # noqa: E402
from migrator.servers.mysql import MySQLTools, Settings as MySQLSettings  # noqa: E402
from migrator.settings import Settings  # noqa: E402
from tests.contract_strategies import CONTRACTISH, JSON, mutated_workshop  # noqa: E402

CONTRACTS = st.one_of(JSON, CONTRACTISH, st.builds(lambda t: {"tables": t}, st.lists(CONTRACTISH, max_size=3)),
                      mutated_workshop(), mutated_workshop())


def live_schema(record: lifecycle.SandboxRecord) -> tuple[Any, ServerInfo]:
    """The workshop's tables in the sandbox, described as `plan` describes them."""
    root = pymysql.connect(unix_socket=str(record.mariadb.socket), user="root", autocommit=True,
                           database=record.mysql_database)
    with root.cursor() as cur:
        for statement in (REPO / "examples" / "modernizr" / "schema.sql").read_text().split(";"):
            if statement.strip() and not statement.strip().upper().startswith(("CREATE DATABASE", "USE ")):
                cur.execute(statement)
    root.close()
    env = record.mysql_env()
    tools = MySQLTools(MySQLSettings(host=env["MYSQL_HOST"], port=int(env["MYSQL_PORT"]), user=env["MYSQL_USER"],
                                     password=env["MYSQL_PASSWORD"], database=record.mysql_database, read_only=True,
                                     connect_timeout=10))
    d = tools.server_info()
    server = server_info_from_doc(d)
    return schema_from_doc(tools.describe_schema()), server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="how many contracts (default 10,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    tally: collections.Counter[str] = collections.Counter()
    raised: list[tuple[Any, str]] = []
    folder = Path(tempfile.mkdtemp(prefix="fuzz-contracts-"))
    record = lifecycle.up(folder / "sandbox")
    try:
        schema, server = live_schema(record)
        settings_ = Settings()
        source = SourceCredentials(host="127.0.0.1", port=3306, user="u", password="p", database="x")

        def one(doc: Any) -> None:
            tally["contracts"] += 1
            try:
                findings = check_contract(doc)
                if any(f.severity is Severity.ERROR for f in findings):
                    assert all(f.message and f.path for f in findings), "a finding without message or path"
                    tally["rejected by validate, with a message"] += 1
                    return
                contract = build_contract(doc, "fuzz", findings)
                compiled = compile_contract(contract, schema, server, settings_, source)
                errors = [f for f in compiled.findings if f.severity is Severity.ERROR]
                if errors:
                    assert all(f.message and f.path for f in errors), "a compile finding without message or path"
                    tally["accepted, then refused by the compiler with a message"] += 1
                else:
                    tally["accepted and compiled"] += 1
                    tally["resources compiled"] += len(compiled.graph.nodes)
            except MigratorError as exc:  # a sentence for the user, not a crash
                assert str(exc)
                tally["accepted, then refused by the compiler with a message"] += 1
            except Exception:
                tally["raised"] += 1
                if len(raised) < 5:
                    raised.append((doc, traceback.format_exc()))

        run = seed(args.seed)(settings(max_examples=args.n, deadline=None, database=None, phases=[Phase.generate],
                                       suppress_health_check=list(HealthCheck))(given(CONTRACTS)(one)))
        began = time.perf_counter()
        run()
        seconds = time.perf_counter() - began
    finally:
        lifecycle.down(folder / "sandbox")

    print(f"{tally['contracts']} contracts in {seconds:.1f} s ({tally['contracts'] / seconds:.0f}/s), seed {args.seed}")
    for key in ("rejected by validate, with a message", "accepted, then refused by the compiler with a message",
                "accepted and compiled", "raised"):
        print(f"  {key}: {tally[key]}")
    print(f"  resources in the compiled graphs: {tally['resources compiled']}")
    for doc, text in raised:
        print("\n--- raised on:\n" + json.dumps(doc, ensure_ascii=False, default=str)[:2000] + "\n" + text)
    return 1 if tally["raised"] else 0


if __name__ == "__main__":
    sys.exit(main())
