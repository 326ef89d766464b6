"""A test-only switch that makes a built-in server die in the middle of one call.

    MIGRATOR_FAULT_CRASH="<tool>:<before|after>:<marker file>"

The server process exits at once (no reply, no cleanup, as if killed) when `tool` is
called: `before` doing its work, or `after` it and before answering, which is the hard
case for a caller that cannot see whether the effect happened. It fires once: the marker
file records that it did, so the restarted server behaves. Unset, it costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV = "MIGRATOR_FAULT_CRASH"
EXIT_CODE = 70


@dataclass(frozen=True)
class CrashFault:
    tool: str
    when: str
    marker: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> CrashFault | None:
        spec = environ.get(ENV, "")
        if not spec:
            return None
        tool, _, rest = spec.partition(":")
        when, _, marker = rest.partition(":")
        if not tool or when not in ("before", "after") or not marker:
            raise ValueError(f"{ENV} must be '<tool>:<before|after>:<marker file>', got {spec!r}")
        return cls(tool, when, Path(marker))

    def maybe_fire(self, tool: str, when: str) -> None:
        if tool != self.tool or when != self.when:
            return
        try:
            fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return  # fired already
        os.write(fd, f"{tool} {when} pid {os.getpid()}\n".encode())
        os.close(fd)
        os._exit(EXIT_CODE)
