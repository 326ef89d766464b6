"""Writing a file atomically: a reader, or a process that dies mid-write, sees the old
content or the new one, never part of either.

The content goes to a new temporary file beside the target (same folder, so the same file
system), which `os.replace` then moves onto the target in one step. Used by the state
file, the sandbox record and the local Glue runtime's job, connection and run files.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path, data: str | bytes, *, mode: int | None = None, durable: bool = False) -> Iterator[Path]:
    """Write `data` (text as UTF-8) to a temporary file beside `path`, run the block, then
    move the file onto `path`; yields the temporary file's path.

    The block runs while the new content is complete but not yet in place (the state store
    keeps its backup then). If the block or the write fails, the temporary file goes and
    `path` is untouched.

    `mode`: the file's exact permission bits; None creates it as `open()` would (0o666
    less the umask). `durable`: fsync the file before the move and the folder after it, so
    the new content also survives a power loss, not only a killed process.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None, durable: bool = False) -> None:
    """Replace `path`'s content with `data` in one step (see `replacing`)."""
    with replacing(path, data, mode=mode, durable=durable):
        pass
