"""The one way irstlabel turns frames into probability maps with a trained ISPANet.

Every path that runs a model on frames goes through :func:`probability_map`:
``irstlabel predict`` and ``irstlabel evaluate``, the GUI's prediction jobs,
the inference sweep and validation during training. A checkpoint records how
it predicts (:class:`~irstlabel.model.inference.InferenceSettings`: a scale
factor chosen on the validation split, or a fill size, and a threshold); the
frame is presented that way, predicted, and the map is brought back to the
frame's own size. Evaluations score the 8-bit levels of
:func:`irstlabel.core.datasets.predictions.to_levels`, the same levels the cache keeps.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable, Iterable

import cv2
import numpy as np
import torch
from scipy.special import expit

from ..core.curation.steps import fill_resize, unfill_mask
from ..core.errors import IrstlabelError, display_path
from ..core.io.files import write_bytes_atomic, write_mask
from ..core.metrics.evaluation import binarize
from ..core.io.paths import staged_folder
from ..core.datasets.predictions import to_levels
from .checkpoint import model_from_checkpoint
from .data import normalize_frame
from .inference import MAX_INFERENCE_PIXELS, InferenceSettings
from .runtime import autocast, default_threads, resolve_device

__all__ = ["predict_probability", "probability_map", "run_tiled", "tile_spans", "Predictor", "EagerRunner",
           "write_predictions", "MAX_INFERENCE_PIXELS"]


def _to_network(x: np.ndarray, settings: InferenceSettings):
    """The standardised frame as the network sees it, and how to bring a map back to the frame."""
    h, w = x.shape
    if settings.size is not None:
        resized, transform = fill_resize(x, tuple(settings.size))
        return resized, lambda out: unfill_mask(out, transform)
    nh, nw = settings.network_shape((h, w))
    if (nh, nw) == (h, w):
        return x, lambda out: out
    resized = cv2.resize(x, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return resized, lambda out: cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)


TILE_MARGIN = 96  # network-input pixels of context each tile predicts but does not keep


def probability_map(run: Callable[[np.ndarray], np.ndarray], frame: np.ndarray, settings: InferenceSettings, *,
                    max_pixels: int = MAX_INFERENCE_PIXELS, margin: int = TILE_MARGIN) -> np.ndarray:
    """Probability map (float32, the frame's own shape) of a network runner on `frame`.

    `run` takes a float32 (1, 1, H, W) array and returns logits of that
    shape (:class:`EagerRunner`, or the OpenVINO runner). The frame is
    standardised as a whole, resized as `settings` say, and run in one pass
    when that is at most `max_pixels`; a larger input is run in overlapping
    tiles of at most `max_pixels` each, every tile keeping only the part at
    least `margin` pixels from its inner edges (docs/choices.md, "Frames of
    any size"). No pass of the network ever exceeds `max_pixels`.
    """
    x, restore = _to_network(normalize_frame(frame), settings)
    logits = run_tiled(run, np.ascontiguousarray(x, np.float32), max_pixels=max_pixels, margin=margin)
    return restore(expit(logits))


def tile_spans(length: int, tile: int, margin: int) -> list[tuple[int, int, int, int]]:
    """(start, stop, keep_start, keep_stop) of overlapping tiles of `tile` pixels covering `length`.

    Kept parts abut and cover ``[0, length)``; each lies at least `margin`
    from its tile's edges except at the frame's own edges.

    Examples
    --------
    >>> tile_spans(10, 10, 2)
    [(0, 10, 0, 10)]
    >>> tile_spans(10, 6, 1)
    [(0, 6, 0, 5), (4, 10, 5, 10)]
    """
    if length <= tile:
        return [(0, length, 0, length)]
    if tile <= 2 * margin:
        raise ValueError(f"a tile of {tile} pixels cannot keep a margin of {margin} on both sides")
    spans, keep_start = [], 0
    while True:
        start = max(0, min(keep_start - margin, length - tile))
        stop = start + tile
        keep_stop = length if stop >= length else stop - margin
        spans.append((start, stop, keep_start, keep_stop))
        if keep_stop >= length:
            return spans
        keep_start = keep_stop


def tile_shape(shape: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """The tile (H, W) for an input of `shape`: the whole input if it fits, else tiles of at most `max_pixels`."""
    h, w = shape
    if h * w <= max_pixels:
        return h, w
    side = math.isqrt(max_pixels)
    side = side // 32 * 32 if side >= 64 else side  # whole cells of the network's stride-32 level where it can
    th = min(h, side)
    return th, min(w, max_pixels // th)


def run_tiled(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *, max_pixels: int = MAX_INFERENCE_PIXELS,
              margin: int = TILE_MARGIN) -> np.ndarray:
    """Logits (H, W) of `run` over the 2-D input `x`, in one pass or in overlapping tiles of <= `max_pixels`."""
    th, tw = tile_shape(x.shape, max_pixels)
    if (th, tw) == x.shape:
        return np.asarray(run(x[None, None]), np.float32)[0, 0]
    margin = min(margin, (min(th, tw) - 1) // 2)
    out = np.empty(x.shape, np.float32)
    for r0, r1, kr0, kr1 in tile_spans(x.shape[0], th, margin):
        for c0, c1, kc0, kc1 in tile_spans(x.shape[1], tw, margin):
            tile = np.asarray(run(np.ascontiguousarray(x[None, None, r0:r1, c0:c1])), np.float32)[0, 0]
            out[kr0:kr1, kc0:kc1] = tile[kr0 - r0 : kr1 - r0, kc0 - c0 : kc1 - c0]
    return out


class EagerRunner:
    """The model run by PyTorch itself (any device; bf16 autocast where asked and native)."""

    name = "torch"

    def __init__(self, model: torch.nn.Module, device: torch.device, *, amp: bool = True, cpu_amp: bool = False,
                 channels_last: bool = False):
        self.model, self.device, self.amp, self.cpu_amp, self.channels_last = model, device, amp, cpu_amp, channels_last

    @torch.no_grad()
    def __call__(self, x: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(x).to(self.device)
        if self.channels_last:
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        with autocast(self.device, self.amp, cpu=self.cpu_amp):
            logits = self.model(tensor)
        return logits.float().cpu().numpy()


def predict_probability(model: torch.nn.Module, frame: np.ndarray, *, settings: InferenceSettings,
                        device: torch.device, amp: bool = True, channels_last: bool = False,
                        cpu_amp: bool = False) -> np.ndarray:
    """Probability map of `model` (in eval mode) on `frame` at `settings`: the eager path of :func:`probability_map`.

    Validation during training uses it, at the scale the run trains at.
    """
    return probability_map(EagerRunner(model, device, amp=amp, cpu_amp=cpu_amp, channels_last=channels_last),
                           frame, settings)


BACKENDS = ("auto", "openvino", "torch")


class Predictor:
    """A model on a device, turning frames of any size into probability maps.

    `backend`: ``"torch"`` (eager PyTorch, any device), ``"openvino"`` (CPU,
    several times faster; the optional ``openvino`` package), or ``"auto"``:
    OpenVINO on a CPU when it is installed, else torch. None (the default)
    reads ``$IRSTLABEL_BACKEND``, else ``"auto"``. On a CPU, torch runs
    with bf16 autocast where the CPU has native bf16 (``cpu_amp``).

    Examples
    --------
    >>> from irstlabel.model.factory import create_model
    >>> p = Predictor(create_model(channels=16).eval(), device="cpu", size=(64, 64), backend="torch")
    >>> p(np.zeros((40, 50), np.uint8)).shape
    (40, 50)
    >>> p.levels(np.zeros((40, 50), np.uint8)).dtype
    dtype('uint8')
    """

    def __init__(self, model: torch.nn.Module, *, device: str = "auto", amp: bool = True,
                 size: tuple[int, int] | None = None, settings: InferenceSettings | None = None,
                 backend: str | None = None, cpu_amp: bool = True, precision: str = "auto"):
        backend = backend or os.environ.get("IRSTLABEL_BACKEND", "").strip() or "auto"
        if precision not in ("auto", "f32"):
            raise IrstlabelError(None, f"precision must be auto or f32, got '{precision}'")
        cpu_amp = cpu_amp and precision == "auto"
        self.precision = precision
        if backend not in BACKENDS:
            raise IrstlabelError(None, f"unknown prediction backend '{backend}'; valid: {', '.join(BACKENDS)}")
        self.device = resolve_device(device)
        # channels-last: oneDNN and cuDNN convolutions are faster on it (CPU ~1.4x, measured)
        self.model = model.to(self.device).eval().to(memory_format=torch.channels_last)
        self.amp = amp and precision == "auto"
        self.settings = settings or InferenceSettings(size=None if size is None else (int(size[0]), int(size[1])))
        self.threads = default_threads()  # the same for both backends
        if self.device.type == "cpu":
            torch.set_num_threads(self.threads)  # process-wide, as torch has it
        self.runner = self._runner(backend, cpu_amp)

    def _runner(self, backend: str, cpu_amp: bool):
        eager = EagerRunner(self.model, self.device, amp=self.amp, cpu_amp=cpu_amp, channels_last=True)
        if backend == "torch" or self.device.type != "cpu":
            if backend == "openvino":
                raise IrstlabelError(None, f"the openvino backend runs on the CPU only, not {self.device}")
            return eager
        from .openvino_backend import OpenVinoRunner, openvino_available

        if not openvino_available():
            if backend == "openvino":
                raise IrstlabelError(None, "the openvino backend needs the openvino package: pip install 'irstlabel[fast]'")
            return eager
        return OpenVinoRunner(self.model, threads=self.threads, precision=self.precision)

    @property
    def backend(self) -> str:
        return self.runner.name

    @property
    def size(self) -> tuple[int, int] | None:
        return self.settings.size

    @property
    def threshold(self) -> float:
        return self.settings.threshold

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike | None = None, *, device: str = "auto", size="checkpoint",
                        scale: float | None = None, threshold: float | None = None,
                        backend: str | None = None, precision: str = "auto") -> "Predictor":
        """A predictor for a checkpoint file (None: the shipped starter model), at its inference settings.

        `size`: ``"checkpoint"`` (default) for the checkpoint's settings, None
        for the frames' own size, or ``(H, W)`` to fill-resize to; `scale` and
        `threshold` override the checkpoint's.
        """
        from .starter import resolve_checkpoint

        path = resolve_checkpoint(path)
        model, checkpoint = model_from_checkpoint(path)
        recorded = InferenceSettings.from_checkpoint(checkpoint, path)
        try:
            settings = recorded.with_overrides(scale=scale, threshold=threshold, native=size is None,
                                               size=None if size == "checkpoint" else size)
        except ValueError as exc:
            raise IrstlabelError(None, str(exc)) from None
        return cls(model, device=device, settings=settings, backend=backend, precision=precision)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Probabilities (float32) at the frame's size."""
        return probability_map(self.runner, frame, self.settings)

    def levels(self, frame: np.ndarray) -> np.ndarray:
        """The 8-bit levels of the map: what the cache stores and evaluations score."""
        return to_levels(self(frame))


def write_predictions(
    predictor: Predictor,
    read_frame: Callable[[str], np.ndarray],
    frame_ids: Iterable[str],
    out_dir,
    *,
    threshold: float | None = None,
    probabilities: bool = False,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Write ``<id>.png`` masks (0/255), and with `probabilities` ``<id>_prob.png`` (16-bit).

    Masks are the thresholded 8-bit levels, so they are exactly what the GUI
    draws and what evaluation counts; `threshold` defaults to the predictor's
    (the checkpoint's). Returns the number of frames written; stops early when
    `should_stop()`.
    """
    threshold = predictor.threshold if threshold is None else threshold
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
