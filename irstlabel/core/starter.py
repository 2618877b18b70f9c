"""Where the shipped starter model lies (no torch here: the GUI asks too).

``resources/models/ispanet-sirst-v1.safetensors`` -- ISPANet (c = 64) trained
on SIRST v1 with the CPU recipe of ``scripts/train_starter.py`` -- with its
model card beside it (``.md``). It is the default model wherever none is
given: ``irstlabel predict DATASET``, ``irstlabel evaluate DATASET``, the
GUI's first predictions and Retrain's fine-tuning.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from .resources import resource_folder

__all__ = ["STARTER_NAME", "STARTER_FILE", "starter_path", "starter_card", "starter_available", "starter_checkpoint",
           "safetensors_metadata"]

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


def safetensors_metadata(path: Path) -> dict:
    """The JSON-decoded string metadata of a safetensors header (no tensors read, no torch)."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        if length > 16 << 20:
            raise ValueError(f"{path}: safetensors header of {length} bytes")
        header = json.loads(handle.read(length))
    decoded = {}
    for key, value in (header.get("__metadata__") or {}).items():
        try:
            decoded[key] = json.loads(value)
        except ValueError:
            decoded[key] = value
    return decoded


def starter_checkpoint() -> dict | None:
    """The starter as the GUI lists checkpoints (name, path, model config), or None when not installed."""
    if not starter_available():
        return None
    try:
        metadata = safetensors_metadata(starter_path())
    except (OSError, ValueError, struct.error):
        return None
    return {"name": STARTER_NAME, "path": str(starter_path()), "config": metadata.get("model") or {},
            "metrics": metadata.get("metrics")}
