"""Names of generated resources: stable, valid, and short enough for each service."""

from __future__ import annotations

import hashlib
import re

MYSQL_IDENTIFIER_MAX = 64


def fold(text: str) -> str:
    """Lower-case, every run of non-alphanumerics folded to one '_'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def shorten(name: str, limit: int) -> str:
    """Names over `limit` keep a readable prefix and end in a stable hash of the whole name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{name[:limit - 11]}_{digest}"


def view_name(table: str, entity: str | None = None) -> str:
    """`ddb_<table>_view` or `ddb_<table>__<entity>_view` (docs/contract.md, Views)."""
    core = f"ddb_{fold(table)}" + (f"__{fold(entity)}" if entity else "")
    return shorten(f"{core}_view", MYSQL_IDENTIFIER_MAX)


def job_name(prefix: str, table: str) -> str:
    return shorten(f"{prefix}load-{re.sub(r'[^A-Za-z0-9_.-]+', '-', table)}", 255)
