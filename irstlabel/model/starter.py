"""The starter model shipped with irstlabel: ISPANet trained on SIRST v1, the default everywhere.

``resources/models/ispanet-sirst-v1.safetensors`` (fp16 weights, no pickle)
with its model card beside it. ``irstlabel predict DATASET`` without a
checkpoint, ``irstlabel evaluate DATASET``, the GUI's first predictions and
Retrain (fine-tuning) use it. ``scripts/train_starter.py`` reproduces it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ..core.errors import IrstlabelError

__all__ = ["STARTER_NAME", "starter_path", "starter_card", "resolve_checkpoint", "starter_available"]

STARTER_NAME = "starter"  # the prediction set and checkpoint name of the shipped model
STARTER_FILE = "ispanet-sirst-v1.safetensors"


def _models_folder() -> Path:
    override = os.environ.get("IRSTLABEL_STARTER_DIR")
    if override:
        return Path(override)
    return Path(str(resources.files("irstlabel.resources"))) / "models"


def starter_path() -> Path:
    """Where the starter model lies (``$IRSTLABEL_STARTER_DIR`` overrides the installed folder)."""
    return _models_folder() / STARTER_FILE


def starter_card() -> Path:
    return starter_path().with_suffix(".md")


def starter_available() -> bool:
    return starter_path().is_file()


def resolve_checkpoint(path: str | os.PathLike | None) -> Path:
    """`path`, or the starter model when None; a missing starter is one line saying how to get one."""
    if path is not None:
        return Path(path)
    starter = starter_path()
    if not starter.is_file():
        raise IrstlabelError(starter, "the starter model is missing from this installation; give a checkpoint, "
                                      "or rebuild it with scripts/train_starter.py")
    return starter
