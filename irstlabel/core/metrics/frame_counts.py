"""One frame's contribution to the metrics: its targets matched, its pixels and histograms counted.

:func:`count_frame` turns a label and a prediction into a small
:class:`FrameCounts`; :func:`match_frame` is the matching the review view
draws (hits, misses, false alarms). Reducing the counts over a dataset is
:mod:`irstlabel.core.metrics.evaluator`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .frame_scan import TargetList, scan_frame
from .matching import centroid_distances, match_first_found, match_targets
from .options import MetricOptions

__all__ = ["FrameCounts", "TargetMatch", "binarize", "count_frame", "match_frame"]

@dataclass
class FrameCounts:
    """What one frame contributes to the dataset's metrics."""

    frame_id: str | None
    pixels: int
    tp: int
    fp: int
    fn: int
    target_ious: tuple[float, ...]  # one per true target (per-target nIoU)
    image_iou: float | None  # None: no target and no prediction
    targets: int
    predicted: int
    true_detections: int
    legacy_detections: int
    legacy_false_pixels: int
    curve_detections: np.ndarray  # true detections at each curve distance
    hist_true: np.ndarray | None = None  # probability histogram of target pixels
    hist_false: np.ndarray | None = None  # ... of background pixels

    @property
    def missed(self) -> int:
        return self.targets - self.true_detections

    @property
    def false_alarms(self) -> int:
        return self.predicted - self.true_detections


@dataclass(frozen=True)
class TargetMatch:
    """Targets of a frame's label and prediction, and how they match."""

    true: TargetList
    pred: TargetList
    pairs: np.ndarray  # (n, 2): true index, pred index

    @property
    def hits(self) -> np.ndarray:
        return self.pairs[:, 0]

    @property
    def misses(self) -> np.ndarray:
        return np.setdiff1d(np.arange(len(self.true)), self.pairs[:, 0])

    @property
    def false_alarms(self) -> np.ndarray:
        return np.setdiff1d(np.arange(len(self.pred)), self.pairs[:, 1])


def binarize(pred: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Predicted mask: ``probability > threshold``.

    bool arrays are taken as they are; uint8 and uint16 maps are probabilities
    scaled to 255 and 65535; floats must already be probabilities.
    """
    pred = np.asarray(pred)
    if pred.dtype == bool:
        return pred
    if pred.dtype in (np.uint8, np.uint16):
        return pred >= pred.dtype.type(_lowest_level(int(np.iinfo(pred.dtype).max), float(threshold)))
    if np.issubdtype(pred.dtype, np.floating):
        return pred > threshold
    raise ValueError(f"predictions must be bool, uint8, uint16 or float, got {pred.dtype}")


@lru_cache(maxsize=16)
def _lowest_level(top: int, threshold: float) -> int:
    """The lowest integer level whose probability ``level / top`` exceeds the threshold (exactly)."""
    return int(np.argmax(np.arange(top + 1, dtype=np.float64) / top > threshold))


def _probability_bins(pred: np.ndarray, bins: int) -> np.ndarray:
    """Probability levels ``round(p * (bins - 1))``: level k stands for probability k / (bins - 1)."""
    if pred.dtype == bool:
        return np.where(pred, bins - 1, 0)
    if pred.dtype == np.uint8 and bins == 256:
        return pred
    if pred.dtype in (np.uint8, np.uint16):
        scaled = pred.astype(np.float64) / np.iinfo(pred.dtype).max
    else:
        scaled = pred.astype(np.float64)
    return np.clip(np.rint(scaled * (bins - 1)).astype(np.int64), 0, bins - 1)


def match_frame(mask_true: np.ndarray, mask_pred: np.ndarray, options: MetricOptions = MetricOptions()) -> TargetMatch:
    """Targets of a label and a prediction, matched as the options say.

    This is what the review view draws as hits, misses and false alarms.
    `mask_pred` may be a probability map; it is thresholded first.
    """
    mask_true, pred = _check_pair(mask_true, mask_pred)
    scan = scan_frame(mask_true, np.ascontiguousarray(binarize(pred, options.threshold)), options.connectivity)
    distances = centroid_distances(scan.true.centroid, scan.pred.centroid)
    pairs = match_targets(distances, distance=options.distance, inclusive=options.inclusive, method=options.matching)
    return TargetMatch(true=scan.true, pred=scan.pred, pairs=pairs)


def _check_pair(mask_true, pred):
    mask_true = np.asarray(mask_true)
    pred = np.asarray(pred)
    if mask_true.ndim != 2 or mask_true.shape != pred.shape:
        raise ValueError(f"mask_true {mask_true.shape} and prediction {pred.shape} must be 2-D and the same size")
    if mask_true.dtype != bool:
        mask_true = mask_true != 0
    return np.ascontiguousarray(mask_true), pred


def _curve_detections(distances: np.ndarray, options: MetricOptions) -> np.ndarray:
    """True detections at each curve distance, matching again only where the allowed pairs change.

    Called when some target competes for a partner (:func:`_detections` handles the rest).
    """
    out = np.zeros(len(options.curve_distances), np.int64)
    if distances.size == 0 or not options.curve_distances:
        return out
    flat = np.sort(distances.ravel())
    allowed = np.searchsorted(flat, options.curve_distances, side="right" if options.inclusive else "left")
    previous_allowed, previous = 0, 0
    for k, d in enumerate(options.curve_distances):
        if allowed[k] != previous_allowed:
            previous = len(match_targets(distances, distance=d, inclusive=options.inclusive, method=options.matching))
            previous_allowed = allowed[k]
        out[k] = previous
    return out


def _detections(distances: np.ndarray, options: MetricOptions) -> tuple[int, np.ndarray, np.ndarray]:
    """True detections at ``d``, BasicIRSTD's pairs, and detections at each curve distance.

    Most frames have no competition: no target has two candidates within the
    largest distance asked for, and no candidate two targets. Then every pair
    within a distance is a match under every rule, and no matching is run.
    """
    if distances.size:
        farthest = max(options.distance, options.legacy_distance, *options.curve_distances)
        near = distances <= farthest
        if near.sum(axis=0).max() <= 1 and near.sum(axis=1).max() <= 1:
            rows, cols = np.nonzero(near)
            d = distances[rows, cols]
            within = d <= options.distance if options.inclusive else d < options.distance
            legacy = d < options.legacy_distance
            curve = np.searchsorted(np.sort(d), options.curve_distances, side="right" if options.inclusive else "left")
            return int(within.sum()), np.stack([rows[legacy], cols[legacy]], axis=1), curve.astype(np.int64)
    pairs = match_targets(distances, distance=options.distance, inclusive=options.inclusive, method=options.matching)
    legacy = match_first_found(distances, distance=options.legacy_distance)
    return len(pairs), legacy, _curve_detections(distances, options)


def count_frame(
    mask_true: np.ndarray,
    pred: np.ndarray,
    options: MetricOptions = MetricOptions(),
    *,
    frame_id: str | None = None,
) -> FrameCounts:
    """Count one frame: pixel counts, per-target IoUs, detections, histograms.

    Parameters
    ----------
    mask_true : ndarray, (H, W)
        The label; non-zero is target.
    pred : ndarray, (H, W)
        A binary prediction (bool) or a probability map (float in [0, 1],
        uint8 / 255, uint16 / 65535).
    options : MetricOptions
    frame_id : str, keyword-only
        Kept in the counts for per-frame tables.

    Examples
    --------
    >>> t = np.zeros((8, 8), bool); t[1:3, 1:3] = True
    >>> p = np.zeros((8, 8), bool); p[1:3, 2:4] = True; p[6, 6] = True
    >>> c = count_frame(t, p)
    >>> c.tp, c.fp, c.fn, c.true_detections, c.false_alarms
    (2, 3, 2, 1, 1)
    """
    mask_true, pred = _check_pair(mask_true, pred)
    mask_pred = np.ascontiguousarray(binarize(pred, options.threshold))
    scan = scan_frame(mask_true, mask_pred, options.connectivity)
    distances = centroid_distances(scan.true.centroid, scan.pred.centroid)
    detections, legacy, curve = _detections(distances, options)
    unmatched = np.ones(len(scan.pred), bool)
    unmatched[legacy[:, 1]] = False
    union = scan.n_true + scan.n_pred - scan.tp
    counts = FrameCounts(
        frame_id=frame_id,
        pixels=int(mask_true.size),
        tp=scan.tp,
        fp=scan.n_pred - scan.tp,
        fn=scan.n_true - scan.tp,
        target_ious=tuple(float(v) for v in scan.target_ious),
        image_iou=(scan.tp / union) if union else None,
        targets=len(scan.true),
        predicted=len(scan.pred),
        true_detections=detections,
        legacy_detections=len(legacy),
        legacy_false_pixels=int(scan.pred.area[unmatched].sum()),
        curve_detections=curve,
    )
    if options.curve_bins:
        counts.hist_true, counts.hist_false = _histograms(mask_true, pred, options.curve_bins, counts, scan.regions)
    return counts


def _levels_256(pred: np.ndarray) -> np.ndarray:
    """``round(255 p)`` as uint8, rounded in float64.

    float32 times 255 is exact in float64; OpenCV's ``convertScaleAbs`` scales in
    float32 and moves about 1 in 100,000 values next to ``k + 0.5`` one level.
    """
    scaled = np.multiply(pred, np.float64(255.0))
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    return scaled.astype(np.uint8)


def _histograms(mask_true: np.ndarray, pred: np.ndarray, bins: int, counts: FrameCounts, regions):
    """Probability histograms of target and background pixels.

    Levels are ``round(p * (bins - 1))``. A binary prediction needs no pass over
    the frame: its two levels are the pixel counts. With 256 levels, 8-bit maps
    are counted as they are and float maps after rounding to 8 bits.
    """
    hist_true = np.zeros(bins, np.int64)
    hist_false = np.zeros(bins, np.int64)
    if pred.dtype == bool:
        hist_true[[0, bins - 1]] = counts.fn, counts.tp
        negatives = counts.pixels - counts.tp - counts.fn
        hist_false[[0, bins - 1]] = negatives - counts.fp, counts.fp
        return hist_true, hist_false
    if bins == 256 and pred.dtype in (np.uint8, np.float32, np.float64):
        levels = pred if pred.dtype == np.uint8 else _levels_256(pred)
        hist_all = cv2.calcHist([levels], [0], None, [256], [0, 256]).ravel().astype(np.int64)
        # target pixels are few: count them inside the occupied regions rather than over the frame
        for region in regions:
            hist_true += np.bincount(region.crop(levels)[region.crop(mask_true)], minlength=256)
        return hist_true, hist_all - hist_true
    index = _probability_bins(pred, bins)
    hist_true = np.bincount(index[mask_true], minlength=bins)
    return hist_true, np.bincount(index.ravel(), minlength=bins) - hist_true
