"""Targets and pixel counts of a label and a prediction, region by region.

The fast path under :mod:`irstlabel.core.metrics.evaluation`: targets are labelled only
inside the occupied regions of the frame (:func:`irstlabel.core.labels.targets.occupied_regions`),
and put back into frame coordinates in the raster order of their first pixel,
the order ``skimage.measure.label`` gives on the whole frame. A cluttered frame,
whose regions cover more than half of it, is labelled whole. Property tests
compare everything here with a plain full-frame reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..labels.targets import Region, Targets, find_targets, first_pixels, occupied_regions

__all__ = ["TargetList", "FrameScan", "scan_frame"]


@dataclass(frozen=True)
class TargetList:
    """Targets of a mask in frame coordinates, in raster order of their first pixel."""

    area: np.ndarray  # (n,)
    bbox: np.ndarray  # (n, 4): min_row, min_col, max_row, max_col (exclusive)
    centroid: np.ndarray  # (n, 2): x, y

    def __len__(self) -> int:
        return int(self.area.shape[0])


@dataclass
class FrameScan:
    """Everything one pass over a frame's label and prediction yields."""

    true: TargetList
    pred: TargetList
    tp: int
    n_true: int
    n_pred: int
    target_ious: np.ndarray  # aligned with `true`
    regions: list  # the occupied regions of label and prediction together


_NO_TARGETS = TargetList(np.zeros(0, np.int64), np.zeros((0, 4), np.int64), np.zeros((0, 2)))


def _collect(found: list[tuple[Targets, tuple[int, int]]]) -> tuple[TargetList, np.ndarray | None]:
    """Merge per-region targets into one list in global raster order; returns the order too.

    Within one region the order is already the global one (offsets are constant),
    so a single region needs no sorting (``order`` is then ``None``).
    """
    if not found:
        return _NO_TARGETS, None
    if len(found) == 1:
        t, (r, c) = found[0]
        return TargetList(t.area, t.bbox + np.array([r, c, r, c]), t.centroid + np.array([c, r], float)), None
    area = np.concatenate([t.area for t, _ in found])
    bbox = np.concatenate([t.bbox + np.array([r, c, r, c]) for t, (r, c) in found])
    centroid = np.concatenate([t.centroid + np.array([c, r], float) for t, (r, c) in found])
    first_row = bbox[:, 0]  # a target's first pixel lies on its top row
    if np.unique(first_row).size == first_row.size:
        order = np.argsort(first_row)
    else:
        first_col = np.concatenate([first_pixels(t)[:, 1] + c for t, (_, c) in found])
        order = np.lexsort((first_col, first_row))
    return TargetList(area[order], bbox[order], centroid[order].reshape(-1, 2)), order


def scan_frame(mask_true: np.ndarray, mask_pred: np.ndarray, connectivity: int) -> FrameScan:
    """Targets and pixel counts, region by region over the occupied parts of the frame."""
    tp = n_true = n_pred = 0
    true_found, pred_found, ious = [], [], []
    regions = occupied_regions(mask_true, mask_pred)
    if sum((r.r1 - r.r0) * (r.c1 - r.c0) for r in regions) > mask_true.size // 2:
        # cluttered: the regions' boxes cover most of the frame (and overlap); label it whole
        regions = [Region(0, 0, *mask_true.shape)]
    for region in regions:
        t, p = region.crop(mask_true), region.crop(mask_pred)
        both = t & p
        t_count, p_count = int(np.count_nonzero(t)), int(np.count_nonzero(p))
        tp += int(np.count_nonzero(both))
        n_true += t_count
        n_pred += p_count
        pred_targets = find_targets(p, connectivity=connectivity) if p_count else None
        if t_count:
            true_targets = find_targets(t, connectivity=connectivity)
            ious.append(_per_target_ious(true_targets, pred_targets, both))
            true_found.append((true_targets, region.offset))
        if p_count:
            pred_found.append((pred_targets, region.offset))
    true, order = _collect(true_found)
    pred, _ = _collect(pred_found)
    target_ious = np.concatenate(ious) if ious else np.zeros(0)
    if order is not None:
        target_ious = target_ious[order]
    return FrameScan(true, pred, tp, n_true, n_pred, target_ious, regions)


def _per_target_ious(true: Targets, pred: Targets | None, both: np.ndarray) -> np.ndarray:
    """IoU of each true target with the predicted targets that overlap it.

    ``TP[i]`` is the predicted pixels inside true target ``i``; ``P[i]`` is the
    area of every predicted target overlapping it. A missed target scores 0.
    """
    n = len(true)
    if pred is None:
        return np.zeros(n)
    true_at, pred_at = true.labels[both], pred.labels[both]
    tp = np.bincount(true_at, minlength=n + 1)[1:]
    m = len(pred) + 1
    if (n + 1) * m <= 1 << 16:
        touches = np.bincount(true_at * m + pred_at, minlength=(n + 1) * m).reshape(n + 1, m)[1:, 1:] > 0
        pred_area = touches @ pred.area
    else:  # many targets on both sides: only the pairs that occur
        pairs = np.unique(true_at.astype(np.int64) * m + pred_at)
        pred_area = np.zeros(n + 1, np.int64)
        np.add.at(pred_area, pairs // m, pred.area[pairs % m - 1])
        pred_area = pred_area[1:]
    return tp / (true.area + pred_area - tp)
