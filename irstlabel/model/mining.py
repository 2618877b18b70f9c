"""Hard negatives: a model's false alarms on training frames, as boxes crops are centred on.

A model trained on crops around targets rarely sees the bright cloud edges,
glints and frame borders it mistakes for targets. Predicting the training
frames once with a model and keeping its unmatched predicted targets gives
:class:`~irstlabel.core.datasets.pairs.WithNegatives` the boxes to sample
from, as a reviewer's rejections do in a project.
"""

from __future__ import annotations

from typing import Callable

from ..core.datasets.pairs import PairSource
from ..core.metrics.evaluation import MetricOptions, match_frame

__all__ = ["mine_false_alarms"]


def mine_false_alarms(predictor, source: PairSource, frame_ids, *, distance: float = 2.0,
                      progress: Callable[[int, int], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> dict[str, list[tuple[int, int, int, int]]]:
    """Boxes ``(r0, c0, r1, c1)`` of `predictor`'s false alarms per frame (frames without any are left out).

    A predicted target is a false alarm when no labelled target's centroid is
    within `distance` pixels of its own (the target-level metrics' matching,
    at the predictor's threshold). Stops early, returning what it has, when
    `should_stop()` says so.
    """
    options = MetricOptions(threshold=predictor.threshold, distance=distance)
    frame_ids = list(frame_ids)
    found: dict[str, list[tuple[int, int, int, int]]] = {}
    for done, frame_id in enumerate(frame_ids, start=1):
        if should_stop is not None and should_stop():
            break
        image, mask = source.read(frame_id)
        match = match_frame(mask, predictor.levels(image), options)
        boxes = [tuple(int(v) for v in match.pred.bbox[k]) for k in match.false_alarms]
        if boxes:
            found[frame_id] = boxes
        if progress is not None:
            progress(done, len(frame_ids))
    return found
