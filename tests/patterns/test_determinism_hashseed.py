"""A contract using every pattern compiles to byte-identical view SQL under any hash seed.

The schema comes from the built-in MySQL server's `describe_schema` over a real stdio
session; each subprocess rebuilds it with `schema_from_doc` from a JSON file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from migrator.sandbox import lifecycle
from tests.conftest import REPO, builtin_server
from tests.patterns.contracts import every_pattern
from tests.patterns.support import PatternDB

SCRIPT = r"""
import json, sys
from pathlib import Path
from migrator.compile.contract import entity_plans
from migrator.compile.names import view_name
from migrator.compile.views import compile_view
from migrator.contract.typed import build_contract
from migrator.contract.document import check_contract
from migrator.mysql_schema import schema_from_doc
from migrator.mysql_schema import ServerInfo

doc = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
findings = check_contract(doc)
contract = build_contract(doc, sys.argv[1], findings)
schema = schema_from_doc(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
out = {}
for flavour, version in (("mariadb", (10, 11, 0)), ("mysql", (8, 0, 36))):
    server = ServerInfo(f"{version}", flavour, version, "", flavour == "mysql", "+00:00", schema.database, "u@h")
    for table in contract.tables:
        for plan in entity_plans(table):
            name = view_name(table.name, plan.entity_type)
            spec, view_findings = compile_view(plan.entity, name, table.name, schema, server, plan.entity_type)
            out[f"{flavour}/{name}"] = {"sql": spec.select_sql if spec else None,
                                        "findings": [f.sentence() for f in view_findings]}
sys.stdout.write(json.dumps(out, sort_keys=True, ensure_ascii=False))
"""


def test_every_pattern_compiles_byte_identically_across_hash_seeds(sandbox: lifecycle.SandboxRecord, pdb: PatternDB,
                                                                     tmp_path: Path) -> None:
    env = {**sandbox.mysql_env(), "MYSQL_DATABASE": pdb.database}
    with builtin_server("mysql", env, tmp_path / "mysql.log") as server:
        schema_doc = server.call("describe_schema")["result"]
    assert {t["name"] for t in schema_doc["tables"]} >= {"orders", "customers", "order_items", "categories"}
    schema_file, contract_file = tmp_path / "schema.json", tmp_path / "contract.json"
    schema_file.write_text(json.dumps(schema_doc), encoding="utf-8")
    contract_file.write_text(json.dumps({"tables": every_pattern()}, ensure_ascii=False), encoding="utf-8")
    outputs = []
    for seed in ("0", "1"):
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(contract_file), str(schema_file)], cwd=REPO,
                              capture_output=True, timeout=120,
                              env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)})
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout)
    views = json.loads(outputs[0])
    assert len(views) == 2 * 24, sorted(views)
    compiled = [name for name, v in views.items() if v["sql"]]
    assert compiled, "no view compiled at all"
    assert outputs[0] == outputs[1], "the SQL differs between PYTHONHASHSEED=0 and =1"
