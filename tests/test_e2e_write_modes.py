"""Write modes through `migrator apply`: insert_only and version_guarded against items that are
already in the table. Real MariaDB, moto, the local Glue runtime and the CLI in a subprocess;
the expected items are computed here from the rows and what the table held before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli, scan_items


def set_load(tiny: dict[str, Any], load: dict[str, Any], extra_attribute: dict[str, Any] | None = None) -> None:
    doc = json.loads(Path(tiny["contract"]).read_text())
    doc["tables"][0]["load"] = load
    if extra_attribute:
        doc["tables"][0]["attributes"].append(extra_attribute)
    Path(tiny["contract"]).write_text(json.dumps(doc))


def sql(sandbox: lifecycle.SandboxRecord, db: str, *statements: str) -> None:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


def rows(sandbox: lifecycle.SandboxRecord, db: str, columns: str) -> list[tuple[Any, ...]]:
    conn = root_connection(sandbox, db)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM things ORDER BY id")
        out = list(cur.fetchall())
    conn.close()
    return out


def load_record(tiny: dict[str, Any]) -> dict[str, Any]:
    state = json.loads((Path(tiny["tmp"]) / "state" / "migrator.state.json").read_text())
    return dict(state["resources"][f"load.{tiny['table']}"]["attributes"])


def apply(tiny: dict[str, Any], *extra: str) -> None:
    done = run_cli(tiny["env"], tiny["tmp"], "apply", str(tiny["contract"]), "--auto-approve", *extra)
    assert done.returncode == 0, done.stdout + done.stderr


def test_insert_only_keeps_the_items_already_there(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    ddb = aws(sandbox, "dynamodb")
    apply(tiny)
    before = {i["PK"]: i["name"] for i in scan_items(ddb, tiny["table"])}
    assert before == {f"THING#{i}": name for i, name in rows(sandbox, tiny["db"], "id, name")}

    sql(sandbox, tiny["db"], "UPDATE things SET name = 'changed' WHERE id = 1",
        "INSERT INTO things VALUES (4, 'd', NULL), (5, 'e', 2)")
    set_load(tiny, {"write_mode": "insert_only"})
    planned = run_cli(tiny["env"], tiny["tmp"], "plan", str(tiny["contract"]))
    assert f"load.{tiny['table']}" in planned.stdout, planned.stdout   # the write mode is part of the load
    apply(tiny)

    expected = dict(before)
    for i, name in rows(sandbox, tiny["db"], "id, name"):
        expected.setdefault(f"THING#{i}", name)
    assert {i["PK"]: i["name"] for i in scan_items(ddb, tiny["table"])} == expected
    assert expected["THING#1"] == "a"
    record = load_record(tiny)
    assert (record["rows_read"], record["items_written"], record["items_skipped"]) == (5, 2, 3)
    assert "No changes." in run_cli(tiny["env"], tiny["tmp"], "plan", str(tiny["contract"])).stdout


def test_version_guarded_lets_only_newer_rows_through(sandbox: lifecycle.SandboxRecord, tiny: dict[str, Any]) -> None:
    ddb = aws(sandbox, "dynamodb")
    sql(sandbox, tiny["db"], "ALTER TABLE things ADD COLUMN ver INT NULL", "UPDATE things SET ver = 5")
    set_load(tiny, {"write_mode": "version_guarded", "version_column": "ver", "max_rejected_rows": 1},  # a NULL ver
             {"name": "ver", "type": "N", "source_table": "things", "source_column": "ver"})
    apply(tiny)
    before = {i["PK"]: (i["name"], int(i["ver"])) for i in scan_items(ddb, tiny["table"])}
    assert before == {f"THING#{i}": (name, 5) for i, name in rows(sandbox, tiny["db"], "id, name")}

    sql(sandbox, tiny["db"], "UPDATE things SET name = 'newer', ver = 6 WHERE id = 1",
        "UPDATE things SET name = 'older', ver = 4 WHERE id = 2",
        "UPDATE things SET name = 'same' WHERE id = 3",
        "INSERT INTO things VALUES (4, 'no version', NULL, NULL)")
    apply(tiny, "--replace", f"load.{tiny['table']}")

    expected = dict(before)
    rejected = 0
    for i, name, ver in rows(sandbox, tiny["db"], "id, name, ver"):
        if ver is None:
            rejected += 1
        elif f"THING#{i}" not in expected or expected[f"THING#{i}"][1] < ver:
            expected[f"THING#{i}"] = (name, ver)
    assert {i["PK"]: (i["name"], int(i["ver"])) for i in scan_items(ddb, tiny["table"])} == expected
    assert expected["THING#1"] == ("newer", 6) and expected["THING#2"] == ("b", 5)
    record = load_record(tiny)
    assert (record["items_written"], record["items_skipped"], record["items_rejected"]) == (1, 2, rejected)
    assert record["rejected_by_reason"] == {"version_null:ver": 1}
