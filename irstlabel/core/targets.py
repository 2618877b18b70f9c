"""Targets as connected components of a mask.

A target is one 8-connected component (4-connected on request) of a binary
mask. Its centroid is ``(x, y)`` in pixels, sub-pixel: the mean of its
member pixels' column and row coordinates, with the origin at the centre of
the top-left pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Targets", "find_targets", "targets_table", "occupied_boxes", "first_pixels"]


def _as_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {mask.shape}")
    if mask.dtype != bool:
        mask = mask != 0
    return mask


@dataclass(frozen=True)
class Targets:
    """The targets of one mask.

    Attributes
    ----------
    labels : ndarray of int32, (H, W)
        0 for background, ``k`` for pixels of target ``k`` (1-based).
    area : ndarray of int64, (n,)
        Pixel count per target.
    bbox : ndarray of int64, (n, 4)
        ``(min_row, min_col, max_row, max_col)``, max exclusive, as in
        :func:`skimage.measure.regionprops`.
    centroid : ndarray of float64, (n, 2)
        ``(x, y)`` per target: mean column and mean row of its pixels.
    """

    labels: np.ndarray
    area: np.ndarray
    bbox: np.ndarray
    centroid: np.ndarray

    def __len__(self) -> int:
        return int(self.area.shape[0])

    def mask_of(self, index: int) -> np.ndarray:
        """Boolean mask of target `index` (0-based)."""
        return self.labels == index + 1


def find_targets(mask: np.ndarray, *, connectivity: int = 8) -> Targets:
    """Split a binary mask into targets (connected components).

    Parameters
    ----------
    mask : ndarray, (H, W)
        Non-zero pixels are target pixels.
    connectivity : {8, 4}, keyword-only

    Returns
    -------
    Targets
        Ordered by the position of each target's first pixel in row-major
        order (the order of :func:`skimage.measure.label`).

    Examples
    --------
    >>> m = np.zeros((5, 6), bool); m[1, 1] = m[2, 2] = True; m[3:5, 4:6] = True
    >>> t = find_targets(m)
    >>> len(t), t.area.tolist(), t.centroid.tolist()
    (2, [2, 4], [[1.5, 1.5], [4.5, 3.5]])
    """
    mask = _as_mask(mask)
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    if mask.size == 0:  # OpenCV returns no label image for an empty array
        empty = np.zeros(0, np.int64)
        return Targets(np.zeros(mask.shape, np.int32), empty, np.zeros((0, 4), np.int64), np.zeros((0, 2)))
    # SAUF (Wu) numbers components in raster order of their first pixel, as
    # skimage.measure.label does; OpenCV's default block-based algorithm does not,
    # and greedy first-found matching (the legacy Pd) depends on that order.
    count, labels, stats, centroids = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask.view(np.uint8), connectivity, cv2.CV_32S, cv2.CCL_WU
    )
    stats = stats[1:].astype(np.int64)
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    bbox = np.stack([y, x, y + h, x + w], axis=1) if count > 1 else np.zeros((0, 4), np.int64)
    return Targets(
        labels=labels,
        area=stats[:, cv2.CC_STAT_AREA].copy(),
        bbox=bbox,
        centroid=np.ascontiguousarray(centroids[1:], dtype=np.float64).reshape(-1, 2),
    )


def targets_table(mask: np.ndarray, *, connectivity: int = 8) -> dict[str, np.ndarray]:
    """Targets of a mask as columns, in the spirit of ``regionprops_table``.

    Keys: ``label``, ``area``, ``bbox-0`` .. ``bbox-3`` (min_row, min_col,
    max_row, max_col), ``centroid-x``, ``centroid-y``.
    """
    targets = find_targets(mask, connectivity=connectivity)
    table = {"label": np.arange(1, len(targets) + 1), "area": targets.area}
    for k in range(4):
        table[f"bbox-{k}"] = targets.bbox[:, k]
    table["centroid-x"] = targets.centroid[:, 0]
    table["centroid-y"] = targets.centroid[:, 1]
    return table


def occupied_boxes(mask_a: np.ndarray, mask_b: np.ndarray | None = None, *, tile: int = 32) -> list[tuple[int, int, int, int]]:
    """Boxes that together hold every non-zero pixel of two masks, each component whole.

    The frame is cut into ``tile x tile`` tiles; tiles holding a pixel of
    either mask are grouped into 8-connected clusters, and each cluster's
    bounding box (in pixels, ``(r0, c0, r1, c1)``) is returned. A connected
    component never spans two boxes, so targets can be found box by box, which
    for the sparse masks of small-target data is much faster than scanning a
    whole 1280x1024 frame. Components in different boxes are more than `tile`
    pixels apart.
    """
    h, w = mask_a.shape
    if tile % 8:
        raise ValueError(f"tile must be a multiple of 8, got {tile}")
    rows, cols = -(-h // tile), -(-w // tile)
    union = np.zeros((rows * tile, cols * tile), np.uint8)
    if mask_b is None:
        union[:h, :w] = mask_a.view(np.uint8)
    else:
        np.bitwise_or(mask_a.view(np.uint8), mask_b.view(np.uint8), out=union[:h, :w])
    # OR eight pixels at a time through a 64-bit view, then tile rows, then tile columns
    words = union.view(np.uint64).reshape(rows, tile, cols * tile // 8)
    occupied = (np.bitwise_or.reduce(words, axis=1).reshape(rows, cols, tile // 8) != 0).any(axis=2)
    if not occupied.any():
        return []
    count, _, stats, _ = cv2.connectedComponentsWithStats(occupied.view(np.uint8), connectivity=8)
    boxes = []
    for x, y, bw, bh, _ in stats[1:]:
        boxes.append((int(y * tile), int(x * tile), int(min((y + bh) * tile, h)), int(min((x + bw) * tile, w))))
    return boxes


def first_pixels(targets: Targets) -> np.ndarray:
    """``(row, col)`` of each target's first pixel in raster order, shape (n, 2)."""
    out = np.zeros((len(targets), 2), np.int64)
    for k in range(len(targets)):
        r0, c0, _, c1 = targets.bbox[k]
        out[k] = r0, c0 + int(np.argmax(targets.labels[r0, c0:c1] == k + 1))
    return out
