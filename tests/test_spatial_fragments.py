"""Spatial built-ins only compute a value from the row, so a fragment may use them (docs/contract.md,
"SQL fragments"): through the CLI on the sandbox's MariaDB, ST_X/ST_Y/ST_AsText of a POINT give the
coordinates and text the test inserted."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items

PLACES = [(1, 13.5, 52.25), (2, -0.125, 51.5), (3, 0.0, -33.75)]


def test_spatial_functions_in_fragments_load_the_coordinates(sandbox: lifecycle.SandboxRecord, mysql_db: str,
                                                              tmp_path: Path) -> None:
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE place (id INT PRIMARY KEY, loc POINT NOT NULL)")
        cur.executemany("INSERT INTO place VALUES (%s, POINT(%s, %s))", PLACES)
    conn.close()

    def case(then: str) -> dict[str, object]:
        return {"type": "case", "cases": [{"when": "place.id IS NOT NULL", "then": then}], "else": "NULL"}

    attrs = [{"name": "id", "type": "N", "source_table": "place", "source_column": "id"},
             {"name": "lon", "type": "N", "source_table": "place", "source_column": "loc",
              "calculation": case("ST_X(place.loc)")},
             {"name": "lat", "type": "N", "source_table": "place", "source_column": "loc",
              "calculation": case("ST_Y(place.loc)")},
             {"name": "wkt", "type": "S", "source_table": "place", "source_column": "loc",
              "calculation": case("ST_AsText(place.loc)")}]
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps({"tables": [{
        "table": "Places", "type": "single-entity", "source_table": "place", "pk": "id", "sk": None, "gsis": [],
        "satisfies": [], "estimated_item_size_bytes": 100, "attributes": attrs}]}))
    proj = project(sandbox, mysql_db, tmp_path)
    assert project_cli(proj, "validate", str(contract)).returncode == 0
    applied = project_cli(proj, "apply", "--auto-approve", str(contract))
    assert applied.returncode == 0, applied.stdout + applied.stderr

    def text(v: float) -> str:
        return format(Decimal(repr(v)).normalize(), "f") if v else "0"

    expected = sorted((i, Decimal(repr(x)), Decimal(repr(y)), f"POINT({text(x)} {text(y)})") for i, x, y in PLACES)
    stored = sorted((int(i["id"]), i["lon"], i["lat"], i["wkt"]) for i in scan_items(aws(proj["aws"], "dynamodb"),
                                                                                     "Places"))
    assert stored == expected
