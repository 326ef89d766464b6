"""`migrator apply` on a terminal: a live progress bar per running load, redrawn in place.

The CLI runs in a subprocess attached to a real pseudo-terminal (so rich sees a terminal, as a
person's shell would give it), against the real sandbox; the load is slowed by its write budget
so that it runs for several progress reads."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, scan_items

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, cwd=cwd,
                            env={**env, "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50"})
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:          # EIO: the terminal's other side closed (the process ended)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_apply_on_a_terminal_shows_a_live_bar_per_load(sandbox: lifecycle.SandboxRecord,
                                                       tiny: dict[str, Any]) -> None:
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO things VALUES (%s, %s, NULL)", [(i, f"n{i}") for i in range(4, 13)])
    conn.close()
    doc = json.loads(Path(tiny["contract"]).read_text())
    doc["tables"][0]["load"] = {"max_items_per_second": 2, "writers": 1}
    Path(tiny["contract"]).write_text(json.dumps(doc))

    code, screen = run_on_a_terminal([sys.executable, "-m", "migrator", "apply", str(tiny["contract"]),
                                      "--auto-approve"], tiny["env"], tiny["tmp"])
    assert code == 0, screen
    load = f"load.{tiny['table']}"
    frames = [line for line in ANSI.sub("", screen).replace("\r", "\n").splitlines() if line.startswith(load)
              and "━" in line]
    assert frames, screen                                   # a bar, not only event lines
    assert any("rows/s" in f and "/~" in f for f in frames), frames   # rate and the row estimate
    assert any("12 rows" in f or "12/~" in f for f in frames), frames  # the last frame: every row
    assert "\x1b[" in screen and ("\x1b[2K" in screen or re.search(r"\x1b\[\d*A", screen)), screen  # redrawn
    assert len(scan_items(aws(sandbox, "dynamodb"), tiny["table"])) == 12
