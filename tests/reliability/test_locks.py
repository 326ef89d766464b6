"""Two applies at once, and an apply while destroy runs: exactly one runs, the other stops
at once with a sentence naming the lock holder, and nothing is lost either way."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from migrator.sandbox import lifecycle
from tests.helpers import Emulator
from tests.reliability.support import (assert_loaded, assert_nothing_left, cli, cli_process, destroy_and_check,
                                       expected, project_env, shop_project)
from tests.shop_reference import CONTRACT

HOLDER = re.compile(r"the state in \S+ is locked by \S+ \(pid (\d+) on \S+, (\w+) since [^,]+, lock ID [0-9a-f-]{36}\)")


def test_two_applies_at_once_exactly_one_runs(sandbox: lifecycle.SandboxRecord, shop_db: str, emulator: Emulator,
                                              tmp_path: Path) -> None:
    proj = shop_project(sandbox, shop_db, tmp_path, emulator)
    procs = [cli_process(proj, "apply", str(CONTRACT), "--auto-approve") for _ in range(2)]
    outcomes = [(p.pid, *p.communicate(timeout=300), p.returncode) for p in procs]
    assert sorted(o[3] for o in outcomes) == [0, 1], outcomes
    (winner,) = [o for o in outcomes if o[3] == 0]
    (loser,) = [o for o in outcomes if o[3] == 1]
    match = HOLDER.search(loser[2])
    assert match and int(match.group(1)) == winner[0] and match.group(2) == "apply", loser[2]
    assert "Apply complete!" in winner[1]
    assert_loaded(proj, expected(sandbox, shop_db))
    destroy_and_check(sandbox, proj)


def test_an_apply_during_destroy_is_refused_naming_the_destroy(sandbox: lifecycle.SandboxRecord, shop_db: str,
                                                              emulator: Emulator, tmp_path: Path) -> None:
    """The destroy waits at its confirmation prompt (on a pseudo-terminal), holding the lock, as
    a person reading the list would; the apply meanwhile is refused; then the destroy goes on."""
    proj = shop_project(sandbox, shop_db, tmp_path, emulator)
    assert cli(proj, "apply", str(CONTRACT), "--auto-approve").returncode == 0
    terminal, tty = pty.openpty()
    destroying = subprocess.Popen([sys.executable, "-m", "migrator", "destroy"], stdin=tty, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=project_env(proj), cwd=proj["cwd"])
    os.close(tty)
    try:
        assert destroying.stdout is not None
        first = destroying.stdout.readline()  # printed under the lock, right before the prompt
        assert first.startswith("migrator will destroy:"), first + (destroying.stderr.read() if destroying.stderr
                                                                    else "")
        refused = cli(proj, "apply", str(CONTRACT), "--auto-approve")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        match = HOLDER.search(refused.stderr)
        assert match and int(match.group(1)) == destroying.pid and match.group(2) == "destroy", refused.stderr
        assert "Traceback" not in refused.stderr
        os.write(terminal, b"yes\n")
        out, err = destroying.communicate(timeout=300)
    finally:
        os.close(terminal)
        if destroying.poll() is None:
            destroying.kill()
    assert destroying.returncode == 0, out + err
    assert "Destroy complete!" in out
    assert_nothing_left(sandbox, proj)
