"""Checkpoints: a plain dict of tensors and JSON-able values, loaded with ``weights_only=True``.

A checkpoint holds ``format``, ``version``, ``model`` (the ISPANetConfig as a
dict), ``state_dict``, ``epoch``, ``metrics``, ``train`` (the training
configuration), ``inference`` (how it predicts: a scale or size, and a
threshold) and, for resuming, ``optimizer``. Loading never runs code:
anything that is not such a dict (a truncated file, another program's
checkpoint, a pickle carrying objects) is refused with a one-line message.
The same facts in a safetensors file (:mod:`.safetensors_io`, how models are
shipped) load into the same dict, without any pickle at all.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import torch

from ..core.errors import IrstlabelError
from ..core.io.files import write_bytes_atomic
from ..core.models.checkpoint_header import FORMAT, VERSION, is_safetensors
from .config import ISPANetConfig

__all__ = ["FORMAT", "save_checkpoint", "load_checkpoint", "model_from_checkpoint", "record_inference"]

REQUIRED = ("format", "version", "model", "state_dict")
MAX_CHECKPOINT_BYTES = 4 << 30


def save_checkpoint(path: str | os.PathLike, *, model_config: ISPANetConfig, state_dict: dict, **extra) -> None:
    """Write a checkpoint atomically (temporary file, fsync, rename)."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": model_config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        **extra,
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load and check a checkpoint; raises IrstlabelError naming the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise IrstlabelError(path, "checkpoint not found" if not path.exists() else "is not a file")
    if path.stat().st_size == 0:
        raise IrstlabelError(path, "empty file (0 bytes), not a checkpoint")
    from .safetensors_io import load_safetensors  # safetensors loads only for such files

    if is_safetensors(path):
        return _checked(path, load_safetensors(path))
    _refuse_zip_bomb(path)
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            head = handle.read(2)
        if head[:1] == b"\x80":
            raise IrstlabelError(path, "refused: a raw pickle file, which can carry code (irstlabel checkpoints are torch.save zip files)")
        if head != b"PK":
            raise IrstlabelError(path, "not a torch checkpoint (irstlabel checkpoints are torch.save zip files)")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "unsafe content"
        raise IrstlabelError(path, f"refused: the checkpoint carries pickled objects or code ({reason[:120]})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IrstlabelError(path, f"not a readable torch checkpoint (truncated or corrupt: {str(exc)[:100]})") from None
    return _checked(path, data)


def _checked(path: Path, data) -> dict:
    """The loaded dict, checked field by field, with ``model_config`` added."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or any(k not in data for k in REQUIRED):
        raise IrstlabelError(path, "not an irstlabel ISPANet checkpoint (missing format, model or state_dict)")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise IrstlabelError(path, f"checkpoint version must be a whole number, got {version!r}")
    if version > VERSION:
        raise IrstlabelError(path, f"checkpoint version {version} is newer than this irstlabel ({VERSION})")
    if not isinstance(data["model"], dict):
        raise IrstlabelError(path, "invalid model settings in checkpoint: not a mapping")
    try:
        data["model_config"] = ISPANetConfig.from_dict(data["model"])
    except (TypeError, ValueError) as exc:
        raise IrstlabelError(path, f"invalid model settings in checkpoint: {exc}") from None
    _check_weights(path, data["state_dict"])
    for key in ("train", "inference"):
        _check_size(path, data, key)
    from .inference import InferenceSettings

    InferenceSettings.from_checkpoint(data, path)  # a bad scale or threshold is named now, not at the first frame
    return data


def _refuse_zip_bomb(path: Path) -> None:
    """torch.save stores tensors uncompressed: content far larger than the archive is a zip bomb."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the checks below name the problem
    size = path.stat().st_size
    if declared > max(8 * size, 64 << 20) or declared > MAX_CHECKPOINT_BYTES:
        raise IrstlabelError(path, f"refused: the archive declares {declared / 2**20:,.0f} MiB of content in "
                                   f"{size / 2**20:,.1f} MiB (a zip bomb, or not a checkpoint)")


def _check_weights(path: Path, state_dict) -> None:
    if not isinstance(state_dict, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state_dict.items()):
        raise IrstlabelError(path, "the weights (state_dict) are not a mapping of names to tensors")
    for name, tensor in state_dict.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise IrstlabelError(path, f"weight '{name}' holds NaN or infinite values")


def _check_size(path: Path, data: dict, key: str) -> None:
    section = data.get(key)
    if section is None:
        return
    size = section.get("size") if isinstance(section, dict) else None
    if size is None:
        return
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 16384 for v in size)):
        raise IrstlabelError(path, f"{key}.size must be two whole numbers of pixels from 16 to 16384, got {size!r}")


def load_weights(model, checkpoint: dict, path) -> None:
    """Load a checked checkpoint's weights into `model`; a mismatch is one line naming the file."""
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as exc:
        raise IrstlabelError(path, f"weights do not fit the model settings ({str(exc).splitlines()[0][:120]})") from None


def model_from_checkpoint(path: str | os.PathLike):
    """(model in eval mode, checkpoint dict) from a checkpoint file."""
    from .ispanet import ISPANet

    data = load_checkpoint(path)
    model = ISPANet(data["model_config"])
    load_weights(model, data, path)
    model.eval()
    return model, data


def record_inference(path: str | os.PathLike, inference: dict) -> None:
    """Replace a ``.pt`` checkpoint's ``inference`` section (rewritten atomically)."""
    data = load_checkpoint(path)
    data.pop("model_config", None)
    data["inference"] = inference
    buffer = io.BytesIO()
    torch.save(data, buffer)
    write_bytes_atomic(path, buffer.getvalue())
