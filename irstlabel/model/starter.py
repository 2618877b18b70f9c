"""The starter model as a checkpoint: the default wherever no checkpoint is given."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.errors import IrstlabelError
from ..core.models.starter import STARTER_NAME, starter_path

__all__ = ["resolve_checkpoint"]


def resolve_checkpoint(path: str | os.PathLike | None) -> Path:
    """`path`, or the starter model for None or ``"starter"``; a missing starter is one line saying what to do."""
    if path is not None and str(path) != STARTER_NAME:
        return Path(path)
    starter = starter_path()
    if not starter.is_file():
        raise IrstlabelError(starter, "the starter model is missing from this installation; give a checkpoint, "
                                      "or rebuild it with scripts/train_starter.py")
    return starter
