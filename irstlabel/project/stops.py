"""Where a frame needs the user's decision: the stops Tab walks and a decision moves on to.

A stop is a label still ``pending``, or a target of the shown prediction that
no label covers (a false alarm of the model, or a target the label is
missing: the user says which). Labels the model misses are pending labels
until decided, so they are stops too. Decided labels (accepted, rejected,
edited) are not. Stops are ordered by the top-left corner of their box, in
raster order, whatever their kind: the walk sweeps the frame once.

The unlabelled predictions are the review view's false alarms
(:func:`irstlabel.core.metrics.evaluation.match_frame`, the paper's centroid
rule) that touch no labelled pixel: one fact, drawn as a marker and walked by
Tab.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.labels.targets import component_in_box
from ..core.metrics.evaluation import MetricOptions, match_frame

__all__ = ["Stop", "frame_stops", "position_of"]


@dataclass(frozen=True)
class Stop:
    """A place on a frame that needs a decision.

    ``target_id`` is the label's id; None for a predicted target without a
    label (``area`` then names its component among the prediction's).
    """

    bbox: tuple[int, int, int, int]
    centroid: tuple[float, float]  # x, y
    target_id: int | None = None
    area: int = 0

    @property
    def key(self) -> tuple[int, int, int]:
        return position_of(self.bbox, self.target_id)

    @property
    def is_prediction(self) -> bool:
        return self.target_id is None


def position_of(bbox, target_id: int | None = None) -> tuple[int, int, int]:
    """The walk's order: raster order of the box's top-left corner (a label before a prediction there)."""
    return int(bbox[0]), int(bbox[1]), 0 if target_id is None else -int(target_id)


def frame_stops(records, labelled: np.ndarray, predicted: np.ndarray | None, *,
                options: MetricOptions = MetricOptions()) -> list[Stop]:
    """The stops of one frame, in walk order.

    Parameters
    ----------
    records : sequence of TargetRecord
        The frame's labels with their statuses (``FrameState.records()``).
    labelled : ndarray of bool, (H, W)
        The current mask (every label, decided or not).
    predicted : ndarray of bool, (H, W), or None
        The shown prediction above its threshold; None: no prediction stops.
    options : MetricOptions, keyword-only
        How a prediction's targets match the labels (the review markers' options).
    """
    stops = [Stop(tuple(int(v) for v in r.bbox), tuple(float(v) for v in r.centroid), r.id, int(r.area))
             for r in records if r.status == "pending"]
    if predicted is not None and predicted.any():
        stops += _unlabelled_predictions(labelled, predicted, options)
    return sorted(stops, key=lambda stop: stop.key)


def _unlabelled_predictions(labelled: np.ndarray, predicted: np.ndarray, options: MetricOptions) -> list[Stop]:
    match = match_frame(labelled, predicted, options)
    stops = []
    for k in match.false_alarms:
        bbox = tuple(int(v) for v in match.pred.bbox[k])
        area = int(match.pred.area[k])
        r0, c0, r1, c1 = bbox
        if labelled[r0:r1, c0:c1].any() and (
                component_in_box(predicted, bbox, area, connectivity=options.connectivity) & labelled).any():
            continue  # it overlaps a label: that label is the stop (or was decided)
        stops.append(Stop(bbox, tuple(float(v) for v in match.pred.centroid[k]), None, area))
    return stops
