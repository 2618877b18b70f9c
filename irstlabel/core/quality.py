"""Label quality (LPD) and target contrast (SCR) from a frame and masks.

Background windows are rectangles clipped to the frame, less target pixels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scr", "grown_box"]


def grown_box(bbox, margin: int, shape) -> tuple[int, int, int, int]:
    """``(r0, c0, r1, c1)`` grown by `margin` on every side, clipped to `shape`."""
    r0, c0, r1, c1 = (int(v) for v in bbox)
    h, w = shape[:2]
    return max(r0 - margin, 0), max(c0 - margin, 0), min(r1 + margin, h), min(c1 + margin, w)


def scr(
    image: np.ndarray,
    mask_target: np.ndarray,
    *,
    margin: int = 20,
    mask_exclude: np.ndarray | None = None,
) -> float:
    """Signal-to-clutter ratio of one target: ``|mu_t - mu_b| / sigma_b``.

    The background is the target's bounding box grown by `margin` pixels on
    every side (clipped to the frame), less the target's pixels and less any
    pixel of `mask_exclude` (other targets). ``sigma_b`` is the population
    standard deviation of those background pixels. A flat background
    (``sigma_b == 0``) gives ``inf`` when the means differ and 0 otherwise.

    Parameters
    ----------
    image : ndarray, (H, W)
        The frame, any numeric dtype (computed in float64).
    mask_target : ndarray of bool, (H, W)
        The target's pixels (one target).
    margin : int, keyword-only
        Pixels added on each side of the target's box for the background
        window (20 by default, the local window common in IRST papers).
    mask_exclude : ndarray of bool, (H, W), keyword-only
        Pixels kept out of the background (e.g. every other target).

    Examples
    --------
    >>> img = np.zeros((9, 9)); img[::2] = 2.0; img[4, 4] = 10.0
    >>> t = np.zeros((9, 9), bool); t[4, 4] = True
    >>> round(scr(img, t, margin=2), 3)
    8.959
    """
    image = np.asarray(image)
    mask_target = np.asarray(mask_target, bool)
    if image.shape[:2] != mask_target.shape or image.ndim != 2:
        raise ValueError(f"image {image.shape} and mask_target {mask_target.shape} must be the same 2-D size")
    if margin < 1:
        raise ValueError(f"margin must be >= 1, got {margin}")
    rows, cols = np.nonzero(mask_target)
    if rows.size == 0:
        raise ValueError("mask_target has no pixels")
    r0, c0, r1, c1 = grown_box((rows.min(), cols.min(), rows.max() + 1, cols.max() + 1), margin, image.shape)
    window = image[r0:r1, c0:c1].astype(np.float64)
    background = ~mask_target[r0:r1, c0:c1]
    if mask_exclude is not None:
        background &= ~np.asarray(mask_exclude, bool)[r0:r1, c0:c1]
    mu_t = float(image[rows, cols].astype(np.float64).mean())
    values = window[background]
    if values.size == 0:
        return 0.0
    mu_b, sigma_b = float(values.mean()), float(values.std())
    difference = abs(mu_t - mu_b)
    if sigma_b == 0.0:
        return float("inf") if difference > 0 else 0.0
    return difference / sigma_b
