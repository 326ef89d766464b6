"""A server's stderr, kept within a size: the process writes into a pipe, a thread copies what it
reads into `<name>.log` and, past `max_bytes`, moves the file to `<name>.log.1` (replacing the older
one) and starts again. So one server that floods its stderr costs at most twice `max_bytes` of disk
(a server once filled 70 GB in minutes when its stderr was the log file itself), and the pipe is
always drained, so the server never blocks on a full pipe either.

The thread ends when every write end of the pipe is closed: the client closes its own when the
server stops, the server's goes with its process.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import BinaryIO, TextIO

#: default cap of one server log file (the previous one is kept beside it)
MAX_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024


class BoundedLog:
    """The write end to give a server as its stderr, and the copier that bounds the file."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        self._reader: BinaryIO = os.fdopen(read_fd, "rb", buffering=0)
        #: what the server's stderr is (a text file object with a real descriptor, as stdio_client wants)
        self.stream: TextIO = os.fdopen(write_fd, "w", encoding="utf-8", errors="replace")
        self._out = open(path, "ab")  # noqa: SIM115 - held by the copier until the pipe ends
        self._size = self._out.tell()
        self._thread = threading.Thread(target=self._copy, name=f"log:{path.name}", daemon=True)
        self._thread.start()

    def note(self, line: str) -> None:
        """A line of migrator's own (a start marker), written in order with the server's output."""
        self.stream.write(line if line.endswith("\n") else line + "\n")
        self.stream.flush()

    def _copy(self) -> None:
        try:
            while True:
                chunk = self._reader.read(_CHUNK)
                if not chunk:
                    return
                if self._size + len(chunk) > self.max_bytes:
                    self._rotate()
                self._out.write(chunk)
                self._out.flush()
                self._size += len(chunk)
        except OSError:
            return   # the disk refused: the pipe is no longer drained into it, but the server must not die of it
        finally:
            self._reader.close()
            self._out.close()

    def _rotate(self) -> None:
        self._out.close()
        os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        self._out = open(self.path, "ab")  # noqa: SIM115 - the copier's file from here on
        self._out.write(f"--- rotated {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}: earlier output is in "
                        f"{self.path.name}.1\n".encode())
        self._size = self._out.tell()

    def close(self, wait: float = 0.2) -> None:
        """Close the client's write end; the copier finishes once the server's is closed too."""
        try:
            self.stream.close()
        except OSError:
            pass
        self._thread.join(wait)


def tail_lines(path: Path, limit: int = 40, max_bytes: int = 64 * 1024) -> list[str]:
    """The last non-empty lines of a log, reading at most its last `max_bytes` (a log may be large)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-limit:]
