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

Every choice the paper leaves open is a keyword option; see docs/choices.md. This module gathers the
public names: options (:mod:`.options`), per-frame counting (:mod:`.frame_counts`) and reduction
(:mod:`.evaluator`).
"""

from __future__ import annotations

from .frame_counts import FrameCounts, TargetMatch, binarize, count_frame, match_frame
from .frame_scan import TargetList
from .evaluator import Evaluation, Evaluator, evaluate
from .options import DEFAULT_CURVE_DISTANCES, NIOU_READINGS, MetricOptions

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
    "NIOU_READINGS",
]
