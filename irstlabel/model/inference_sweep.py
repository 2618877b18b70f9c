"""Choosing a checkpoint's inference scale and threshold on the validation split (never the test split).

After training, the best checkpoint predicts every validation frame at each
candidate scale; each scale's 8-bit maps are scored at each candidate
threshold, and the pair with the highest selection score is recorded in the
checkpoint (``inference``). Every row of the sweep is kept (``inference_sweep.csv``
in the run folder) so the choice can be checked and redone.

The selection score is the mean of validation IoU, nIoU and F1-T by default
(segmentation of large and of small targets, and detection); ``select``
offers the mean of nIoU and F1-T, or nIoU, IoU or F1-T alone. Ties go to the smaller scale (cheaper), then to the threshold
nearer 0.5.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.metrics.evaluation import Evaluator, MetricOptions
from ..core.datasets.pairs import set_of
from ..core.datasets.predictions import to_levels
from .inference import SCALES, THRESHOLDS, InferenceSettings
from .predict import probability_map

__all__ = ["SweepRow", "sweep_inference", "choose_inference", "SELECTIONS", "write_sweep"]

SELECTIONS = {
    "iou+niou+f1": lambda r: (r.iou + r.niou + r.f1_t) / 3,
    "niou+f1": lambda r: (r.niou + r.f1_t) / 2,
    "niou": lambda r: r.niou,
    "iou": lambda r: r.iou,
    "f1": lambda r: r.f1_t,
}


@dataclass(frozen=True)
class SweepRow:
    """Validation figures of one (scale, threshold) pair."""

    scale: float
    threshold: float
    iou: float
    niou: float
    f1_t: float
    pd: float
    fa: float
    precision: float


def sweep_inference(run: Callable, read_pair: Callable, frame_ids, *, scales=SCALES, thresholds=THRESHOLDS,
                    distance: float = 2.0, progress: Callable[[int, int], None] | None = None,
                    should_stop: Callable[[], bool] | None = None, weighting: str = "pooled") -> list[SweepRow]:
    """Score every (scale, threshold) on `frame_ids`; `run` is a network runner, `read_pair(id) -> (frame, mask)`.

    ``weighting="per-set"`` scores the frames of each set (``"<set>:<id>"``
    keys) alone and gives each row the mean of the sets' figures.
    """
    if not frame_ids:
        raise ValueError("the inference sweep needs validation frames")
    group = set_of if weighting == "per-set" else (lambda frame_id: "")
    rows, total, done = [], len(scales) * len(frame_ids), 0
    pairs = [(group(frame_id), *read_pair(frame_id)) for frame_id in frame_ids]
    sets = sorted({name for name, _, _ in pairs})
    for scale in scales:
        evaluators = {(name, t): Evaluator(MetricOptions(threshold=t, distance=distance, curve_bins=0), keep_frames=False)
                      for name in sets for t in thresholds}
        settings = InferenceSettings(scale=scale)
        for name, frame, mask in pairs:
            if should_stop is not None and should_stop():
                return rows
            levels = to_levels(probability_map(run, frame, settings))
            for threshold in thresholds:
                evaluators[name, threshold].add(mask, levels)
            done += 1
            if progress is not None:
                progress(done, total)
        for threshold in thresholds:
            results = [evaluators[name, threshold].result() for name in sets]
            rows.append(SweepRow(scale, threshold, *(float(np.mean(values)) for values in zip(*(
                (r.pixel["iou"], r.pixel["niou"], r.target["f1"], r.target["pd"], r.target["fa"], r.pixel["precision"])
                for r in results)))))
    return rows


def choose_inference(rows: list[SweepRow], *, select: str = "iou+niou+f1") -> tuple[InferenceSettings, SweepRow]:
    """The best row by `select` (ties: smaller scale, then threshold nearer 0.5) as settings."""
    if select not in SELECTIONS:
        raise ValueError(f"unknown selection '{select}'; valid: {', '.join(SELECTIONS)}")
    if not rows:
        raise ValueError("no sweep rows to choose from")
    score = SELECTIONS[select]
    best = max(rows, key=lambda r: (round(score(r), 9), -r.scale, -abs(r.threshold - 0.5)))
    return InferenceSettings(scale=best.scale, threshold=best.threshold), best


def write_sweep(path: Path, rows: list[SweepRow], chosen: SweepRow, select: str) -> None:
    """The sweep as CSV, the chosen row marked."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scale", "threshold", "iou", "niou", "f1_t", "pd", "fa", "precision", "chosen", "select"])
        for r in rows:
            writer.writerow([r.scale, r.threshold, f"{r.iou:.5f}", f"{r.niou:.5f}", f"{r.f1_t:.5f}", f"{r.pd:.5f}",
                             f"{r.fa:.3e}", f"{r.precision:.5f}", int(r == chosen), select])


def sweep_summary(chosen: SweepRow, select: str, split: str) -> dict:
    """What a checkpoint records about how its inference settings were chosen."""
    return {"chosen_on": split, "select": select,
            "val": {k: float(np.round(v, 6)) for k, v in
                    (("iou", chosen.iou), ("niou", chosen.niou), ("f1_t", chosen.f1_t), ("pd", chosen.pd))}}
