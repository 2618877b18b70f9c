"""Exclusive locks on files in a project folder: one writer per project, one training job.

An exclusive ``flock`` on a small file. The kernel drops it when its process
dies (even by ``kill -9``), so a stale lock is taken over without guessing; the
file records who holds it (pid, host, time) so that a refused second process
can say who.

The lock file is opened without following symbolic links (``O_NOFOLLOW``) and
must be a regular file with one link: a symlink, a hard link, a folder or a
device at its place is refused with one line, and nothing it points to is
read, created or written.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from pathlib import Path

import errno

from ..core.errors import IrstlabelError, LockBusy, NotWritable
from ..core.io.jsonio import to_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["LockFile", "WriterLock"]


class LockFile:
    """An exclusive, non-blocking lock on `path`; `busy` words the refusal (``{holder}`` filled in)."""

    def __init__(self, path: Path, busy: str):
        self.path = Path(path)
        self.busy = busy
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = _open_regular(self.path)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
                os.close(fd)
                raise LockBusy(self.path.parent, self.busy.format(holder=_describe(holder))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, to_json({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
        return False


class WriterLock(LockFile):
    """One writer per project: ``<project>/lock``."""

    def __init__(self, folder: Path):
        super().__init__(Path(folder) / "lock", "project is open for writing by another process ({holder})")


def _open_regular(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as exc:
        if path.is_symlink():
            raise IrstlabelError(path, "is a symbolic link; a lock file must be a regular file (not followed)") from None
        if path.is_dir():
            raise IrstlabelError(path, "is a folder; a lock file must be a regular file") from None
        kind = NotWritable if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC) else IrstlabelError
        raise kind(path, f"lock file cannot be opened ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        kind = "has other hard links" if stat.S_ISREG(info.st_mode) else "is not a regular file"
        raise IrstlabelError(path, f"{kind}; a lock file must be a regular file of its own (not used)")
    return fd


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"]))
        host = f" on {info['host']}" if "host" in info else ""
        return f"pid {info['pid']}{host} since {since}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"
