"""The same contract compiles to byte-identical SQL, scripts, bundle and plan under any hash seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from migrator.sandbox import lifecycle
from tests.conftest import REPO, builtin_server, root_connection

sys.path.insert(0, str(REPO / "examples" / "shop"))
import seed

SCRIPT = r"""
import hashlib, json, sys
from pathlib import Path
from migrator.compile.contract import SourceCredentials, compile_contract
from migrator.contract.document import read_contract
from migrator.graph import canonical_json
from migrator.mysql_schema import schema_from_doc
from migrator.mysql_schema import ServerInfo
from migrator.settings import Settings

contract, findings = read_contract(Path(sys.argv[1]))
schema = schema_from_doc(json.loads(Path(sys.argv[2]).read_text()))
server = ServerInfo("10.11.0-MariaDB", "mariadb", (10, 11, 0), "", False, "+00:00", schema.database, "u@h")
compiled = compile_contract(contract, schema, server, Settings(), SourceCredentials("h", 3306, "u", "s3cret-Pw-91x", "db"))
out = {"nodes": {str(a): [n.public_config(), [str(d) for d in n.depends_on]] for a, n in compiled.graph.nodes.items()},
       "order": [str(a) for a in compiled.graph.order()],
       "artifacts": {k: hashlib.sha256(v).hexdigest() for k, v in compiled.artifacts.items()}}
sys.stdout.write(canonical_json(out))
"""


def test_compile_is_byte_identical_across_hash_seeds(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                       tmp_path: Path) -> None:
    conn = root_connection(sandbox, mysql_db)
    seed.load(conn, seed.generate(scale=1, seed=1))
    conn.close()
    with builtin_server("mysql", {**sandbox.mysql_env(), "MYSQL_DATABASE": mysql_db}, tmp_path / "m.log") as srv:
        schema_doc = srv.call("describe_schema")["result"]
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema_doc))
    outputs = []
    for hash_seed in ("0", "1", "12345"):
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "examples/shop/contract.json"), str(schema_file)],
                              capture_output=True, env={**os.environ, "PYTHONHASHSEED": hash_seed}, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    doc = json.loads(outputs[0])
    shop = json.loads((REPO / "examples/shop/contract.json").read_text())
    n_tables, n_gsis = len(shop["tables"]), sum(len(t.get("gsis") or []) for t in shop["tables"])
    # per table: view, table, script, job, load, check; one node per index; bucket, bundle, connection
    assert len(doc["nodes"]) == 6 * n_tables + n_gsis + 3 and "mysql_view.ddb_orders_view" in doc["nodes"]
    assert "dynamodb_gsi.Products/ByCategory" in doc["nodes"]
    assert "s3cret-Pw-91x" not in outputs[0].decode()  # the connection password is never part of a plan's data
