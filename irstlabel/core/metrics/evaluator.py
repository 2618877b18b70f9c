"""The dataset's metrics: :class:`FrameCounts` added up and reduced to the figures of the paper's Table VII.

The result does not depend on the order of the frames, and memory does not
grow with frame size (only the per-frame counts are kept, on request).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .frame_counts import FrameCounts, count_frame
from .options import MetricOptions

__all__ = ["Evaluator", "Evaluation", "evaluate"]

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
