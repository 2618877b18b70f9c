"""Mask edits as pure functions: brush, eraser, polygon, magic wand, delete, merge, split.

Each function edits `mask` in place and returns the box ``(r0, c0, r1, c1)``
it touched (clipped to the frame; empty boxes have ``r0 == r1``), so an
editor can keep only that patch for undo and recompute LPD on that box.
"""

from __future__ import annotations

import cv2
import numpy as np

from .targets import find_targets

__all__ = ["paint_stroke", "fill_polygon", "magic_wand", "target_at", "delete_target", "merge_along", "split_along",
           "drop_debris", "footprint_area"]

Box = tuple[int, int, int, int]


def _clip(box, shape) -> Box:
    r0, c0, r1, c1 = box
    h, w = shape
    return max(int(r0), 0), max(int(c0), 0), min(int(r1), h), min(int(c1), w)


def paint_stroke(mask: np.ndarray, points, *, radius: float, value: bool = True) -> Box:
    """Paint (or erase, ``value=False``) a stroke of round brush through ``(x, y)`` points.

    Examples
    --------
    >>> m = np.zeros((9, 9), bool)
    >>> paint_stroke(m, [(4, 4)], radius=1)
    (2, 2, 7, 7)
    >>> int(m.sum())
    5
    """
    if mask.ndim != 2 or mask.dtype != bool:
        raise ValueError("mask must be a 2-D bool array")
    pts = np.asarray(points, float).reshape(-1, 2)
    if len(pts) == 0:
        return (0, 0, 0, 0)
    r = max(float(radius), 0.5)
    pad = int(np.ceil(r)) + 1
    box = _clip((pts[:, 1].min() - pad, pts[:, 0].min() - pad, pts[:, 1].max() + pad + 1, pts[:, 0].max() + pad + 1),
                mask.shape)
    r0, c0, r1, c1 = box
    if r0 >= r1 or c0 >= c1:
        return (0, 0, 0, 0)
    yy, xx = np.mgrid[r0:r1, c0:c1]
    hit = np.zeros((r1 - r0, c1 - c0), bool)
    segments = zip(pts, pts[1:]) if len(pts) > 1 else [(pts[0], pts[0])]
    for a, b in segments:
        d = b - a
        length2 = float(d @ d)
        t = np.zeros_like(xx, float) if length2 == 0 else np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / length2, 0, 1)
        hit |= (xx - (a[0] + t * d[0])) ** 2 + (yy - (a[1] + t * d[1])) ** 2 <= r * r
    mask[r0:r1, c0:c1][hit] = value
    return box


def fill_polygon(mask: np.ndarray, vertices, *, value: bool = True) -> Box:
    """Fill the polygon through ``(x, y)`` vertices (pixel centres inside or on it)."""
    pts = np.round(np.asarray(vertices, float)).astype(np.int32).reshape(-1, 2)
    if len(pts) < 3:
        return (0, 0, 0, 0)
    layer = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(layer, [pts], 1)
    mask[layer > 0] = value
    x, y, w, h = cv2.boundingRect(pts)
    return _clip((y, x, y + h + 1, x + w + 1), mask.shape)


def magic_wand(image: np.ndarray, point, *, tolerance: float | None = None, contrast: float | None = None,
               window: int = 64) -> tuple[np.ndarray, Box]:
    """Pixels connected to `point` that look like it, in a window of ``2 * window + 1`` pixels.

    Two readings of "look like it":

    * ``tolerance`` (grey levels): the grey differs from the clicked pixel's by
      at most this much. On a smooth sky a few levels flood the window.
    * ``contrast`` (0..1, the default reading at 0.5): the pixel lies at least
      this share of the way from the local background (the window's median)
      to the clicked pixel -- half-maximum for 0.5. It follows a target's own
      contrast, so one setting suits faint and bright targets, and a click on
      flat sky takes only the pixels as bright as the click.

    Returns a frame-sized bool mask and its box.

    Examples
    --------
    >>> img = np.full((15, 15), 10.0); img[6:9, 6:9] = 30.0; img[7, 7] = 50.0
    >>> int(magic_wand(img, (7, 7), contrast=0.5)[0].sum())   # the 3x3 blob above the half-way level 30
    9
    """
    if (tolerance is None) == (contrast is None):
        raise ValueError("give one of tolerance (grey levels) or contrast (0..1)")
    x, y = (int(round(v)) for v in point)
    h, w = image.shape
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"point ({x}, {y}) is outside the {w}x{h} frame")
    box = _clip((y - window, x - window, y + window + 1, x + window + 1), image.shape)
    r0, c0, r1, c1 = box
    patch = image[r0:r1, c0:c1].astype(np.float64)
    peak = float(image[y, x])
    if contrast is not None:
        if not 0 < contrast <= 1:
            raise ValueError(f"contrast must be in (0, 1], got {contrast}")
        background = float(np.median(patch))
        level = background + contrast * (peak - background)
        similar = patch >= level if peak > background else patch <= level if peak < background else patch == peak
    else:
        similar = np.abs(patch - peak) <= tolerance
    _, labels = cv2.connectedComponents(similar.view(np.uint8), connectivity=8)
    region = np.zeros(image.shape, bool)
    region[r0:r1, c0:c1] = labels == labels[y - r0, x - c0]
    return region, box


def target_at(mask: np.ndarray, point, *, reach: int = 3) -> np.ndarray | None:
    """The target (8-connected component) at or within `reach` pixels of ``(x, y)``."""
    x, y = (int(round(v)) for v in point)
    box = _clip((y - reach, x - reach, y + reach + 1, x + reach + 1), mask.shape)
    r0, c0, r1, c1 = box
    rows, cols = np.nonzero(mask[r0:r1, c0:c1])
    if rows.size == 0:
        return None
    k = int(np.argmin((rows + r0 - y) ** 2 + (cols + c0 - x) ** 2))
    targets = find_targets(mask)
    label = targets.labels[rows[k] + r0, cols[k] + c0]
    return targets.labels == label


def delete_target(mask: np.ndarray, point, *, reach: int = 3) -> Box:
    """Remove the target at ``(x, y)``; returns its box (empty when there is none)."""
    target = target_at(mask, point, reach=reach)
    if target is None:
        return (0, 0, 0, 0)
    rows, cols = np.nonzero(target)
    mask[target] = False
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def merge_along(mask: np.ndarray, points, *, radius: float = 1.0) -> Box:
    """Join targets by painting the drawn line between them."""
    return paint_stroke(mask, points, radius=radius, value=True)


def split_along(mask: np.ndarray, points, *, radius: float = 0.75) -> Box:
    """Cut a target by erasing along the drawn line."""
    return paint_stroke(mask, points, radius=radius, value=False)


def footprint_area(diameter: float) -> int:
    """Pixels one dab of a round brush `diameter` pixels across paints (the smallest target a stroke makes).

    >>> footprint_area(1), footprint_area(3)
    (1, 9)
    """
    side = 2 * (int(np.ceil(max(float(diameter) / 2, 0.5))) + 1) + 1
    patch = np.zeros((side, side), bool)
    paint_stroke(patch, [(side // 2, side // 2)], radius=float(diameter) / 2)  # the brush's own shape
    return int(patch.sum())


def drop_debris(mask: np.ndarray, before: np.ndarray, box, *, min_area: int, margin: int = 16) -> Box:
    """After an erase inside `box`, remove what it split off a target and left smaller than `min_area` pixels.

    A piece is debris when it is an 8-connected part of the mask now, smaller
    than `min_area`, and was part of a larger target (in `before`, the
    frame-sized mask before the erase) that lost pixels to the erase. A small
    target the erase never touched stays, and so does a piece too big to be
    debris. Pieces are judged within `box` grown by `margin`; one reaching the
    edge of that region (not the frame's) may belong to more and is kept.
    Returns the box of removed pixels (empty: ``r0 == r1``).

    Examples
    --------
    >>> before = np.zeros((9, 12), bool); before[3:6, 2:9] = True
    >>> mask = before.copy(); mask[:, 3:8] = False  # an erase leaves a 3-px column on each side
    >>> drop_debris(mask, before, (0, 3, 9, 8), min_area=5)
    (3, 2, 6, 9)
    >>> int(mask.sum())
    0
    """
    h, w = mask.shape
    r0, c0, r1, c1 = _clip((box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin), mask.shape)
    now, prior = mask[r0:r1, c0:c1], before[r0:r1, c0:c1]
    count_now, labels_now, stats_now, _ = cv2.connectedComponentsWithStats(now.view(np.uint8), connectivity=8)
    _, labels_prior, stats_prior, _ = cv2.connectedComponentsWithStats(prior.view(np.uint8), connectivity=8)
    erased = prior & ~now
    lost = np.unique(labels_prior[erased])
    edges = (r0 > 0, c0 > 0, r1 < h, c1 < w)  # the region's sides that are not the frame's
    removed = np.zeros_like(now)
    for k in range(1, count_now):
        x, y, bw, bh, area = stats_now[k]
        if area >= min_area or (edges[0] and y == 0) or (edges[1] and x == 0) or \
                (edges[2] and y + bh == now.shape[0]) or (edges[3] and x + bw == now.shape[1]):
            continue
        piece = labels_now[y:y + bh, x:x + bw] == k
        parent = int(labels_prior[y:y + bh, x:x + bw][piece][0])
        if parent in lost and stats_prior[parent, cv2.CC_STAT_AREA] > area:
            removed[y:y + bh, x:x + bw] |= piece
    if not removed.any():
        return (0, 0, 0, 0)
    now[removed] = False
    rows, cols = np.nonzero(removed)
    return r0 + int(rows.min()), c0 + int(cols.min()), r0 + int(rows.max()) + 1, c0 + int(cols.max()) + 1
