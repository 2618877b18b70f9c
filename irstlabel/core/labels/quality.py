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


def _bbox_of(mask: np.ndarray, box) -> tuple[int, int, int, int] | None:
    r0, c0, r1, c1 = box
    region = mask[r0:r1, c0:c1]
    rows = np.flatnonzero(region.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(region.any(axis=0))
    return r0 + rows[0], c0 + cols[0], r0 + rows[-1] + 1, c0 + cols[-1] + 1


def _union_box(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def lpd(
    image: np.ndarray,
    mask_target: np.ndarray,
    *,
    mask_reference: np.ndarray | None = None,
    margin: int = 1,
    box: tuple[int, int, int, int] | None = None,
) -> float:
    """Local pixel difference of a label (Eq. 13): ``mu_t - mu_b``.

    ``mu_t`` is the mean grey of the label's pixels; ``mu_b`` the mean grey of
    the background around it: the smallest rectangle that wraps this label and
    `mask_reference` (the other label of the same target being compared, Fig. 7),
    grown by `margin` pixels on each side and clipped to the frame, less this
    label's pixels. With no reference the rectangle wraps the label alone.

    The literal reading of the paper is ``margin=0``; we grow the rectangle by
    one pixel by default so that a label that fills its own box (a 2x2 square,
    common in SIRST) still has a background.

    Parameters
    ----------
    image : ndarray, (H, W)
        The frame, any numeric dtype (computed in float64).
    mask_target : ndarray of bool, (H, W)
        The label whose LPD is wanted (one target, or a group of pieces).
    mask_reference : ndarray of bool, (H, W), keyword-only
        The other label of the same target, for a comparison.
    margin : int, keyword-only
        Pixels added around the wrapping rectangle (default 1).
    box : (r0, c0, r1, c1), keyword-only
        A region known to hold every pixel of both masks; only it is scanned
        (an editor that knows where the stroke was passes it for speed).

    Returns
    -------
    float
        ``nan`` when the background is empty.

    Examples
    --------
    >>> img = np.zeros((7, 7)); img[3, 3] = 10.0; img[3, 4] = 4.0
    >>> t = np.zeros((7, 7), bool); t[3, 3] = True
    >>> lpd(img, t)   # background: the 3x3 box around it, less the target
    9.5
    """
    image = np.asarray(image)
    mask_target = np.asarray(mask_target, bool)
    if image.ndim != 2 or image.shape != mask_target.shape:
        raise ValueError(f"image {image.shape} and mask_target {mask_target.shape} must be the same 2-D size")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    region = box if box is not None else (0, 0, image.shape[0], image.shape[1])
    target_box = _bbox_of(mask_target, region)
    if target_box is None:
        raise ValueError("mask_target has no pixels")
    reference_box = None if mask_reference is None else _bbox_of(np.asarray(mask_reference, bool), region)
    r0, c0, r1, c1 = grown_box(_union_box(target_box, reference_box), margin, image.shape)
    window = image[r0:r1, c0:c1].astype(np.float64)
    inside = mask_target[r0:r1, c0:c1]
    background = window[~inside]
    if background.size == 0:
        return float("nan")
    return float(window[inside].mean() - background.mean())
