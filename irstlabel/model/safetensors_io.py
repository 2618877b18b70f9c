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
from pathlib import Path

import torch

from ..core.errors import IrstlabelError
from ..core.io.files import write_bytes_atomic
from ..core.models.checkpoint_header import FORMAT, SECTIONS, VERSION, is_safetensors, read_model_header
from .config import ISPANetConfig

__all__ = ["save_safetensors", "load_safetensors", "is_safetensors", "SECTIONS"]


def save_safetensors(path: str | os.PathLike, *, model_config: ISPANetConfig, state_dict: dict,
                     dtype: torch.dtype = torch.float16, **sections) -> None:
    """Write weights and settings atomically; floating-point tensors are stored as `dtype`."""
    from safetensors.torch import save

    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}; valid: {', '.join(SECTIONS)}")
    tensors = {name: (value.detach().cpu().to(dtype) if value.is_floating_point() else value.detach().cpu()).contiguous()
               for name, value in state_dict.items()}
    metadata = {"format": FORMAT, "version": str(VERSION), "model": json.dumps(model_config.to_dict())}
    metadata.update({key: json.dumps(value) for key, value in sections.items() if value is not None})
    write_bytes_atomic(path, save(tensors, metadata=metadata))


def load_safetensors(path: Path) -> dict:
    """The checkpoint dict of a safetensors file (float32 weights); one line naming the file on any problem.

    The settings come from the header (:func:`irstlabel.core.models.checkpoint_header.read_model_header`,
    the one reader), the tensors from safetensors.
    """
    from safetensors import safe_open

    data = {**read_model_header(path), "weights_file": "safetensors"}
    try:
        with safe_open(str(path), framework="pt") as handle:
            state_dict = {name: handle.get_tensor(name) for name in handle.keys()}
    except Exception as exc:  # safetensors raises its own error types, and OSError
        raise IrstlabelError(path, f"not a readable safetensors file ({str(exc).splitlines()[0][:120]})") from None
    data["state_dict"] = {name: t.float() if t.is_floating_point() else t for name, t in state_dict.items()}
    return data
