"""Reading and writing the state file: atomic replace, a backup of the previous version,
and an exclusive lock so two runs never write the same state."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from migrator.errors import MigratorError
from migrator.fileio import replacing
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
        """Write `state` with the next serial; the previous version stays as the backup."""
        self.directory.mkdir(parents=True, exist_ok=True)
        written = replace(state.with_lineage(), serial=state.serial + 1)
        text = json.dumps(written.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with replacing(self.path, text, durable=True):
            if self.path.exists():
                # The backup is a second name for the current file, so the state file itself is
                # never missing: a kill at any point leaves the old or the new version in place.
                backup_tmp = self.backup_path.with_name(self.backup_path.name + f".tmp{os.getpid()}")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(backup_tmp)
                os.link(self.path, backup_tmp)
                os.replace(backup_tmp, self.backup_path)
        return written

    @contextlib.contextmanager
    def lock(self, operation: str) -> Iterator[None]:
        """Exclusive for the run: an flock the kernel releases when the holder dies, however it dies.

        The file names the holder (who, pid, host, operation, since, ID) for the message the
        next run prints. `force-unlock` removes the file; a run that locked the removed file
        notices (its inode is no longer the path's) and tries again on the new one.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / LOCK_FILE
        info = {"id": str(uuid.uuid4()), "operation": operation, "pid": os.getpid(), "host": socket.gethostname(),
                "created": now(), "who": _user()}
        fd = _acquire(path, info, self.directory)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                if _same_file(fd, path):
                    path.unlink()  # still ours: nobody force-unlocked it meanwhile
            os.close(fd)  # releases the flock

    def lock_info(self) -> dict[str, object] | None:
        """The holder of the lock, or None when no live process holds it."""
        path = self.directory / LOCK_FILE
        if not path.exists():
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_lock(path)
        else:
            return None  # a file without a holder: its process died
        finally:
            os.close(fd)

    def force_unlock(self, lock_id: str) -> dict[str, object]:
        """Remove the lock whose ID is `lock_id` (as printed when it blocked a run)."""
        holder = self.lock_info()
        if holder is None:
            raise MigratorError(f"the state in {self.directory} is not locked")
        if holder.get("id") != lock_id:
            raise MigratorError(f"the lock on {self.directory} has ID {holder.get('id')}, not {lock_id}",
                                hint="copy the ID from the message that reported the lock")
        if holder.get("host") == socket.gethostname() and _alive(holder.get("pid")):
            raise MigratorError(f"the lock on {self.directory} is held by pid {holder.get('pid')}, which is still "
                                f"running {holder.get('operation')} on this machine; breaking it would let two runs "
                                "change the same state at once",
                                hint=f"wait for it, or stop it (`kill {holder.get('pid')}`): the lock goes with it")
        (self.directory / LOCK_FILE).unlink(missing_ok=True)
        return holder


def _acquire(path: Path, info: dict[str, object], directory: Path) -> int:
    """An fd holding the flock on the file that `path` names, with `info` written in it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateLocked(directory, _read_lock(path)) from None
        if not _same_file(fd, path):  # removed (force-unlock, or its holder's release) after we opened it
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        os.fsync(fd)
        return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


class StateLocked(MigratorError):
    """Another run holds the state; the message names it and says the truth about the lock: an flock
    goes with its process, so a run that died holds nothing and a run that holds it is alive."""

    def __init__(self, directory: Path, holder: dict[str, object]) -> None:
        self.holder = holder
        local = holder.get("host") == socket.gethostname()
        if local:
            hint = (f"wait for that run to finish; the lock goes when its process ends, however it ends (to stop it: "
                    f"`kill {holder.get('pid')}`)")
        else:
            hint = (f"wait for that run on {holder.get('host')} to finish; only if that machine is gone, run "
                    f"`migrator force-unlock {holder.get('id')}`")
        super().__init__(
            f"the state in {directory} is locked by {holder.get('who', '?')} (pid {holder.get('pid')} on "
            f"{holder.get('host')}, {holder.get('operation')} since {holder.get('created')}, lock ID {holder.get('id')})",
            hint=hint)


def _user() -> str:
    """Who holds a lock: the login name, else the account's, else its uid (never a bare number)."""
    name = os.environ.get("USER") or os.environ.get("LOGNAME")
    if name:
        return name
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def _alive(pid: object) -> bool:
    try:
        os.kill(int(str(pid)), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _read_lock(path: Path) -> dict[str, object]:
    """The holder's record; it is written right after the flock is taken, so wait a moment for it."""
    for _ in range(50):
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            time.sleep(0.02)
    return {}
