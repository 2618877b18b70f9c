"""Which frames train and which validate: the dataset's own split, or a seeded 6:2:2 split."""

from __future__ import annotations

import numpy as np

from ..core.errors import IrstlabelError


def seeded_split(frame_ids, *, seed: int = 0, ratios=(0.6, 0.2, 0.2)) -> tuple[list, list, list]:
    """Shuffle with `seed` and cut into train, val, test by `ratios`."""
    ids = list(frame_ids)
    order = np.random.default_rng(seed).permutation(len(ids))
    n_train = int(round(ratios[0] * len(ids)))
    n_val = int(round(ratios[1] * len(ids)))
    shuffled = [ids[k] for k in order]
    return shuffled[:n_train], shuffled[n_train : n_train + n_val], shuffled[n_train + n_val :]


def _first_split(dataset, names):
    for name in names:
        try:
            return list(dataset.split(name))
        except IrstlabelError:
            continue
    return None


def training_splits(dataset, train: str | None = None, val: str | None = None, *, seed: int = 0):
    """(train ids, val ids): named splits, the dataset's train/val, or seeded splits that spare the test split.

    The test split is never used for training or for choosing the best
    checkpoint. Without a val split, a seeded quarter of the training frames
    validates (6:2 of a 6:2:2 split); without a train split, the frames outside
    the test split are cut 6:2; without either, a seeded 6:2:2 split of all
    frames gives train and val (its test part is what evaluation then uses).
    """
    if train is not None:
        train_ids = list(dataset.split(train))
        val_ids = list(dataset.split(val)) if val is not None else []
        return train_ids, val_ids
    train_ids = _first_split(dataset, ("train", "trainval"))
    val_ids = list(dataset.split(val)) if val is not None else _first_split(dataset, ("val",))
    if train_ids and val_ids:
        return train_ids, val_ids
    if train_ids is None:
        test_ids = _first_split(dataset, ("test",))
        if test_ids is None:
            train_ids, val_ids, _ = seeded_split(dataset.frame_ids, seed=seed)
            return train_ids, val_ids
        held_out = set(test_ids)
        train_ids = [frame_id for frame_id in dataset.frame_ids if frame_id not in held_out]
        if not train_ids:
            raise IrstlabelError(dataset.root, "every frame is in the test split: no frame is left to train on "
                                               "(name the frames to train on with --train-split)")
    base, carved, _ = seeded_split(train_ids, seed=seed, ratios=(0.75, 0.25, 0.0))
    return base, carved
