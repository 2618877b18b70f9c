"""One training job per project, across processes: an exclusive flock on ``<project>/train.lock``."""

from __future__ import annotations

from pathlib import Path

from ..project.lock import LockFile


class TrainingLock(LockFile):
    def __init__(self, project_dir):
        super().__init__(Path(project_dir) / "train.lock", "a training job is already running for this project ({holder})")

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return super().__enter__()
