"""Columns written into text (key templates, string formats) keep a defined encoding (issue 21):
a BINARY id becomes lowercase hex (with a warning that says so), a BIT its number, a DATETIME
ISO-8601 UTC — never raw bytes that are valid UTF-8 only by chance. Expected keys are computed
here in Python from the raw values inserted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items

ROWS = [(bytes.fromhex("00ff10e2") + bytes(12), 1, dt.datetime(2024, 4, 2, 15, 30, 45, 123000)),
        (bytes(range(16)), 0, dt.datetime(1999, 12, 31, 23, 59, 59)),
        (b"\x80" * 16, 1, dt.datetime(2030, 1, 1))]


def test_binary_bit_and_datetime_placeholders_in_a_key(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                        tmp_path: Path) -> None:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE account (id BINARY(16) PRIMARY KEY, active BIT(1) NOT NULL, "
                    "opened DATETIME(3) NOT NULL)")
        cur.executemany("INSERT INTO account VALUES (%s, %s, %s)", ROWS)
    conn.close()
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps({"tables": [{
        "table": "Accounts", "type": "single-entity", "source_table": "account", "pk": "PK", "sk": None, "gsis": [],
        "satisfies": [], "estimated_item_size_bytes": 100, "attributes": [
            {"name": "PK", "type": "S", "source_table": "account", "source_column": "id",
             "transformation": {"type": "string-format", "format": "ACC#{id}#{active}#{opened}"}}]}]}))
    proj = project(sandbox, mysql_db, tmp_path)
    plan = project_cli(proj, "plan", str(contract))
    assert plan.returncode == 0, plan.stderr
    notes = [line for line in plan.stderr.splitlines() if "lowercase hex" in line]
    assert len(notes) == 1 and "placeholder {id} reads the binary column account.id" in notes[0], plan.stderr
    assert notes[0].startswith("warning $.tables[0].attributes[0].transformation.format: ")
    applied = project_cli(proj, "apply", "--auto-approve", str(contract))
    assert applied.returncode == 0, applied.stdout + applied.stderr

    def iso(value: dt.datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

    expected = sorted(f"ACC#{raw.hex()}#{active}#{iso(opened)}" for raw, active, opened in ROWS)
    stored = sorted(i["PK"] for i in scan_items(aws(proj["aws"], "dynamodb"), "Accounts"))
    assert stored == expected
