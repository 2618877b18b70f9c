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

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

from ..core.errors import IrstlabelError, display_path
from ..core.io.files import write_bytes_atomic, write_mask
from ..core.metrics.evaluation import binarize
from ..core.io.paths import staged_folder
from ..core.datasets.predictions import to_levels
from .inference import MAX_INFERENCE_PIXELS, InferenceSettings
from .maps import TILE_MARGIN, normalize_frame, probability_map, run_tiled, tile_shape, tile_spans
from .threads import default_threads

if TYPE_CHECKING:
    import torch

__all__ = ["predict_probability", "probability_map", "run_tiled", "tile_spans", "tile_shape", "Predictor",
           "EagerRunner", "write_predictions", "MAX_INFERENCE_PIXELS", "TILE_MARGIN", "normalize_frame"]


class EagerRunner:
    """The model run by PyTorch itself (any device; bf16 autocast where asked and native)."""

    name = "torch"

    def __init__(self, model: "torch.nn.Module", device: "torch.device", *, amp: bool = True, cpu_amp: bool = False,
                 channels_last: bool = False):
        self.model, self.device, self.amp, self.cpu_amp, self.channels_last = model, device, amp, cpu_amp, channels_last

    def __call__(self, x: np.ndarray) -> np.ndarray:
        import torch

        from .runtime import autocast

        with torch.no_grad():
            tensor = torch.from_numpy(x).to(self.device)
            if self.channels_last:
                tensor = tensor.contiguous(memory_format=torch.channels_last)
            with autocast(self.device, self.amp, cpu=self.cpu_amp):
                logits = self.model(tensor)
            return logits.float().cpu().numpy()


def predict_probability(model: "torch.nn.Module", frame: np.ndarray, *, settings: InferenceSettings,
                        device: "torch.device", amp: bool = True, channels_last: bool = False,
                        cpu_amp: bool = False) -> np.ndarray:
    """Probability map of `model` (in eval mode) on `frame` at `settings`: the eager path of :func:`probability_map`.

    Validation during training uses it, at the scale the run trains at.
    """
    return probability_map(EagerRunner(model, device, amp=amp, cpu_amp=cpu_amp, channels_last=channels_last),
                           frame, settings)


BACKENDS = ("auto", "openvino", "torch")


def _check_options(backend: str | None, precision: str) -> str:
    backend = backend or os.environ.get("IRSTLABEL_BACKEND", "").strip() or "auto"
    if precision not in ("auto", "f32"):
        raise IrstlabelError(None, f"precision must be auto or f32, got '{precision}'")
    if backend not in BACKENDS:
        raise IrstlabelError(None, f"unknown prediction backend '{backend}'; valid: {', '.join(BACKENDS)}")
    return backend


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

    def __init__(self, model: "torch.nn.Module", *, device: str = "auto", amp: bool = True,
                 size: tuple[int, int] | None = None, settings: InferenceSettings | None = None,
                 backend: str | None = None, cpu_amp: bool = True, precision: str = "auto"):
        import torch

        from .runtime import resolve_device

        backend = _check_options(backend, precision)
        cpu_amp = cpu_amp and precision == "auto"
        self.precision = precision
        self.device = resolve_device(device)
        # channels-last: oneDNN and cuDNN convolutions are faster on it (CPU ~1.4x, measured)
        self._model = model.to(self.device).eval().to(memory_format=torch.channels_last)
        self._load = None
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
    def model(self) -> "torch.nn.Module":
        """The PyTorch model (loaded on first use when the predictor started on OpenVINO alone)."""
        if self._model is None:
            import torch

            self._model = self._load().eval().to(memory_format=torch.channels_last)
        return self._model

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

        A safetensors file whose OpenVINO form is already in the cache predicts
        on a CPU without importing PyTorch at all (:meth:`_openvino_only`):
        the same network, started ~1 s sooner.
        """
        from .starter import resolve_checkpoint

        path = resolve_checkpoint(path)
        backend = _check_options(backend, precision)
        fast = cls._openvino_only(path, device=device, backend=backend, precision=precision)
        if fast is not None:
            header = fast.header
        else:
            from .checkpoint import model_from_checkpoint

            model, header = model_from_checkpoint(path)
        recorded = InferenceSettings.from_checkpoint(header, path)
        try:
            settings = recorded.with_overrides(scale=scale, threshold=threshold, native=size is None,
                                               size=None if size == "checkpoint" else size)
        except ValueError as exc:
            raise IrstlabelError(None, str(exc)) from None
        if fast is not None:
            fast.settings = settings
            return fast
        return cls(model, device=device, settings=settings, backend=backend, precision=precision)

    @classmethod
    def _openvino_only(cls, path: Path, *, device: str, backend: str, precision: str) -> "Predictor | None":
        """A predictor on the cached OpenVINO form of a safetensors file, without torch; None where that cannot be."""
        from ..core.models.checkpoint_header import is_safetensors
        from .openvino_backend import OpenVinoRunner, cached_identity, openvino_available
        from .threads import no_cuda_driver

        on_cpu = device == "cpu" or (device == "auto" and no_cuda_driver())
        if backend == "torch" or not on_cpu or not openvino_available() or not is_safetensors(path):
            return None
        found = cached_identity(path)
        if found is None:
            return None
        identity, header = found
        predictor = cls.__new__(cls)
        predictor.precision, predictor.amp, predictor.header = precision, precision == "auto", header
        predictor.device = _CpuDevice()
        predictor.threads = default_threads()
        predictor._model = None

        def load():
            from .checkpoint import model_from_checkpoint

            return model_from_checkpoint(path)[0]

        predictor._load = load
        try:
            predictor.runner = OpenVinoRunner(None, identity=identity, threads=predictor.threads, precision=precision)
        except (IrstlabelError, RuntimeError):  # a damaged cache entry: the torch path converts it again
            return None
        return predictor

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Probabilities (float32) at the frame's size."""
        return probability_map(self.runner, frame, self.settings)

    def levels(self, frame: np.ndarray) -> np.ndarray:
        """The 8-bit levels of the map: what the cache stores and evaluations score."""
        return to_levels(self(frame))


class _CpuDevice:
    """What ``torch.device("cpu")`` says of itself, for a predictor that never imported torch."""

    type = "cpu"
    index = None

    def __str__(self) -> str:
        return "cpu"


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
