"""One training job per project, across processes: an exclusive flock on ``<project>/train.lock``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..core.errors import IrstlabelError
from ..core.jsonio import to_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class TrainingLock:
    def __init__(self, project_dir):
        self.path = Path(project_dir) / "train.lock"
        self._handle = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip() or "{}"
                handle.close()
                pid = json.loads(holder).get("pid", "?") if holder.startswith("{") else "?"
                raise IrstlabelError(self.path.parent, f"a training job is already running for this project (pid {pid})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(to_json({"pid": os.getpid(), "since": time.time()}))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc):
        if self._handle is not None:
            if fcntl is not None:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
        return False
