"""Attribute names as MySQL sees them: an attribute name is a column of the entity's view before it is
an attribute of an item. `migrator validate` refuses what MySQL would refuse at apply (names that
differ only in case: 1060; trailing white space or over 64 characters: 1166; an emoji: 1300), with the
JSON path and a rename that works; and what it refuses is exactly what the sandbox's real MariaDB
refuses, checked there name by name."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pymysql
import pytest

from migrator.contract.document import check_contract
from migrator.findings import Severity
from migrator.sandbox import lifecycle
from tests.helpers import run_cli

LONG = "order_fulfilment_centre_" + "x" * 41             # 65 characters


def single(names: list[str]) -> dict[str, Any]:
    attrs = [{"name": n, "type": "S", "source_table": "users", "source_column": "email"} for n in names]
    return {"tables": [{"table": "Users", "type": "single-entity", "source_table": "users", "pk": "id",
                        "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "attributes": [
                            {"name": "id", "type": "N", "source_table": "users", "source_column": "id"}, *attrs]}]}


def multi(names: list[str], pk: str = "PK") -> dict[str, Any]:
    """A multi-entity table whose key attributes come from the entity's templates."""
    attrs = [{"name": n, "type": "S", "source_table": "users", "source_column": "email"} for n in names]
    return {"tables": [{"table": "App", "type": "multi-entity", "source_table": "users", "pk": pk, "sk": "SK",
                        "satisfies": ["AP1"], "estimated_item_size_bytes": 64, "entities": [
                            {"entity_type": "USER", "source_table": "users", "pk_template": "USER#{id}",
                             "sk_template": "#META", "attributes": attrs}]}]}


#: (contract, JSON path of the finding, words of its sentence)
REFUSED = {
    "case": (single(["email", "EMAIL"]), "$.tables[0].attributes[2].name", "differ only in case"),
    "case of id": (single(["ID"]), "$.tables[0].attributes[1].name", "differ only in case"),
    "trailing space": (single(["email "]), "$.tables[0].attributes[1].name", "ends with white space"),
    "trailing tab": (single(["email\t"]), "$.tables[0].attributes[1].name", "ends with white space"),
    "leading space": (single([" email"]), "$.tables[0].attributes[1].name", "starts with white space"),
    "65 characters": (single([LONG]), "$.tables[0].attributes[1].name", "65 characters"),
    "emoji": (single(["rocket🚀"]), "$.tables[0].attributes[1].name", "Basic Multilingual Plane"),
    "key of a template": (multi(["pk", "email"]), "$.tables[0].entities[0].attributes[0].name",
                          "differ only in case"),
    "key name with a space": (multi(["email"], pk="PK "), "$.tables[0].pk", "ends with white space"),
}
#: names MySQL tells apart or accepts, though they look alike or long
ACCEPTED = {
    "accents": single(["resume", "résumé"]),
    "sharp s": single(["strasse", "straße"]),
    "64 characters": single([LONG[:64]]),
    "64 letters of two bytes": single(["é" * 64]),
    "inner spaces and dots": single(["first name", "a.b"]),
}


def validate(tmp_path: Path, doc: dict[str, Any]) -> Any:
    path = tmp_path / f"c{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return run_cli({}, tmp_path, "validate", str(path))


def _lines(out: Any) -> list[str]:
    return [line for line in (out.stdout + out.stderr).splitlines() if line.lower().startswith("error")]


def _suggested(line: str) -> str:
    found = re.search(r"e\.g\. `([^`]*)`", line)
    assert found, f"no rename suggested in: {line}"
    return found.group(1)


def _rename(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    """`doc` with the name at `path` (an attribute's name or the table's pk) replaced."""
    doc = json.loads(json.dumps(doc))
    table = doc["tables"][0]
    if path == "$.tables[0].pk":
        table["pk"] = name
        return doc
    index = [int(i) for i in re.findall(r"\[(\d+)\]", path)]
    attrs = table["entities"][index[1]]["attributes"] if "entities" in path else table["attributes"]
    attrs[index[-1]]["name"] = name
    return doc


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_validate_refuses_a_name_mysql_refuses_and_its_rename_passes(tmp_path: Path, case: str) -> None:
    doc, path, words = REFUSED[case]
    out = validate(tmp_path, doc)
    errors = _lines(out)
    assert out.returncode == 1 and len(errors) == 1, out.stdout + out.stderr
    assert path in errors[0] and words in errors[0] and "Traceback" not in out.stderr, errors
    fixed = validate(tmp_path, _rename(doc, path, _suggested(errors[0])))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_validate_accepts_names_mysql_tells_apart(tmp_path: Path, case: str) -> None:
    out = validate(tmp_path, ACCEPTED[case])
    assert out.returncode == 0, out.stdout + out.stderr


def _view_columns(doc: dict[str, Any]) -> list[str]:
    table = doc["tables"][0]
    if table["type"] == "single-entity":
        return [a["name"] for a in table["attributes"]]
    names = [a["name"] for a in table["entities"][0]["attributes"]]
    return [k for k in (table["pk"], table["sk"]) if k not in names] + names


def _mariadb_accepts(conn: pymysql.Connection, columns: list[str]) -> bool:
    """Whether MariaDB creates (and reads back, names unchanged) a view with these column names."""
    select = ", ".join(f"1 AS `{c.replace('`', '``')}`" for c in columns)
    with conn.cursor() as cur:
        try:
            cur.execute(f"CREATE OR REPLACE VIEW `v` AS SELECT {select} FROM `users`")
            cur.execute("SELECT * FROM `v`")
        except pymysql.MySQLError:
            return False
        return [d[0] for d in cur.description] == columns


def test_what_validate_refuses_is_what_mariadb_refuses(sandbox: lifecycle.SandboxRecord, mysql_db: str) -> None:
    """Independent of the lint: each refused set of view columns fails (or is renamed) on the real server,
    its suggested rename does not, and every accepted set is created as written."""
    conn = pymysql.connect(unix_socket=str(sandbox.mariadb.socket), user="root", database=mysql_db,
                           autocommit=True, charset="utf8mb4")
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(64))")
    for case, (doc, path, _) in sorted(REFUSED.items()):
        assert not _mariadb_accepts(conn, _view_columns(doc)), case
        (finding,) = [f for f in check_contract(doc) if f.severity is Severity.ERROR]
        fixed = _rename(doc, path, _suggested(finding.sentence()))
        assert _mariadb_accepts(conn, _view_columns(fixed)), case
    for case, doc in sorted(ACCEPTED.items()):
        assert _mariadb_accepts(conn, _view_columns(doc)), case
    conn.close()
