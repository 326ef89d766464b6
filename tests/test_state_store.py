"""The state file is never missing: a process killed at any point of a write leaves the old
or the new version, with the same lineage, and the backup holds the version before.

Each kill is real: the write runs in a child process that ends itself with os._exit at
the chosen rename, so nothing after that point runs (no finally, no flush).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator.state.model import State
from migrator.state.store import StateStore

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys
from pathlib import Path
from migrator.state.store import StateStore

store = StateStore(Path(sys.argv[1]))
stop_before = int(sys.argv[2])            # die just before the N-th rename of this write
real_replace, calls = os.replace, [0]

def replace(src, dst, *a, **k):
    calls[0] += 1
    if calls[0] == stop_before:
        os._exit(9)
    return real_replace(src, dst, *a, **k)

os.replace = replace
store.write(store.read())
os._exit(0)
"""


def _seed(folder: Path) -> State:
    store = StateStore(folder)
    first = store.write(State.new())
    return store.write(first)  # serial 2, a backup exists


@pytest.mark.parametrize("stop_before", [1, 2, 3])
def test_a_kill_at_any_rename_keeps_the_state_file_and_its_lineage(tmp_path: Path, stop_before: int) -> None:
    before = _seed(tmp_path)
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), str(stop_before)],
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 9), done.stderr
    store = StateStore(tmp_path)
    assert store.path.exists()
    after = store.read()
    assert after.lineage == before.lineage
    assert after.serial in (before.serial, before.serial + 1)
    backup = json.loads(store.backup_path.read_text())
    assert backup["lineage"] == before.lineage and backup["serial"] in (before.serial - 1, before.serial)


CONTEND = r"""
import sys, time
from pathlib import Path
from migrator.state.store import StateLocked, StateStore
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # everyone starts at the same instant
try:
    with StateStore(Path(sys.argv[1])).lock("apply"):
        print("won", flush=True)
        release = Path(sys.argv[1]) / "release"
        while not release.exists():  # hold until the test has seen every other racer lose
            time.sleep(0.01)
except StateLocked as exc:
    print("lost:", exc, flush=True)
"""


def test_a_lock_left_by_a_killed_run_is_taken_by_exactly_one_of_many(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", CONTEND, str(tmp_path), "0"], stdout=subprocess.PIPE, text=True,
                              env=env)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "won"
    holder.kill()  # SIGKILL: no cleanup, the lock file stays behind
    holder.wait()
    assert (tmp_path / "migrator.lock").exists() and StateStore(tmp_path).lock_info() is None

    at = time.time() + 1.0
    racers = [subprocess.Popen([sys.executable, "-c", CONTEND, str(tmp_path), str(at)], stdout=subprocess.PIPE,
                               text=True, env=env) for _ in range(6)]
    firsts = [r.stdout.readline().strip() for r in racers if r.stdout is not None]
    (tmp_path / "release").touch()
    for racer in racers:
        racer.communicate(timeout=60)
    assert sum(line == "won" for line in firsts) == 1, firsts
    losers = [line for line in firsts if line != "won"]
    assert all(o.startswith("lost: the state in") and "is locked by" in o and "lock ID" in o for o in losers), losers
