"""Seeded splits of frame ids (the retraining plan, irstlabel.jobs.plan, decides which frames train)."""

from __future__ import annotations

import numpy as np


def seeded_split(frame_ids, *, seed: int = 0, ratios=(0.6, 0.2, 0.2)) -> tuple[list, list, list]:
    """Shuffle with `seed` and cut into train, val, test by `ratios`."""
    ids = list(frame_ids)
    order = np.random.default_rng(seed).permutation(len(ids))
    n_train = int(round(ratios[0] * len(ids)))
    n_val = int(round(ratios[1] * len(ids)))
    shuffled = [ids[k] for k in order]
    return shuffled[:n_train], shuffled[n_train : n_train + n_val], shuffled[n_train + n_val :]
