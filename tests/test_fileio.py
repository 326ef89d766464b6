"""The one atomic file write: the target holds the old or the new content, never a mix, and
a failed write leaves neither a changed target nor a temporary file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from migrator.fileio import atomic_write, replacing


def test_replaces_the_content_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "doc.json"
    atomic_write(target, "old\n")
    atomic_write(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["doc.json"]


def test_the_mode_is_exact_or_follows_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        atomic_write(tmp_path / "private", "x", mode=0o644)
        atomic_write(tmp_path / "plain", "x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o600


def test_the_block_runs_before_the_move_and_a_failure_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, "v1")
    with replacing(target, "v2", durable=True) as tmp:
        assert target.read_text() == "v1" and tmp.read_text() == "v2" and tmp.parent == tmp_path
    assert target.read_text() == "v2"
    with pytest.raises(RuntimeError), replacing(target, "v3"):
        raise RuntimeError("the caller's step failed")
    assert target.read_text() == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
