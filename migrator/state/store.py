"""Reading and writing the state file: atomic replace, a backup of the previous version,
and an exclusive lock so two runs never write the same state."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from migrator.errors import MigratorError
from migrator.state.model import State, now

STATE_FILE = "migrator.state.json"
LOCK_FILE = "migrator.lock"


@dataclass(frozen=True)
class StateStore:
    directory: Path

    @property
    def path(self) -> Path:
        return self.directory / STATE_FILE

    @property
    def backup_path(self) -> Path:
        return self.directory / (STATE_FILE + ".backup")

    def read(self) -> State:
        if not self.path.exists():
            return State.new()
        try:
            doc = json.loads(self.path.read_text())
        except ValueError as exc:
            raise MigratorError(f"state file {self.path} is not valid JSON ({exc})",
                                hint=f"restore it from {self.backup_path}") from exc
        return State.from_json(doc, str(self.path))

    def write(self, state: State) -> State:
        """Write `state` with the next serial; the previous file becomes the backup."""
        self.directory.mkdir(parents=True, exist_ok=True)
        written = replace(state.with_lineage(), serial=state.serial + 1)
        text = json.dumps(written.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if self.path.exists():
            os.replace(self.path, self.backup_path)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return written

    @contextlib.contextmanager
    def lock(self, operation: str) -> Iterator[None]:
        """Exclusive for the run; a lock left by a dead process on this host is taken over."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / LOCK_FILE
        info = {"id": str(uuid.uuid4()), "operation": operation, "pid": os.getpid(), "host": socket.gethostname(),
                "created": now(), "who": os.environ.get("USER", "") or str(os.getuid())}
        for _ in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _read_lock(path)
                if holder.get("host") == socket.gethostname() and not _pid_alive(int(str(holder.get("pid") or 0))):
                    path.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                raise StateLocked(self.directory, holder) from None
            with os.fdopen(fd, "w") as fh:
                json.dump(info, fh)
            break
        try:
            yield
        finally:
            if _read_lock(path).get("id") == info["id"]:  # never remove a lock someone else took since
                path.unlink(missing_ok=True)

    def lock_info(self) -> dict[str, object] | None:
        path = self.directory / LOCK_FILE
        return _read_lock(path) if path.exists() else None

    def force_unlock(self, lock_id: str) -> dict[str, object]:
        """Remove the lock whose ID is `lock_id` (as printed when it blocked a run)."""
        holder = self.lock_info()
        if holder is None:
            raise MigratorError(f"the state in {self.directory} is not locked")
        if holder.get("id") != lock_id:
            raise MigratorError(f"the lock on {self.directory} has ID {holder.get('id')}, not {lock_id}",
                                hint="copy the ID from the message that reported the lock")
        (self.directory / LOCK_FILE).unlink(missing_ok=True)
        return holder


class StateLocked(MigratorError):
    """Another run holds the state; the message names it and how to break the lock."""

    def __init__(self, directory: Path, holder: dict[str, object]) -> None:
        self.holder = holder
        super().__init__(
            f"the state in {directory} is locked by {holder.get('who', '?')} (pid {holder.get('pid')} on "
            f"{holder.get('host')}, {holder.get('operation')} since {holder.get('created')}, lock ID {holder.get('id')})",
            hint=f"wait for that run to finish, or if it died, run `migrator force-unlock {holder.get('id')}`")


def _read_lock(path: Path) -> dict[str, object]:
    for _ in range(5):
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            time.sleep(0.02)  # being written right now
    return {}


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
