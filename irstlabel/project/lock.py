"""One writer per project: an exclusive ``flock`` on ``<project>/lock``.

The kernel drops the lock when its process dies (even by ``kill -9``), so a
stale lock is taken over without any guessing; the file records who holds
it (pid, host, time) so that a refused second writer can say who.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from ..core.errors import IrstlabelError
from ..core.jsonio import to_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class WriterLock:
    def __init__(self, folder: Path):
        self.path = folder / "lock"
        self._handle = None

    def acquire(self) -> None:
        handle = open(self.path, "a+")
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise IrstlabelError(self.path.parent, f"project is open for writing by another process ({_describe(holder)})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(to_json({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            if fcntl is not None:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"]))
        return f"pid {info['pid']} on {info['host']} since {since}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"
