"""Which process a recorded PID really is: PID, kernel start time and boot ID.

A PID alone is reused by the OS, and a process's command line is no identity either: it
reads as the parent's (or as nothing) until `exec` has finished setting it up, so a
freshly spawned child can look like a stranger. The kernel fixes a task's start time at
`fork` and keeps it through `exec`; together with the boot ID it names one process for
the life of the machine. Shared by the sandbox and the built-in servers (no client code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class ProcessIdentity:
    pid: int
    start_ticks: int
    boot_id: str

    def to_doc(self) -> dict[str, Any]:
        return {"pid": self.pid, "start_ticks": self.start_ticks, "boot_id": self.boot_id}

    @classmethod
    def from_doc(cls, doc: Any) -> ProcessIdentity | None:
        """None for a missing or malformed record (an older file, a hand edit)."""
        if not isinstance(doc, dict):
            return None
        pid, ticks, boot = doc.get("pid"), doc.get("start_ticks"), doc.get("boot_id")
        if not (isinstance(pid, int) and pid > 0 and isinstance(ticks, int) and isinstance(boot, str)):
            return None
        return cls(pid, ticks, boot)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (after the command name, which may hold spaces and ')')."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    tail = text.rpartition(")")[2].split()
    return tail if len(tail) > 19 else None


def boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def identify(pid: int) -> ProcessIdentity | None:
    """The identity of `pid` now, or None if no such process exists."""
    if pid <= 0:
        return None
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return ProcessIdentity(pid=pid, start_ticks=int(fields[19]), boot_id=boot_id())


def is_running(identity: ProcessIdentity | None) -> bool:
    """The very process that was identified still runs (not exited, not a zombie, PID not reused)."""
    if identity is None:
        return False
    fields = _stat_fields(identity.pid)
    if fields is None or fields[0] in {"Z", "X", "x"}:
        return False
    return int(fields[19]) == identity.start_ticks and boot_id() == identity.boot_id
