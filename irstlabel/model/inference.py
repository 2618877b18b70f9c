"""How a checkpoint turns a frame into a network input, and where it thresholds.

ISPANet predicts at stride 4: a target of a few pixels is one or two cells of
its output, so the size of targets *in network-input pixels* decides much of
the segmentation quality (docs/choices.md, "Inference scale"). A checkpoint
therefore records how it wants frames presented:

* ``scale`` -- the frame is resized by this factor (its own aspect ratio
  kept), predicted, and the map resized back. Chosen on the validation split
  after training by :func:`choose_inference`; the physically meaningful
  setting across datasets, because a target's size in pixels does not depend
  on the frame's size.
* ``size`` -- the frame is "fill"-resized to this (H, W), as in training.
  What checkpoints recorded before scales were chosen (their training size).

and the ``threshold`` on the 8-bit probability levels that makes a mask.
Neither set means the frame's own size (scale 1) at 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core.errors import IrstlabelError

__all__ = ["InferenceSettings", "MAX_INFERENCE_PIXELS", "MAX_RESIZED_PIXELS", "SCALES", "THRESHOLDS", "network_shape",
           "scales_within"]

MAX_INFERENCE_PIXELS = 2048 * 2560  # one network pass: 4x the paper's 1280x1024 frames
MAX_RESIZED_PIXELS = 16 * MAX_INFERENCE_PIXELS  # the whole resized frame, predicted in tiles of one pass each
SCALES = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)  # the validation sweep's candidates
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
MAX_SCALE = 8.0


@dataclass(frozen=True)
class InferenceSettings:
    """A checkpoint's inference settings.

    Examples
    --------
    >>> InferenceSettings(scale=2.0).network_shape((100, 150))
    (200, 300)
    >>> InferenceSettings(size=(384, 384)).describe()
    'fill to 384x384, threshold 0.5'
    """

    scale: float | None = None
    size: tuple[int, int] | None = None
    threshold: float = 0.5

    def __post_init__(self):
        if self.scale is not None and self.size is not None:
            raise ValueError("give an inference scale or a size, not both")
        if self.scale is not None and not (isinstance(self.scale, (int, float)) and 0.1 <= self.scale <= MAX_SCALE):
            raise ValueError(f"inference scale must be from 0.1 to {MAX_SCALE:g}, got {self.scale!r}")
        if self.size is not None and not (len(self.size) == 2 and all(16 <= int(v) <= 16384 for v in self.size)):
            raise ValueError(f"inference size must be two sides from 16 to 16384 pixels, got {self.size!r}")
        if not (isinstance(self.threshold, (int, float)) and 0.0 < self.threshold < 1.0):
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold!r}")

    def network_shape(self, frame_shape: tuple[int, int]) -> tuple[int, int]:
        """The network input's (H, W) for a frame; see :func:`network_shape`."""
        return network_shape(frame_shape, scale=self.scale, size=self.size)

    def describe(self) -> str:
        where = (f"scale x{self.scale:g}" if self.scale is not None else
                 f"fill to {self.size[1]}x{self.size[0]}" if self.size is not None else "native size")
        return f"{where}, threshold {self.threshold:g}"

    def to_dict(self) -> dict:
        out = {"threshold": self.threshold}
        if self.scale is not None:
            out["scale"] = self.scale
        if self.size is not None:
            out["size"] = [int(self.size[0]), int(self.size[1])]
        return out

    @classmethod
    def from_checkpoint(cls, checkpoint: dict, path=None) -> "InferenceSettings":
        """What a checkpoint records: ``inference`` (scale or size, threshold), else its training size."""
        inference = checkpoint.get("inference") or {}
        if not isinstance(inference, dict):
            raise IrstlabelError(path, "inference settings in the checkpoint are not a mapping")
        scale = inference.get("scale")
        size = inference.get("size")
        if scale is None and size is None:
            size = (checkpoint.get("train") or {}).get("size")
        try:
            return cls(scale=None if scale is None else float(scale),
                       size=None if not size else (int(size[0]), int(size[1])),
                       threshold=float(inference.get("threshold", 0.5)))
        except (TypeError, ValueError, IndexError) as exc:
            raise IrstlabelError(path, f"invalid inference settings in the checkpoint: {exc}") from None

    def with_overrides(self, *, scale=None, size=None, threshold=None, native: bool = False) -> "InferenceSettings":
        """These settings with a user's overrides (``--scale``, ``--size``, ``--size native``, ``--threshold``)."""
        threshold = self.threshold if threshold is None else threshold
        if native:
            return InferenceSettings(threshold=threshold)
        if scale is not None:
            return InferenceSettings(scale=scale, threshold=threshold)
        if size is not None:
            return InferenceSettings(size=tuple(size), threshold=threshold)
        return InferenceSettings(scale=self.scale, size=self.size, threshold=threshold)


def network_shape(frame_shape, *, scale: float | None = None, size=None,
                  limit: int = MAX_RESIZED_PIXELS) -> tuple[int, int]:
    """The resized frame's (H, W) for a frame of `frame_shape` (what the network is run over, in tiles if large).

    With `size` it is that size (the fill resize); otherwise the frame's
    sides times `scale` (None: 1), rounded, at least 32 pixels. A result of
    more than `limit` pixels takes the largest scale that fits, rounded
    *down*, so the cap holds whatever the rounding. Anything above
    :data:`MAX_INFERENCE_PIXELS` is predicted in overlapping tiles
    (:func:`irstlabel.model.predict.probability_map`), so targets keep the
    scale the network was trained at.
    """
    h, w = int(frame_shape[0]), int(frame_shape[1])
    if size is not None:
        return int(size[0]), int(size[1])
    scale = 1.0 if scale is None else float(scale)
    nh, nw = max(32, round(h * scale)), max(32, round(w * scale))
    if nh * nw <= limit:
        return nh, nw
    fit = math.sqrt(limit / (h * w))
    return max(32, math.floor(h * fit)), max(32, math.floor(w * fit))


def scales_within(low: float, high: float, candidates=SCALES) -> tuple[float, ...]:
    """The candidate scales a training run covered (``low <= s <= high``); the nearest one if none is inside."""
    inside = tuple(s for s in candidates if low - 1e-9 <= s <= high + 1e-9)
    if inside:
        return inside
    middle = math.sqrt(low * high)
    return (min(candidates, key=lambda s: abs(math.log(s / middle))),)
