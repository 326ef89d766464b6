"""Key sizes per DynamoDB's limits, through `migrator apply`: a partition key may hold 2,048 bytes, a
sort key 1,024, of the table and of each index. A row over a limit is a counted rejected row
(key_too_long, its key sampled), never a batch DynamoDB refuses: the other rows load, nothing
fails half written. Real MariaDB, moto, the local Glue runtime and the CLI in a subprocess; the
expected items are computed here from the rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrator.runtime.items import RowRejected, to_item
from migrator.runtime.spec import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES, AttributeSpec, ItemSpec, index_key_roles
from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items

LONG = "k" * 1500                 # over the sort key limit, under the partition key limit
EDGE = "é" * 512                  # exactly 1,024 bytes (512 characters)
OVER = "é" * 513                  # 1,026 bytes: characters are not bytes

ROWS = [(1, "short", "a"), (2, LONG, "b"), (3, "three", LONG), (4, EDGE, EDGE), (5, OVER, "e"), (6, "six", OVER)]


def contract(table: str) -> dict[str, Any]:
    return {"tables": [{
        "table": table, "type": "single-entity", "source_table": "notes", "pk": "PK", "sk": "SK",
        "gsis": [{"index_name": "ByLabel", "pk": "kind", "sk": "label", "projection": "ALL"}],
        "satisfies": ["AP1"], "estimated_item_size_bytes": 3000, "load": {"max_rejected_rows": 4},
        "attributes": [
            {"name": "PK", "type": "S", "source_table": "notes", "source_column": "id",
             "transformation": {"type": "string-format", "format": "NOTE#{id}"}},
            {"name": "SK", "type": "S", "source_table": "notes", "source_column": "tag"},
            {"name": "kind", "type": "S", "source_table": "notes", "source_column": "kind"},
            {"name": "label", "type": "S", "source_table": "notes", "source_column": "label"}]}]}


def expected_items() -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Python's own reading of the limits: items by PK, and rejections by reason:attribute."""
    items: dict[str, dict[str, Any]] = {}
    rejected: dict[str, int] = {}
    for i, tag, label in ROWS:
        if len(tag.encode()) > 1024:
            rejected["key_too_long:SK"] = rejected.get("key_too_long:SK", 0) + 1
        elif len(label.encode()) > 1024:
            rejected["key_too_long:label"] = rejected.get("key_too_long:label", 0) + 1
        else:
            items[f"NOTE#{i}"] = {"PK": f"NOTE#{i}", "SK": tag, "kind": "note", "label": label}
    return items, rejected


def test_sort_keys_over_1024_bytes_are_rejected_rows_not_failed_batches(
        sandbox: lifecycle.SandboxRecord, mysql_db: str, tmp_path: Path) -> None:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE notes (id INT PRIMARY KEY, tag VARCHAR(1600) NOT NULL, kind VARCHAR(8) NOT NULL, "
                    "label VARCHAR(1600) NOT NULL) CHARACTER SET utf8mb4")
        cur.executemany("INSERT INTO notes VALUES (%s, %s, 'note', %s)", ROWS)
    conn.close()
    proj = project(sandbox, mysql_db, tmp_path)
    table = f"Notes{tmp_path.name[-6:].replace('_', '')}"
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(contract(table)))

    done = project_cli(proj, "apply", str(path), "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    ddb = aws(sandbox, "dynamodb")
    want, rejected = expected_items()
    got = {i["PK"]: i for i in scan_items(ddb, table)}
    assert got == want
    assert {i["PK"] for i in scan_items(ddb, table, "ByLabel")} == set(want)
    state = json.loads((proj["state"] / "migrator.state.json").read_text())
    record = state["resources"][f"load.{table}"]["attributes"]
    assert (record["rows_read"], record["items_written"], record["items_rejected"]) == (6, len(want), 4)
    assert record["rejected_by_reason"] == rejected
    assert "failed" not in (record.get("status") or "")

    again = project_cli(proj, "plan", str(path))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout + again.stderr


# ----------------------------------------------------------------------------- the runtime's rule


def test_the_limits_are_dynamodbs() -> None:
    assert (MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES) == (2048, 1024)


def test_each_key_role_has_its_limit() -> None:
    spec = ItemSpec.of("v", "T", [AttributeSpec("PK", "S"), AttributeSpec("SK", "S"), AttributeSpec("G", "S"),
                                  AttributeSpec("GS", "B")], ["PK", "SK"])
    description = {"GlobalSecondaryIndexes": [{"IndexName": "i", "KeySchema": [
        {"AttributeName": "G", "KeyType": "HASH"}, {"AttributeName": "GS", "KeyType": "RANGE"}]}]}
    specs = spec.with_index_keys(index_key_roles(description)).attributes
    by_name = {s.name: s for s in specs}
    assert [by_name[n].max_key_bytes for n in ("PK", "SK", "G", "GS")] == [2048, 1024, 2048, 1024]
    ok = {"PK": "p" * 2048, "SK": "s" * 1024, "G": "g" * 2048, "GS": b"x" * 1024}
    assert set(to_item(ok, specs)) == set(ok)
    for name, value in (("PK", "p" * 2049), ("SK", "s" * 1025), ("G", "g" * 2049), ("GS", b"x" * 1025),
                        ("SK", "é" * 513)):
        try:
            to_item({**ok, name: value}, specs)
        except RowRejected as exc:
            assert (exc.reason, exc.attribute) == ("key_too_long", name)
        else:
            raise AssertionError(f"{name} of {len(value)} accepted")


def test_a_key_that_sorts_an_index_and_partitions_another_gets_the_stricter_limit() -> None:
    description = {"GlobalSecondaryIndexes": [
        {"IndexName": "a", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]},
        {"IndexName": "b", "KeySchema": [{"AttributeName": "y", "KeyType": "HASH"},
                                         {"AttributeName": "x", "KeyType": "RANGE"}]}]}
    assert index_key_roles(description) == {"x": "RANGE", "y": "HASH"}
    spec = ItemSpec.of("v", "T", [AttributeSpec("PK", "S"), AttributeSpec("x", "S")], ["PK"])
    (_, marked) = spec.with_index_keys(index_key_roles(description)).attributes
    assert marked.index_key and marked.sort_key and marked.max_key_bytes == 1024
    (_, plain) = spec.with_index_keys({"x"}).attributes   # names alone: partition keys
    assert plain.index_key and not plain.sort_key
