"""Display levels: from a frame's percentiles, and which part of the frame they come from when they follow the view.

Plain functions of arrays and rectangles (no Qt): the canvas asks them each time
the selection, the view or the levels mode changes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["auto_levels", "levels_region", "TARGET_SURROUND"]

TARGET_SURROUND = 4  # levels around a selected target: from a box this many times its size (at least 48 px)
SMALLEST_SIDE = 8  # a view narrower than this says too little: the frame's own levels
MOST_OF_THE_FRAME = 0.9  # a view showing this share of the frame or more: the frame's own levels


def auto_levels(frame: np.ndarray, low: float = 0.5, high: float = 99.8) -> tuple[float, float]:
    """Display levels from percentiles of the frame (a subsample for large frames)."""
    sample = frame[::4, ::4] if frame.size > 1_000_000 else frame
    lo, hi = np.percentile(sample, (low, high))
    return float(lo), float(max(hi, lo + 1))


def levels_region(shape, *, mode: str, box=None, view_range=None):
    """The (r0, c0, r1, c1) part of a frame of `shape` the levels come from (None: the whole frame).

    ``mode`` "global" is always the whole frame. In "view" mode: around `box`
    (a selected target's or a stop's (r0, c0, r1, c1)) when given, else the
    region `view_range` ``((x0, x1), (y0, y1))`` shows when zoomed in.
    """
    if mode != "view":
        return None
    h, w = shape[:2]
    if box is not None:
        r0, c0, r1, c1 = box
        reach = max(48, TARGET_SURROUND * max(r1 - r0, c1 - c0)) // 2
        cr, cc = (r0 + r1) // 2, (c0 + c1) // 2
        return max(0, cr - reach), max(0, cc - reach), min(h, cr + reach), min(w, cc + reach)
    if view_range is None:
        return None
    (x0, x1), (y0, y1) = view_range
    r0, c0, r1, c1 = max(0, int(y0)), max(0, int(x0)), min(h, int(np.ceil(y1))), min(w, int(np.ceil(x1)))
    if r1 - r0 < SMALLEST_SIDE or c1 - c0 < SMALLEST_SIDE or (r1 - r0) * (c1 - c0) >= MOST_OF_THE_FRAME * h * w:
        return None
    return r0, c0, r1, c1
