"""examples/chinook: a public sample database nobody on this project wrote (Luis Rocha's Chinook
music store, MIT licence), migrated end to end on the sandbox's MariaDB and moto.

Its MySQL script is loaded as its author ships it (only the lines that create and select its own
database are left out, so it loads into the test's database). Every item of every table is
compared with a model computed in Python from the raw rows of each MySQL table read alone (no SQL
join): joins, a chain through two tables, a self-join, aggregates, relational paths (a JSON list
through a link table, lines with their track's name, distinct customers and revenue across four
tables, a filtered count, a step back to the entity's own table), exact decimals, datetimes. Then
the plan is empty and destroy leaves nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql

from migrator.sandbox import lifecycle
from migrator.sandbox.load import load_sql
from tests.conftest import root_connection
from tests.helpers import aws, project, project_cli, scan_items

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chinook"
TABLES = ("Album", "Artist", "Customer", "Employee", "Genre", "Invoice", "InvoiceLine", "MediaType", "Playlist",
          "PlaylistTrack", "Track")


def load_chinook(sandbox: lifecycle.SandboxRecord, database: str, folder: Path) -> None:
    """The author's script from its first CREATE TABLE on (its DROP/CREATE DATABASE and USE name
    its own database; the test's is fresh)."""
    text = (EXAMPLE / "Chinook_MySql.sql").read_text(encoding="utf-8")
    script = folder / "chinook.sql"
    script.write_text(text[text.index("CREATE TABLE"):], encoding="utf-8")
    load_sql(sandbox, script, database)


def raw_rows(sandbox: lifecycle.SandboxRecord, database: str) -> dict[str, list[dict[str, Any]]]:
    conn = root_connection(sandbox, database)
    try:
        with conn.cursor(pymysql.cursors.DictCursor) as cur:
            out = {}
            for table in TABLES:
                cur.execute(f"SELECT * FROM `{table}`")
                out[table] = list(cur.fetchall())
            return out
    finally:
        conn.close()


def iso(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def present(item: dict[str, Any]) -> dict[str, Any]:
    """A NULL is an absent attribute."""
    return {k: v for k, v in item.items() if v is not None}


def model(raw: dict[str, list[dict[str, Any]]]) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every table's items by key, computed from the raw rows alone."""
    by_id = {t: {r[f"{t}Id"]: r for r in raw[t]} for t in ("Album", "Artist", "Genre", "MediaType", "Customer",
                                                           "Employee", "Track", "Invoice")}
    tracks = {}
    for t in raw["Track"]:
        album = by_id["Album"].get(t["AlbumId"])
        artist = by_id["Artist"].get(album["ArtistId"]) if album else None
        genre = by_id["Genre"].get(t["GenreId"])
        tracks[t["TrackId"]] = present({
            "TrackId": Decimal(t["TrackId"]), "Name": t["Name"],
            "AlbumId": None if t["AlbumId"] is None else Decimal(t["AlbumId"]),
            "Album": album["Title"] if album else None, "Artist": artist["Name"] if artist else None,
            "Genre": genre["Name"] if genre else None, "MediaType": by_id["MediaType"][t["MediaTypeId"]]["Name"],
            "Composer": t["Composer"], "Milliseconds": Decimal(t["Milliseconds"]), "UnitPrice": t["UnitPrice"]})
    staff = {}
    for e in raw["Employee"]:
        boss = by_id["Employee"].get(e["ReportsTo"])
        staff[e["EmployeeId"]] = present({
            "EmployeeId": Decimal(e["EmployeeId"]), "FullName": f"{e['FirstName']} {e['LastName']}",
            "Title": e["Title"], "Manager": boss["LastName"] if boss else None,
            "HireDate": iso(e["HireDate"]) if e["HireDate"] else None,
            "Customers": Decimal(sum(1 for c in raw["Customer"] if c["SupportRepId"] == e["EmployeeId"])),
            "ManagerName": f"{boss['FirstName']} {boss['LastName']}" if boss else None,
            "DirectReports": Decimal(sum(1 for r in raw["Employee"] if r["ReportsTo"] == e["EmployeeId"]))})
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in sorted(raw["InvoiceLine"], key=lambda r: r["InvoiceLineId"]):
        lines.setdefault(line["InvoiceId"], []).append(
            {"TrackId": Decimal(line["TrackId"]), "Track": by_id["Track"][line["TrackId"]]["Name"],
             "UnitPrice": line["UnitPrice"], "Quantity": Decimal(line["Quantity"])})
    invoices = {i["InvoiceId"]: present({
        "InvoiceId": Decimal(i["InvoiceId"]), "CustomerEmail": by_id["Customer"][i["CustomerId"]]["Email"],
        "InvoiceDate": iso(i["InvoiceDate"]), "Total": i["Total"], "Lines": lines.get(i["InvoiceId"], []),
        "LineCount": Decimal(len(lines.get(i["InvoiceId"], [])))}) for i in raw["Invoice"]}
    artists = {}
    for a in raw["Artist"]:     # artist -> albums -> tracks -> invoice lines -> invoices, followed row by row
        albums = {al["AlbumId"] for al in raw["Album"] if al["ArtistId"] == a["ArtistId"]}
        their = [t for t in raw["Track"] if t["AlbumId"] in albums]
        ids = {t["TrackId"] for t in their}
        sold = [ln for ln in raw["InvoiceLine"] if ln["TrackId"] in ids]
        rock = [t for t in their if t["GenreId"] in by_id["Genre"] and by_id["Genre"][t["GenreId"]]["Name"] == "Rock"]
        artists[a["ArtistId"]] = present({
            "ArtistId": Decimal(a["ArtistId"]), "Name": a["Name"], "Albums": Decimal(len(albums)),
            "Customers": Decimal(len({by_id["Invoice"][ln["InvoiceId"]]["CustomerId"] for ln in sold})),
            "Revenue": sum(ln["UnitPrice"] * ln["Quantity"] for ln in sold) if sold else None,
            "RockTracks": Decimal(len(rock))})
    playlists = {}
    for pl in raw["Playlist"]:  # playlist -> playlist_track -> track: many to many through the link table
        tracks_of = sorted((by_id["Track"][pt["TrackId"]] for pt in raw["PlaylistTrack"]
                            if pt["PlaylistId"] == pl["PlaylistId"]), key=lambda t: t["TrackId"])
        playlists[pl["PlaylistId"]] = present({
            "PlaylistId": Decimal(pl["PlaylistId"]), "Name": pl["Name"], "TrackCount": Decimal(len(tracks_of)),
            "Tracks": [{"TrackId": Decimal(t["TrackId"]), "Name": t["Name"], "Seconds": Decimal(t["Milliseconds"] // 1000)}
                       for t in tracks_of[:25]]})
    return {"ChinookTracks": tracks, "ChinookStaff": staff, "ChinookInvoices": invoices, "ChinookArtists": artists,
            "ChinookPlaylists": playlists}


KEYS = {"ChinookTracks": "TrackId", "ChinookStaff": "EmployeeId", "ChinookInvoices": "InvoiceId",
        "ChinookArtists": "ArtistId", "ChinookPlaylists": "PlaylistId"}


def test_chinook_migrates_exactly_then_plans_empty_and_destroys_clean(sandbox: lifecycle.SandboxRecord,
                                                                       mysql_db: str, tmp_path: Path) -> None:
    load_chinook(sandbox, mysql_db, tmp_path)
    proj = project(sandbox, mysql_db, tmp_path)
    contract = tmp_path / "contract.json"
    contract.write_text((EXAMPLE / "contract.json").read_text())
    done = project_cli(proj, "apply", str(contract), "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every check passed" in done.stdout, done.stdout

    want = model(raw_rows(sandbox, mysql_db))
    ddb = aws(proj["aws"], "dynamodb")
    for table, items in want.items():
        got = {int(i[KEYS[table]]): i for i in scan_items(ddb, table)}
        assert sorted(got) == sorted(items), table
        wrong = [k for k in items if got[k] != items[k]]
        assert not wrong, (table, len(wrong), [(got[k], items[k]) for k in wrong[:2]])
    by_album = scan_items(ddb, "ChinookTracks", "ByAlbum")
    assert len(by_album) == sum(1 for i in want["ChinookTracks"].values() if "AlbumId" in i)

    again = project_cli(proj, "plan", str(contract), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    gone = project_cli(proj, "destroy", "--auto-approve")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    for table, items in want.items():   # what goes is said with how much it holds (issue 24)
        assert f"dynamodb_table.{table} (held {len(items):,} items at its last check)" in gone.stdout, gone.stdout
    left = set(ddb.list_tables()["TableNames"]) & set(want)
    assert not left, left
    conn = root_connection(sandbox, mysql_db)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (mysql_db,))
        assert cur.fetchone() == (0,)
    conn.close()
    assert json.loads((proj["state"] / "migrator.state.json").read_text())["resources"] == {}
