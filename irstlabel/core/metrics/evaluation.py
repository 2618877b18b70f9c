"""Pixel- and target-level metrics, counted per frame and reduced over a dataset.

Counting and reducing are separate: :func:`count_frame` turns one frame into a
small :class:`FrameCounts` (a few integers and short arrays); an
:class:`Evaluator` adds them up and :meth:`Evaluator.result` reduces the sums
to the figures of the paper's Table VII. Memory does not grow with frame size,
and the result does not depend on the order of the frames.

Definitions (paper numbers in brackets):

* pixel level, pooled over the dataset: IoU = TP / (T + P - TP) [Eq. 1];
  precision, recall and F1-P [Eq. 3]; nIoU [Eq. 2] per target (default, the
  paper's N = number of targets) or per image (``niou="image"``, as ACM and
  ISNet compute it);
* target level [Eq. 4, 24-27]: a predicted target is a true detection when its
  centroid is within ``distance`` pixels of a true target's centroid,
  matched one-to-one (:mod:`irstlabel.core.metrics.matching`); Pd = TD / targets,
  Md = 1 - Pd, Pa = TD / predicted, Fa = FD / predicted, F1-T;
* legacy, as BasicIRSTD's ``PD_FA`` and ``mIoU`` compute them: Pd with
  first-found matching strictly within 3 pixels, pixel Fa = predicted pixels
  outside matched targets / all pixels, and pooled IoU.

Every choice the paper leaves open is a keyword option; see docs/choices.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

import cv2
import numpy as np

from .matching import MATCHING_METHODS, centroid_distances, match_first_found, match_targets
from .frame_scan import TargetList, scan_frame

__all__ = [
    "MetricOptions",
    "FrameCounts",
    "TargetList",
    "TargetMatch",
    "Evaluator",
    "Evaluation",
    "binarize",
    "count_frame",
    "match_frame",
    "evaluate",
    "DEFAULT_CURVE_DISTANCES",
]

DEFAULT_CURVE_DISTANCES = tuple(float(d) for d in np.arange(0.5, 10.01, 0.5))
NIOU_READINGS = ("target", "image")


@dataclass(frozen=True)
class MetricOptions:
    """Every open choice, with the defaults irstlabel uses.

    Attributes
    ----------
    threshold : float
        A pixel is predicted as target when its probability is ``> threshold``.
        Integer maps are read as probabilities: uint8 / 255, uint16 / 65535.
    distance : float
        The paper's ``d``: centroid distance for a true detection (2).
    inclusive : bool
        ``True``: within ``d`` means ``<= d``; ``False``: ``< d``.
    matching : {"hungarian", "greedy"}
        One-to-one matching of predicted to true targets.
    connectivity : {8, 4}
        Connectivity of targets.
    niou : {"target", "image"}
        Which reading of Eq. 2 is reported as ``niou``; both are computed.
    niou_empty_images : {"skip", "zero"}
        Per-image nIoU of a frame with no target and no prediction: left out
        (default) or counted as 0 (what ACM's code does).
    legacy_distance : float
        BasicIRSTD's centroid distance (strictly less than 3).
    curve_distances : tuple of float
        The ``d`` values of the Pd(d) and Pa(d) curves (Fig. 13).
    curve_bins : int
        Probability levels for the pooled ROC and PR curves (256: probabilities
        rounded to 8 bits, thresholds k / 255); 0 turns them off.
    zero_division : float
        Value of a ratio whose denominator is 0 (e.g. Pa with no prediction).
    """

    threshold: float = 0.5
    distance: float = 2.0
    inclusive: bool = True
    matching: str = "hungarian"
    connectivity: int = 8
    niou: str = "target"
    niou_empty_images: str = "skip"
    legacy_distance: float = 3.0
    curve_distances: tuple[float, ...] = DEFAULT_CURVE_DISTANCES
    curve_bins: int = 256
    zero_division: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.threshold < 1.0:
            raise ValueError(f"threshold must be in [0, 1), got {self.threshold}")
        if not (math.isfinite(self.distance) and math.isfinite(self.legacy_distance)):
            raise ValueError(f"distances must be finite numbers, got {self.distance} and {self.legacy_distance}")
        if self.distance < 0 or self.legacy_distance <= 0:
            raise ValueError("distances must be positive")
        if not all(math.isfinite(d) and d >= 0 for d in self.curve_distances):
            raise ValueError(f"curve distances must be finite and >= 0, got {self.curve_distances}")
        if self.matching not in MATCHING_METHODS:
            raise ValueError(f"unknown matching '{self.matching}'; valid: {', '.join(MATCHING_METHODS)}")
        if self.connectivity not in (4, 8):
            raise ValueError(f"connectivity must be 4 or 8, got {self.connectivity}")
        if self.niou not in NIOU_READINGS:
            raise ValueError(f"niou must be one of {NIOU_READINGS}, got '{self.niou}'")
        if self.niou_empty_images not in ("skip", "zero"):
            raise ValueError(f"niou_empty_images must be 'skip' or 'zero', got '{self.niou_empty_images}'")
        if self.curve_bins < 0 or self.curve_bins == 1:
            raise ValueError(f"curve_bins must be 0 (no ROC/PR) or >= 2, got {self.curve_bins}")


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


def _ratio(numerator: float, denominator: float, zero_division: float) -> float:
    return float(numerator) / float(denominator) if denominator else float(zero_division)


@dataclass
class Evaluation:
    """The reduced metrics of a dataset; ``as_dict()`` gives the JSON form."""

    frames: int
    pixel: dict
    target: dict
    legacy: dict
    curves: dict
    per_frame: list[FrameCounts] = field(default_factory=list, repr=False)

    def as_dict(self, *, curves: bool = False) -> dict:
        out = {"frames": self.frames, "pixel": self.pixel, "target": self.target, "legacy": self.legacy}
        if curves:
            out["curves"] = {k: np.asarray(v).tolist() for k, v in self.curves.items()}
        return out


class Evaluator:
    """Accumulates :class:`FrameCounts` and reduces them to metrics.

    Examples
    --------
    >>> ev = Evaluator(distance=2)
    >>> m = np.zeros((6, 6), bool); m[2:4, 2:4] = True
    >>> _ = ev.add(m, m, frame_id="a")
    >>> r = ev.result()
    >>> r.pixel["iou"], r.target["pd"], r.target["fa"]
    (1.0, 1.0, 0.0)
    """

    def __init__(self, options: MetricOptions | None = None, *, keep_frames: bool = True, **option_values):
        base = options or MetricOptions()
        self.options = replace(base, **option_values) if option_values else base
        self.keep_frames = keep_frames
        self._frames: list[FrameCounts] = []
        self._sums = dict(frames=0, pixels=0, tp=0, fp=0, fn=0, targets=0, predicted=0,
                          true_detections=0, legacy_detections=0, legacy_false_pixels=0)
        self._target_ious: list[float] = []
        self._image_ious: list[float] = []
        self._empty_images = 0
        self._curve = np.zeros(len(self.options.curve_distances), np.int64)
        bins = self.options.curve_bins
        self._hist_true = np.zeros(bins, np.int64)
        self._hist_false = np.zeros(bins, np.int64)

    def add(self, mask_true: np.ndarray, pred: np.ndarray, *, frame_id: str | None = None) -> FrameCounts:
        """Count one frame and add it; returns its counts."""
        counts = count_frame(mask_true, pred, self.options, frame_id=frame_id)
        self.add_counts(counts)
        return counts

    def add_counts(self, counts: FrameCounts) -> None:
        for key in self._sums:
            self._sums[key] += 1 if key == "frames" else getattr(counts, key)
        self._target_ious.extend(counts.target_ious)
        if counts.image_iou is None:
            self._empty_images += 1
        else:
            self._image_ious.append(counts.image_iou)
        self._curve += counts.curve_detections
        if counts.hist_true is not None and self.options.curve_bins:
            self._hist_true += counts.hist_true
            self._hist_false += counts.hist_false
        if self.keep_frames:
            self._frames.append(counts)

    def result(self) -> Evaluation:
        s, o = self._sums, self.options
        z = o.zero_division
        precision = _ratio(s["tp"], s["tp"] + s["fp"], z)
        recall = _ratio(s["tp"], s["tp"] + s["fn"], z)
        niou_target = _ratio(math.fsum(self._target_ious), len(self._target_ious), z)
        image_ious = self._image_ious + ([0.0] * self._empty_images if o.niou_empty_images == "zero" else [])
        niou_image = _ratio(math.fsum(image_ious), len(image_ious), z)
        iou = _ratio(s["tp"], s["tp"] + s["fp"] + s["fn"], z)
        pixel = {
            "iou": iou,
            "niou": niou_target if o.niou == "target" else niou_image,
            "niou_target": niou_target,
            "niou_image": niou_image,
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall, z),
        }
        pd = _ratio(s["true_detections"], s["targets"], z)
        pa = _ratio(s["true_detections"], s["predicted"], z)
        false_alarms = s["predicted"] - s["true_detections"]
        target = {
            "pd": pd,
            "md": _ratio(s["targets"] - s["true_detections"], s["targets"], z),
            "pa": pa,
            "fa": _ratio(false_alarms, s["predicted"], z),
            "f1": _ratio(2 * pd * pa, pd + pa, z),
            "true_detections": s["true_detections"],
            "missed": s["targets"] - s["true_detections"],
            "false_alarms": false_alarms,
            "targets": s["targets"],
            "predicted": s["predicted"],
            "distance": o.distance,
        }
        legacy = {
            "pd": _ratio(s["legacy_detections"], s["targets"], z),
            "fa_pixel": _ratio(s["legacy_false_pixels"], s["pixels"], z),
            "iou": iou,
        }
        return Evaluation(
            frames=s["frames"], pixel=pixel, target=target, legacy=legacy,
            curves=self._curves(), per_frame=list(self._frames),
        )

    def _curves(self) -> dict:
        s, z = self._sums, self.options.zero_division
        curves = {
            "distance": np.array(self.options.curve_distances),
            "pd": np.array([_ratio(v, s["targets"], z) for v in self._curve]),
            "pa": np.array([_ratio(v, s["predicted"], z) for v in self._curve]),
        }
        if self.options.curve_bins and (self._hist_true.sum() + self._hist_false.sum()):
            # level k stands for probability k / (bins - 1); predicted when level >= k
            tp = np.cumsum(self._hist_true[::-1])[::-1]
            fp = np.cumsum(self._hist_false[::-1])[::-1]
            positives, negatives = self._hist_true.sum(), self._hist_false.sum()
            curves["threshold"] = np.arange(self.options.curve_bins) / (self.options.curve_bins - 1)
            curves["tpr"] = tp / positives if positives else np.full(tp.shape, z, float)
            curves["fpr"] = fp / negatives if negatives else np.full(fp.shape, z, float)
            predicted = tp + fp
            curves["precision"] = np.divide(tp, predicted, out=np.full(tp.shape, 1.0), where=predicted > 0)
            curves["recall"] = curves["tpr"]
        return curves


def evaluate(pairs, options: MetricOptions | None = None, **option_values) -> Evaluation:
    """Evaluate an iterable of ``(mask_true, pred)`` or ``(frame_id, mask_true, pred)``."""
    evaluator = Evaluator(options, **option_values)
    for item in pairs:
        if len(item) == 3:
            evaluator.add(item[1], item[2], frame_id=item[0])
        else:
            evaluator.add(item[0], item[1])
    return evaluator.result()
