"""What the metrics leave open, as keyword options: one frozen :class:`MetricOptions`, validated once.

See docs/choices.md for each choice and its default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .matching import MATCHING_METHODS

__all__ = ["MetricOptions", "DEFAULT_CURVE_DISTANCES", "NIOU_READINGS"]

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
