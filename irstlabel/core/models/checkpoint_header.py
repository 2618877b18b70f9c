"""The settings of a saved ISPANet model, read from a safetensors header without torch.

A safetensors file starts with an 8-byte little-endian length and a JSON
header; irstlabel keeps a model's facts in the header's string metadata
(``format``, ``version`` and the sections of :data:`SECTIONS`, each JSON). This
is the one reader of that header: :mod:`irstlabel.model` loads the weights
beside it, the GUI and the starter read the settings alone (no torch).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from ..errors import IrstlabelError

__all__ = ["FORMAT", "VERSION", "SECTIONS", "MAX_HEADER", "is_safetensors", "read_model_header"]

FORMAT = "irstlabel-ispanet"
VERSION = 1
SECTIONS = ("model", "inference", "train", "metrics", "provenance")
MAX_HEADER = 16 << 20


def is_safetensors(path: str | Path) -> bool:
    """Whether the file starts like a safetensors file (a little-endian header length, then '{')."""
    with open(path, "rb") as handle:
        head = handle.read(9)
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= MAX_HEADER


def read_model_header(path: str | Path) -> dict:
    """``format``, ``version`` and the decoded sections of an irstlabel model file's header.

    Raises
    ------
    IrstlabelError
        Naming the file: not a safetensors file, not an irstlabel model, a
        section that is not JSON, or a version newer than this irstlabel.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise IrstlabelError(path, "not a safetensors file (shorter than its header length)")
            (length,) = struct.unpack("<Q", head)
            if not 2 <= length <= MAX_HEADER:
                raise IrstlabelError(path, f"not a safetensors file (a header of {length} bytes)")
            header = json.loads(handle.read(length))
    except OSError as exc:
        raise IrstlabelError(path, f"cannot be read ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise IrstlabelError(path, f"not a readable safetensors file (its header is not JSON: {exc})") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT or "model" not in metadata:
        raise IrstlabelError(path, "not an irstlabel ISPANet model (its safetensors header names no irstlabel format)")
    data = {"format": FORMAT}
    try:
        data["version"] = int(metadata.get("version", "1"))
        for key in SECTIONS:
            if key in metadata:
                data[key] = json.loads(metadata[key])
    except (TypeError, ValueError) as exc:
        raise IrstlabelError(path, f"invalid settings in the safetensors header: {exc}") from None
    if data["version"] > VERSION:
        raise IrstlabelError(path, f"checkpoint version {data['version']} is newer than this irstlabel ({VERSION})")
    return data
