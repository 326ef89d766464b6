"""Fixtures of the reliability suite: the shop example seeded into a fresh database, and an
AWS emulator of the test's own (so a failure leaves nothing for the next test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.sandbox import lifecycle
from tests.helpers import Emulator, own_emulator
from tests.reliability.support import seed_shop


@pytest.fixture
def shop_db(sandbox: lifecycle.SandboxRecord, mysql_db: str) -> str:
    seed_shop(sandbox, mysql_db)
    return mysql_db


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    with own_emulator(tmp_path / "moto") as emu:
        yield emu
