"""Checkpoints as safetensors: weights without pickle, for models that are shipped or shared.

A safetensors file is a JSON header and raw tensors; loading it runs no code
at all (no ``pickle``, not even ``torch.load``'s restricted one). irstlabel
writes the same facts a ``.pt`` checkpoint holds into the header's string
metadata (``format``, ``version``, ``model``, ``inference``, ``train``,
``metrics``, each JSON) and, by default, stores floating-point weights as
fp16: half the size, and on the starter model the masks on SIRST test frames
moved by 0.02 IoU points at most (docs/benchmarks.md). Loading gives float32
weights and the same dict :func:`~irstlabel.model.checkpoint.load_checkpoint`
returns for a ``.pt`` file, so every path treats both alike.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import torch

from ..core.errors import IrstlabelError
from ..core.io import write_bytes_atomic
from .config import ISPANetConfig

__all__ = ["save_safetensors", "load_safetensors", "is_safetensors", "SECTIONS"]

SECTIONS = ("model", "inference", "train", "metrics", "provenance")
MAX_HEADER = 16 << 20


def is_safetensors(path: Path) -> bool:
    """Whether the file starts like a safetensors file (a little-endian header length, then '{')."""
    with open(path, "rb") as handle:
        head = handle.read(9)
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= MAX_HEADER


def save_safetensors(path: str | os.PathLike, *, model_config: ISPANetConfig, state_dict: dict,
                     dtype: torch.dtype = torch.float16, **sections) -> None:
    """Write weights and settings atomically; floating-point tensors are stored as `dtype`."""
    from safetensors.torch import save

    from .checkpoint import FORMAT, VERSION

    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}; valid: {', '.join(SECTIONS)}")
    tensors = {name: (value.detach().cpu().to(dtype) if value.is_floating_point() else value.detach().cpu()).contiguous()
               for name, value in state_dict.items()}
    metadata = {"format": FORMAT, "version": str(VERSION), "model": json.dumps(model_config.to_dict())}
    metadata.update({key: json.dumps(value) for key, value in sections.items() if value is not None})
    write_bytes_atomic(path, save(tensors, metadata=metadata))


def load_safetensors(path: Path) -> dict:
    """The checkpoint dict of a safetensors file (float32 weights); one line naming the file on any problem."""
    from safetensors import safe_open

    from .checkpoint import FORMAT, VERSION

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            state_dict = {name: handle.get_tensor(name) for name in handle.keys()}
    except Exception as exc:  # safetensors raises its own error types, and OSError
        raise IrstlabelError(path, f"not a readable safetensors file ({str(exc).splitlines()[0][:120]})") from None
    if metadata.get("format") != FORMAT or "model" not in metadata:
        raise IrstlabelError(path, "not an irstlabel ISPANet model (its safetensors header names no irstlabel format)")
    data = {"format": FORMAT, "weights_file": "safetensors"}
    try:
        data["version"] = int(metadata.get("version", "1"))
        for key in SECTIONS:
            if key in metadata:
                data[key] = json.loads(metadata[key])
    except ValueError as exc:
        raise IrstlabelError(path, f"invalid settings in the safetensors header: {exc}") from None
    if data["version"] > VERSION:
        raise IrstlabelError(path, f"checkpoint version {data['version']} is newer than this irstlabel ({VERSION})")
    data["state_dict"] = {name: t.float() if t.is_floating_point() else t for name, t in state_dict.items()}
    return data
