"""`plan` counts, in MySQL, the rows whose key is longer than DynamoDB allows (issue 21): 2,048
bytes for a partition key, 1,024 for a sort key, of the table and of each index. The expected
counts are computed here from the rows the test inserts (bytes of UTF-8, so multi-byte text is
measured as DynamoDB measures it)."""

from __future__ import annotations

import json
from pathlib import Path

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import project, project_cli

#: (id, code, note): `code` is the sort key, `note` an index's sort key
ROWS = [(1, "a" * 1024, "n"), (2, "a" * 1025, "n"), (3, "é" * 600, "x" * 1500), (4, "汉" * 700, "ok"),
        (5, "b", "ü" * 513)]


def test_plan_warns_with_mysqls_count_of_keys_over_each_limit(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                               tmp_path: Path) -> None:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE thing (id INT PRIMARY KEY, code TEXT NOT NULL, note TEXT NOT NULL) "
                    "CHARACTER SET utf8mb4")
        cur.executemany("INSERT INTO thing VALUES (%s, %s, %s)", ROWS)
    conn.close()
    attrs = [{"name": n, "type": t, "source_table": "thing", "source_column": c}
             for n, t, c in (("id", "N", "id"), ("code", "S", "code"), ("note", "S", "note"))]
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps({"tables": [{
        "table": "Things", "type": "single-entity", "source_table": "thing", "pk": "id", "sk": "code",
        "gsis": [{"index_name": "ByNote", "pk": "id", "sk": "note", "projection": "KEYS_ONLY"}],
        "satisfies": [], "estimated_item_size_bytes": 100, "attributes": attrs}]}))
    proj = project(sandbox, mysql_db, tmp_path)
    plan = project_cli(proj, "plan", str(contract))
    assert plan.returncode == 0, plan.stderr
    long_codes = sum(1 for _, code, _ in ROWS if len(code.encode()) > 1024)
    long_notes = sum(1 for _, _, note in ROWS if len(note.encode()) > 1024)
    assert (long_codes, long_notes) == (3, 2)
    warnings = [line for line in plan.stderr.splitlines() if "key_too_long" in line]
    assert len(warnings) == 2, plan.stderr
    code_line = next(w for w in warnings if "`code`" in w)
    note_line = next(w for w in warnings if "`note`" in w)
    assert "$.tables[0].attributes[1]" in code_line and f"{long_codes} rows of table Things" in code_line
    assert "the sort key of table Things" in code_line and "1,024 bytes" in code_line
    assert "$.tables[0].attributes[2]" in note_line and f"{long_notes} rows of table Things" in note_line
    assert "the sort key of index ByNote" in note_line
