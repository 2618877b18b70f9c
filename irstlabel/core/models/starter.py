"""Where the shipped starter model lies (no torch here: the GUI asks too).

``resources/models/ispanet-sirst-v1.safetensors`` -- ISPANet (c = 64) trained
on SIRST v1 with the CPU recipe of ``scripts/train_starter.py`` -- with its
model card beside it (``.md``). It is the default model wherever none is
given: ``irstlabel predict DATASET``, ``irstlabel evaluate DATASET``, the
GUI's first predictions and Retrain's fine-tuning.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import IrstlabelError
from ..io.resources import resource_folder
from .checkpoint_header import read_model_header

__all__ = ["STARTER_NAME", "STARTER_FILE", "starter_path", "starter_card", "starter_available", "starter_checkpoint"]

STARTER_NAME = "starter"  # the prediction set, job and checkpoint name of the shipped model
STARTER_FILE = "ispanet-sirst-v1.safetensors"


def starter_path() -> Path:
    """The starter model file (``$IRSTLABEL_STARTER_DIR`` overrides the installed ``models`` folder)."""
    override = os.environ.get("IRSTLABEL_STARTER_DIR")
    if override:
        return Path(override) / STARTER_FILE
    folder = resource_folder()
    return (folder if folder is not None else Path("resources")) / "models" / STARTER_FILE


def starter_card() -> Path:
    """The model card (data, split, command, seed, wall time, test figures, licence)."""
    return starter_path().with_suffix(".md")


def starter_available() -> bool:
    return starter_path().is_file()


def starter_checkpoint() -> dict | None:
    """The starter as the GUI lists checkpoints (name, path, model config), or None when not installed."""
    if not starter_available():
        return None
    try:
        metadata = read_model_header(starter_path())
    except IrstlabelError:
        return None
    return {"name": STARTER_NAME, "path": str(starter_path()), "config": metadata.get("model") or {},
            "metrics": metadata.get("metrics")}
