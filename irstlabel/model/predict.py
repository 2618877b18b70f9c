"""The one way irstlabel turns frames into probability maps with a trained ISPANet.

Every path that runs a model on frames goes through :func:`probability_map`:
``irstlabel predict`` and ``irstlabel evaluate``, the GUI's prediction jobs,
the inference sweep and validation during training. A checkpoint records how
it predicts (:class:`~irstlabel.model.inference.InferenceSettings`: a scale
factor chosen on the validation split, or a fill size, and a threshold); the
frame is presented that way, predicted, and the map is brought back to the
frame's own size. Evaluations score the 8-bit levels of
:func:`irstlabel.core.predictions.to_levels`, the same levels the cache keeps.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import cv2
import numpy as np
import torch
from scipy.special import expit

from ..core.curation import fill_resize, unfill_mask
from ..core.errors import IrstlabelError, display_path
from ..core.io import write_bytes_atomic, write_mask
from ..core.metrics import binarize
from ..core.paths import staged_folder
from ..core.predictions import to_levels
from .checkpoint import model_from_checkpoint
from .data import normalize_frame
from .inference import MAX_INFERENCE_PIXELS, InferenceSettings
from .runtime import autocast, resolve_device

__all__ = ["predict_probability", "probability_map", "Predictor", "EagerRunner", "write_predictions",
           "MAX_INFERENCE_PIXELS"]


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


def probability_map(run: Callable[[np.ndarray], np.ndarray], frame: np.ndarray, settings: InferenceSettings) -> np.ndarray:
    """Probability map (float32, the frame's own shape) of a network runner on `frame`.

    `run` takes a float32 (1, 1, H, W) array and returns logits of that
    shape (:class:`EagerRunner`, or the OpenVINO runner). Without a scale or
    size the network sees the frame at its own size, up to
    :data:`MAX_INFERENCE_PIXELS` (an 8000x8000 frame at native size needed
    over 10 GB): larger inputs are refused with the size and the way out.
    """
    h, w = settings.network_shape(frame.shape[:2])
    if h * w > MAX_INFERENCE_PIXELS:
        raise IrstlabelError(None, f"a {w}x{h} network input is more than the {MAX_INFERENCE_PIXELS:,} pixels ISPANet "
                                   "is run on at once; predict at a smaller size (--size H W, e.g. the checkpoint's)")
    x, restore = _to_network(normalize_frame(frame), settings)
    logits = run(np.ascontiguousarray(x, np.float32)[None, None])
    return restore(expit(np.asarray(logits, np.float32)[0, 0]))


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


def predict_probability(model: torch.nn.Module, frame: np.ndarray, *, size: tuple[int, int] | None,
                        device: torch.device, amp: bool = True, channels_last: bool = False,
                        cpu_amp: bool = False) -> np.ndarray:
    """Probability map of `model` (in eval mode) on `frame`, fill-resized to `size` (None: its own size).

    The eager path of :func:`probability_map` (validation during training uses it).
    """
    settings = InferenceSettings(size=None if size is None else tuple(size))
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
                 backend: str | None = None, cpu_amp: bool = True):
        backend = backend or os.environ.get("IRSTLABEL_BACKEND", "").strip() or "auto"
        if backend not in BACKENDS:
            raise IrstlabelError(None, f"unknown prediction backend '{backend}'; valid: {', '.join(BACKENDS)}")
        self.device = resolve_device(device)
        # channels-last: oneDNN and cuDNN convolutions are faster on it (CPU ~1.4x, measured)
        self.model = model.to(self.device).eval().to(memory_format=torch.channels_last)
        self.amp = amp
        self.settings = settings or InferenceSettings(size=None if size is None else (int(size[0]), int(size[1])))
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
        return OpenVinoRunner(self.model)

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
                        backend: str | None = None) -> "Predictor":
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
        return cls(model, device=device, settings=settings, backend=backend)

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
