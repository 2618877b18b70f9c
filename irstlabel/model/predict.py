"""The one way irstlabel turns frames into probability maps with a trained ISPANet.

Every path that runs a model on frames goes through :func:`predict_probability`:
``irstlabel predict`` and ``irstlabel evaluate``, the GUI's prediction job, and
validation during training. A checkpoint records the size it predicts at
(:func:`inference_size`: its ``inference.size``, else its training size); the
frame is fill-resized to that size (as in training), predicted, and the map is
mapped back to the frame's own size. Evaluations score the 8-bit levels of
:func:`irstlabel.core.predictions.to_levels`, the same levels the cache keeps.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from ..core.curation import fill_resize, unfill_mask
from ..core.errors import IrstlabelError, display_path
from ..core.io import write_bytes_atomic, write_mask
from ..core.metrics import binarize
from ..core.paths import staged_folder
from ..core.predictions import to_levels
from .checkpoint import model_from_checkpoint
from .data import normalize_frame
from .runtime import autocast, resolve_device

__all__ = ["predict_probability", "inference_size", "Predictor", "write_predictions", "MAX_INFERENCE_PIXELS"]

MAX_INFERENCE_PIXELS = 2048 * 2560  # 4x the paper's 1280x1024 frames


@torch.no_grad()
def predict_probability(model: torch.nn.Module, frame: np.ndarray, *, size: tuple[int, int] | None,
                        device: torch.device, amp: bool = True, channels_last: bool = False) -> np.ndarray:
    """Probability map (float32, the frame's own shape) of `model` (in eval mode) on `frame`.

    With `size` the frame is fill-resized to it first and the map mapped back;
    with None the network sees the frame at its own size, up to
    :data:`MAX_INFERENCE_PIXELS` (an 8000x8000 frame at native size needed
    over 10 GB): larger inputs are refused with the size and the way out.
    """
    h, w = (frame.shape[0], frame.shape[1]) if size is None else tuple(size)
    if h * w > MAX_INFERENCE_PIXELS:
        raise IrstlabelError(None, f"a {w}x{h} network input is more than the {MAX_INFERENCE_PIXELS:,} pixels ISPANet "
                                   "is run on at once; predict at a smaller size (--size H W, e.g. the checkpoint's)")
    x = normalize_frame(frame)
    transform = None
    if size is not None:
        x, transform = fill_resize(x, tuple(size))
    tensor = torch.from_numpy(np.ascontiguousarray(x, np.float32))[None, None].to(device)
    if channels_last:
        tensor = tensor.contiguous(memory_format=torch.channels_last)
    with autocast(device, amp):
        logits = model(tensor)
    probability = torch.sigmoid(logits.float())[0, 0].cpu().numpy()
    return probability if transform is None else unfill_mask(probability, transform)


def inference_size(checkpoint: dict) -> tuple[int, int] | None:
    """The size a checkpoint predicts at: ``inference.size`` if recorded, else its training size."""
    size = (checkpoint.get("inference") or {}).get("size") or (checkpoint.get("train") or {}).get("size")
    return None if not size else (int(size[0]), int(size[1]))


class Predictor:
    """A model on a device, turning frames of any size into probability maps.

    Examples
    --------
    >>> from irstlabel.model.factory import create_model
    >>> p = Predictor(create_model(channels=16).eval(), device="cpu", size=(64, 64))
    >>> p(np.zeros((40, 50), np.uint8)).shape
    (40, 50)
    >>> p.levels(np.zeros((40, 50), np.uint8)).dtype
    dtype('uint8')
    """

    def __init__(self, model: torch.nn.Module, *, device: str = "auto", amp: bool = True,
                 size: tuple[int, int] | None = None):
        self.device = resolve_device(device)
        # channels-last: oneDNN and cuDNN convolutions are faster on it (CPU ~1.4x, measured)
        self.model = model.to(self.device).eval().to(memory_format=torch.channels_last)
        self.amp = amp
        self.size = None if size is None else (int(size[0]), int(size[1]))

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, *, device: str = "auto", size="checkpoint") -> "Predictor":
        """A predictor for a checkpoint file, at the checkpoint's inference size.

        `size`: ``"checkpoint"`` (default) for :func:`inference_size`, None for
        the frames' own size, or ``(H, W)``.
        """
        model, checkpoint = model_from_checkpoint(path)
        chosen = inference_size(checkpoint) if size == "checkpoint" else size
        return cls(model, device=device, size=chosen)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Probabilities (float32) at the frame's size."""
        return predict_probability(self.model, frame, size=self.size, device=self.device, amp=self.amp,
                                   channels_last=True)

    def levels(self, frame: np.ndarray) -> np.ndarray:
        """The 8-bit levels of the map: what the cache stores and evaluations score."""
        return to_levels(self(frame))


def write_predictions(
    predictor: Predictor,
    read_frame: Callable[[str], np.ndarray],
    frame_ids: Iterable[str],
    out_dir,
    *,
    threshold: float = 0.5,
    probabilities: bool = False,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Write ``<id>.png`` masks (0/255), and with `probabilities` ``<id>_prob.png`` (16-bit).

    Masks are the thresholded 8-bit levels, so they are exactly what the GUI
    draws and what evaluation counts. Returns the number of frames written;
    stops early when `should_stop()`.
    """
    with staged_folder(out_dir) as stage:  # a failed run leaves nothing; an earlier run's masks are never mixed in
        return _write_predictions(predictor, read_frame, frame_ids, stage, threshold, probabilities, progress,
                                  should_stop)


def _write_predictions(predictor, read_frame, frame_ids, out_dir: Path, threshold, probabilities, progress,
                       should_stop) -> int:
    written = 0
    for frame_id in frame_ids:
        if should_stop is not None and should_stop():
            break
        prob = predictor(read_frame(frame_id))
        write_mask(out_dir / f"{frame_id}.png", binarize(to_levels(prob), threshold))
        if probabilities:
            import cv2

            levels = np.clip(np.rint(prob * 65535.0), 0, 65535).astype(np.uint16)
            ok, png = cv2.imencode(".png", levels)
            if not ok:  # pragma: no cover
                raise IrstlabelError(out_dir, f"could not encode the probability map of {display_path(frame_id)}")
            write_bytes_atomic(out_dir / f"{frame_id}_prob.png", png.tobytes())
        written += 1
        if progress is not None:
            progress(written)
    return written
