"""Fixtures of the pattern tests (the session sandbox and `mysql_db` come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from migrator.sandbox import lifecycle
from tests.patterns.support import PatternDB


@pytest.fixture
def pdb(sandbox: lifecycle.SandboxRecord, mysql_db: str) -> Iterator[PatternDB]:
    """A fresh database with every pattern table, its schema as describe_schema gives it, and the server."""
    db = PatternDB(sandbox, mysql_db)
    try:
        yield db
    finally:
        db.close()
