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

__all__ = ["Targets", "find_targets", "count_targets", "targets_table", "Region", "occupied_regions", "first_pixels",
           "without_targets", "component_in_box", "touching_ids"]


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
    # (x, y, w, h) -> (min_row, min_col, max_row, max_col)
    bbox = stats[:, [1, 0, 1, 0]]
    bbox[:, 2:] += stats[:, [3, 2]]
    return Targets(labels=labels, area=stats[:, 4], bbox=bbox, centroid=centroids[1:])


def component_in_box(mask: np.ndarray, bbox, area: int, *, connectivity: int = 8) -> np.ndarray:
    """The one target of `mask` whose box is `bbox` and whose area is `area`, as a full-size boolean mask.

    Other targets' pixels may lie inside the box (an L-shape's corner, a dot
    inside a ring); only the component that spans the whole box with that
    area is kept. Two components cannot both reach all four sides of one box
    without touching, so the answer is unique.

    Raises ValueError when no target of `mask` has that box and area.
    """
    mask = _as_mask(mask)
    r0, c0, r1, c1 = (int(v) for v in bbox)
    if not (0 <= r0 < r1 <= mask.shape[0] and 0 <= c0 < c1 <= mask.shape[1]):
        raise ValueError(f"box {tuple(bbox)} is not inside a {mask.shape} mask")
    found = find_targets(mask[r0:r1, c0:c1], connectivity=connectivity)
    spanning = [k for k in range(len(found)) if int(found.area[k]) == int(area)
                and tuple(found.bbox[k]) == (0, 0, r1 - r0, c1 - c0)]
    if not spanning:
        raise ValueError(f"no target of {area} px spans the box {tuple(bbox)}")
    out = np.zeros(mask.shape, bool)
    out[r0:r1, c0:c1] = found.labels == spanning[0] + 1
    return out


def touching_ids(ids: np.ndarray, region: np.ndarray) -> list[int]:
    """The targets of an id image that `region` overlaps or touches (8-neighbours), in id order.

    Painting `region` would merge into each of them (targets are 8-connected).
    """
    rows, cols = np.nonzero(region)
    if rows.size == 0:
        return []
    r0, c0, r1, c1 = max(int(rows.min()) - 1, 0), max(int(cols.min()) - 1, 0), int(rows.max()) + 2, int(cols.max()) + 2
    grown = cv2.dilate(region[r0:r1, c0:c1].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return sorted(set(np.unique(ids[r0:r1, c0:c1][grown]).tolist()) - {0})


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


@dataclass(frozen=True)
class Region:
    """One cluster of occupied tiles: its bounding box and which of the box's pixels it owns.

    Two clusters' bounding boxes may overlap (an L-shaped cluster's box can hold
    another cluster), so a box alone is not a partition of the frame. ``own`` is
    ``None`` when every occupied tile inside the box belongs to this cluster;
    otherwise it is a boolean mask of the box's shape, true on this cluster's
    tiles. :meth:`crop` applies it, so every non-zero pixel of the frame lies in
    exactly one region's crop.
    """

    r0: int
    c0: int
    r1: int
    c1: int
    own: np.ndarray | None = None

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.r0, self.c0, self.r1, self.c1

    @property
    def offset(self) -> tuple[int, int]:
        return self.r0, self.c0

    def crop(self, array: np.ndarray) -> np.ndarray:
        """The region's part of a frame-sized array; pixels of other regions set to zero."""
        part = array[self.r0 : self.r1, self.c0 : self.c1]
        return part if self.own is None else np.where(self.own, part, np.zeros((), part.dtype))


def occupied_regions(mask_a: np.ndarray, mask_b: np.ndarray | None = None, *, tile: int = 32) -> list[Region]:
    """Regions that partition every non-zero pixel of two masks, each component whole.

    The frame is cut into ``tile x tile`` tiles; tiles holding a pixel of
    either mask are grouped into 8-connected clusters, one :class:`Region` per
    cluster. A connected component never spans two clusters (its pixels lie in
    tiles that touch), so targets can be found region by region, which for the
    sparse masks of small-target data is much faster than labelling a whole
    1280x1024 frame. Every non-zero pixel is in exactly one region's
    :meth:`Region.crop`, even where bounding boxes overlap.

    Examples
    --------
    >>> m = np.zeros((96, 96), bool); m[0, :] = True; m[:, 0] = True  # an L over 3x3 tiles
    >>> m[80, 80] = True  # a pixel inside the L's bounding box, in a tile of its own
    >>> [(r.box, r.own is None) for r in occupied_regions(m)]
    [((0, 0, 96, 96), False), ((64, 64, 96, 96), True)]
    >>> sum(int(r.crop(m).sum()) for r in occupied_regions(m)) == int(m.sum())
    True
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
    count, tile_labels, stats, _ = cv2.connectedComponentsWithStats(occupied.view(np.uint8), connectivity=8)
    regions = []
    for k, (x, y, bw, bh, area) in enumerate(stats[1:], start=1):
        r0, c0 = int(y * tile), int(x * tile)
        r1, c1 = int(min((y + bh) * tile, h)), int(min((x + bw) * tile, w))
        own = None
        if area < bw * bh:  # the box has tiles of other clusters or empty ones
            tiles = tile_labels[y : y + bh, x : x + bw]
            if np.any((tiles != 0) & (tiles != k)):
                own = np.repeat(np.repeat(tiles == k, tile, axis=0), tile, axis=1)[: r1 - r0, : c1 - c0]
        regions.append(Region(r0, c0, r1, c1, own))
    return regions


def count_targets(mask: np.ndarray, *, connectivity: int = 8) -> int:
    """How many targets a mask holds, labelling only its occupied regions (no statistics).

    Labelling a whole 1280x1024 frame with statistics costs ~15 ms even when it
    is empty; the sparse masks of small-target data cost a fraction of that.

    Examples
    --------
    >>> m = np.zeros((64, 64), bool); m[0, 0] = m[40:42, 40:42] = True; m[2, 1] = True
    >>> count_targets(m), count_targets(m, connectivity=4)
    (3, 3)
    """
    mask = _as_mask(mask)
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    total = 0
    for region in occupied_regions(mask):
        crop = np.ascontiguousarray(region.crop(mask))
        total += cv2.connectedComponents(crop.view(np.uint8), connectivity=connectivity)[0] - 1
    return total


def first_pixels(targets: Targets) -> np.ndarray:
    """``(row, col)`` of each target's first pixel in raster order, shape (n, 2).

    The first pixel lies on the target's top box row: for all targets at once,
    gather each top row's span ``[min_col, max_col)`` and find the first pixel
    carrying the target's label.

    Examples
    --------
    >>> m = np.zeros((4, 5), bool); m[1, 3] = m[2, 1:4] = True; m[0, 0] = True
    >>> first_pixels(find_targets(m)).tolist()
    [[0, 0], [1, 3]]
    """
    n = len(targets)
    if n == 0:
        return np.zeros((0, 2), np.int64)
    r0, c0, c1 = targets.bbox[:, 0], targets.bbox[:, 1], targets.bbox[:, 3]
    widths = c1 - c0
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    offsets = np.arange(int(widths.sum())) - np.repeat(starts, widths)
    flat = np.repeat(r0 * targets.labels.shape[1] + c0, widths) + offsets
    hit = targets.labels.ravel()[flat] == np.repeat(np.arange(1, n + 1), widths)
    # the first hit of each span: hits are sorted, and every span holds at least one
    positions = np.flatnonzero(hit)
    span = np.searchsorted(starts, positions, side="right") - 1
    first = positions[np.r_[True, span[1:] != span[:-1]]]
    return np.stack([r0, c0 + first - starts], axis=1).astype(np.int64)


def without_targets(mask: np.ndarray, targets, keep_anchors=()) -> np.ndarray:
    """`mask` less the rejected `targets` (8-connected parts).

    A target is the part holding its anchor pixel; a target of several parts
    (or one recorded without an anchor) also loses the parts that lie wholly
    inside its box, except parts anchoring another target (`keep_anchors`).
    """
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    kept = {int(labels[r, c]) for r, c in keep_anchors if 0 <= r < mask.shape[0] and 0 <= c < mask.shape[1]}
    drop = set()
    for anchor, (r0, c0, r1, c1), parts in targets:
        if anchor is not None and 0 <= anchor[0] < mask.shape[0] and 0 <= anchor[1] < mask.shape[1] \
                and labels[anchor]:
            drop.add(int(labels[anchor]))
            if parts <= 1:
                continue
        inside = np.unique(labels[r0:r1, c0:c1])
        for label in inside[inside > 0]:
            ys, xs = np.nonzero(labels == label)
            if ys.min() >= r0 and ys.max() < r1 and xs.min() >= c0 and xs.max() < c1 and int(label) not in kept:
                drop.add(int(label))
    return mask & ~np.isin(labels, sorted(drop)) if drop else mask
