"""Dataset curation (Section III-A): unifying frame sizes by "fill" or "crop".

"Fill" pads the frame with 0 at the bottom or right to the target aspect
ratio, then resizes it bilinearly; masks are resized the same way and
thresholded at one half, so they stay binary. The transform from frame to
output coordinates is kept so that labels can be mapped back.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["FillTransform", "CropTransform", "fill_transform", "fill_resize", "fill_resize_mask", "unfill_mask",
           "crop_transform", "crop_resize", "to_output", "to_source"]


@dataclass(frozen=True)
class FillTransform:
    """How a frame of ``source`` size maps into a ``target``-sized output.

    ``x_out = x_in * scale``, ``y_out = y_in * scale`` (pixel centres need
    the usual half-pixel shift: ``(x_in + 0.5) * scale - 0.5``); ``padded``
    is the size after padding, before resizing.
    """

    source: tuple[int, int]  # (H, W)
    padded: tuple[int, int]
    target: tuple[int, int]

    @property
    def scale(self) -> float:
        return self.target[0] / self.padded[0]


def fill_transform(source: tuple[int, int], target: tuple[int, int]) -> FillTransform:
    h, w = source
    th, tw = target
    if min(h, w, th, tw) < 1:
        raise ValueError(f"sizes must be positive, got {source} -> {target}")
    if w * th < tw * h:  # too narrow: pad the right
        padded = (h, max(w, round(h * tw / th)))
    else:  # too wide (or exact): pad the bottom
        padded = (max(h, round(w * th / tw)), w)
    return FillTransform(source=(h, w), padded=padded, target=(th, tw))


def _pad(array: np.ndarray, padded) -> np.ndarray:
    h, w = array.shape[:2]
    return cv2.copyMakeBorder(array, 0, padded[0] - h, 0, padded[1] - w, cv2.BORDER_CONSTANT, value=0)


def fill_resize(image: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, FillTransform]:
    """Pad with 0 to the aspect ratio of `size` (bottom or right), resize bilinearly.

    Examples
    --------
    >>> out, t = fill_resize(np.ones((50, 100), np.uint8), (64, 64))
    >>> out.shape, t.padded
    ((64, 64), (100, 100))
    """
    transform = fill_transform(image.shape[:2], size)
    padded = _pad(image, transform.padded)
    return cv2.resize(padded, (size[1], size[0]), interpolation=cv2.INTER_LINEAR), transform


def fill_resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The mask under the same fill transform, thresholded at 0.5 (stays binary)."""
    padded = _pad(mask.astype(np.float32), fill_transform(mask.shape, size).padded)
    return cv2.resize(padded, (size[1], size[0]), interpolation=cv2.INTER_LINEAR) >= 0.5


def unfill_mask(mask_out: np.ndarray, transform: FillTransform) -> np.ndarray:
    """Map an output-sized mask (or probability map) back to the source frame."""
    ph, pw = transform.padded
    array = mask_out.astype(np.float32)
    back = cv2.resize(array, (pw, ph), interpolation=cv2.INTER_LINEAR)
    h, w = transform.source
    back = back[:h, :w]
    return back >= 0.5 if mask_out.dtype == bool else back


@dataclass(frozen=True)
class CropTransform:
    """A crop ``(r0, c0, r1, c1)`` of the source, resized to ``target``."""

    source: tuple[int, int]
    box: tuple[int, int, int, int]
    target: tuple[int, int]

    @property
    def scale(self) -> float:
        return self.target[0] / (self.box[2] - self.box[0])


def to_output(transform, x: float, y: float) -> tuple[float, float]:
    """A source pixel-centre coordinate in the output frame (fill or crop transform)."""
    r0, c0 = (transform.box[0], transform.box[1]) if isinstance(transform, CropTransform) else (0, 0)
    s = transform.scale
    return (x - c0 + 0.5) * s - 0.5, (y - r0 + 0.5) * s - 0.5


def to_source(transform, x: float, y: float) -> tuple[float, float]:
    """The inverse of :func:`to_output`."""
    r0, c0 = (transform.box[0], transform.box[1]) if isinstance(transform, CropTransform) else (0, 0)
    s = transform.scale
    return (x + 0.5) / s - 0.5 + c0, (y + 0.5) / s - 0.5 + r0


def crop_transform(shape: tuple[int, int], keep: tuple[int, int, int, int] | None, target: tuple[int, int]) -> CropTransform:
    """The largest crop of the target aspect ratio that holds the box `keep` (every target whole).

    The crop is centred on `keep` where the frame allows. Raises ValueError
    when no crop of that aspect ratio can hold `keep`.
    """
    h, w = shape
    th, tw = target
    if w * th > tw * h:  # too wide: full height, narrower width
        ch, cw = h, max(1, round(h * tw / th))
    else:
        ch, cw = max(1, round(w * th / tw)), w
    if keep is None:
        keep = (h // 2, w // 2, h // 2 + 1, w // 2 + 1)
    kr0, kc0, kr1, kc1 = keep
    if kr1 - kr0 > ch or kc1 - kc0 > cw:
        raise ValueError(f"targets span {kr1 - kr0}x{kc1 - kc0} pixels; no {ch}x{cw} crop can keep them whole")

    def place(low, high, size, limit):
        start = (low + high) // 2 - size // 2
        return int(min(max(start, max(high - size, 0)), min(low, limit - size)))

    r0, c0 = place(kr0, kr1, ch, h), place(kc0, kc1, cw, w)
    return CropTransform(source=(h, w), box=(r0, c0, r0 + ch, c0 + cw), target=(th, tw))


def crop_resize(image: np.ndarray, mask: np.ndarray, size: tuple[int, int]):
    """Crop to the target aspect ratio keeping every target whole, then resize (masks stay binary)."""
    from ..labels.targets import find_targets

    targets = find_targets(mask)
    keep = None
    if len(targets):
        keep = (int(targets.bbox[:, 0].min()), int(targets.bbox[:, 1].min()),
                int(targets.bbox[:, 2].max()), int(targets.bbox[:, 3].max()))
    transform = crop_transform(image.shape[:2], keep, size)
    r0, c0, r1, c1 = transform.box
    out = cv2.resize(image[r0:r1, c0:c1], (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    out_mask = cv2.resize(mask[r0:r1, c0:c1].astype(np.float32), (size[1], size[0]), interpolation=cv2.INTER_LINEAR) >= 0.5
    return out, out_mask, transform
