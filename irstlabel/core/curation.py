"""Dataset curation (Section III-A): unifying frame sizes.

"Fill" pads the frame with 0 at the bottom or right to the target aspect
ratio, then resizes it bilinearly; masks are resized the same way and
thresholded at one half, so they stay binary. The transform from frame to
output coordinates is kept so that labels can be mapped back.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["FillTransform", "fill_transform", "fill_resize", "fill_resize_mask", "unfill_mask"]


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
