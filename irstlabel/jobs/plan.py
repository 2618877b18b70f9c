"""Which frames a retraining trains on, validates on and is judged on: decided once, shown before it starts.

The dialog shows the plan's counts, the train job trains on its frames (and
writes them to ``split.json`` in the run folder), and the evaluate step
scores its held-out frames: one decision, read everywhere.

Rules (docs/choices.md, "What trains, what is held out"):

* Only **labelled** frames take part (:meth:`PairSource.labelled_ids`): a
  frame nobody labelled is not a target-free frame.
* The held-out frames are the dataset's own **test split** (its labelled
  frames) whenever it has one; otherwise a seeded fifth of the labelled
  frames, which then never train.
* Training and validation come from the other labelled frames: those of the
  dataset's train/val splits when it has a train split (frames outside every
  split are left out), else every other labelled frame. The dataset's val
  split validates when there is one; else a seeded quarter of them does.
* With no labelled frame left to train on, the plan says so; asked to
  (``train_on_test``), it trains and validates on the held-out frames and
  says that its figures are then not held out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.errors import IrstlabelError
from ..core.datasets.splits import seeded_split

__all__ = ["TrainingPlan", "plan_training"]

HELD_OUT_SHARE = 0.2  # of the labelled frames, when the dataset has no test split
VAL_SHARE = 0.25  # of the training pool, when the dataset has no val split


@dataclass(frozen=True)
class TrainingPlan:
    """The frames of one retraining, and why the others are left out."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    test_label: str
    frames: int
    unlabelled: int
    outside_splits: int = 0
    trains_on_test: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def problem(self) -> str | None:
        """Why this plan cannot train, or None."""
        if self.train:
            return None
        if self.test and not self.trains_on_test:
            return (f"no labelled frame outside the held-out frames ({self.test_label}) is left to train on; "
                    "label frames outside it, or train on the held-out frames (their figures are then not held out)")
        return "no labelled frame to train on: label some frames (or mark target-free ones done) first"

    def counts(self) -> str:
        """One line: how many frames train, validate and are held out, and how many are left out and why."""
        line = (f"{len(self.train)} frames train, {len(self.val)} validate, {len(self.test)} held out "
                f"({self.test_label})")
        left = []
        if self.unlabelled:
            left.append(f"{self.unlabelled} unlabelled")
        if self.outside_splits:
            left.append(f"{self.outside_splits} outside the dataset's train/val splits")
        if left:
            line += "; left out: " + ", ".join(left)
        if self.trains_on_test:
            line += "; trained on the held-out frames: their figures are not held out"
        return line

    def to_dict(self) -> dict:
        return {"train": list(self.train), "val": list(self.val), "test": list(self.test),
                "test_label": self.test_label, "frames": self.frames, "unlabelled": self.unlabelled,
                "outside_splits": self.outside_splits, "trains_on_test": self.trains_on_test,
                "counts": self.counts(), "problem": self.problem}


def _split(dataset, name: str) -> tuple[str, list[str]] | None:
    """(the split's full name, its ids), or None when the dataset has no such split."""
    try:
        ids = list(dataset.split(name))
    except IrstlabelError:
        return None
    full = next((key for key, value in dataset.splits.items() if list(value) == ids and key != "all"), name)
    return full, ids


def plan_training(source, *, seed: int = 0, train_on_test: bool = False, train_split: str | None = None,
                  val_split: str | None = None) -> TrainingPlan:
    """The frames of a retraining on `source` (a :class:`~irstlabel.core.datasets.pairs.PairSource` with a ``dataset``)."""
    dataset = source.dataset
    all_ids = list(dataset.frame_ids)
    labelled = list(source.labelled_ids())
    known = set(labelled)
    test_split = _split(dataset, "test")
    if test_split is not None:
        label, split_ids = test_split
        test = [f for f in split_ids if f in known]
    else:
        n_test = int(round(HELD_OUT_SHARE * len(labelled))) if len(labelled) >= 3 else 0
        test = _shuffled(labelled, seed)[:n_test]
        label = "seeded fifth of the labelled frames"
    held_out = set(test)
    pool, outside = _training_pool(dataset, labelled, held_out, train_split)
    val_named = val_split or ("val" if _split(dataset, "val") is not None else None)
    trains_on_test = False
    if not pool and train_on_test and test:
        pool, trains_on_test, val_named = list(test), True, None
    if val_named is not None:
        val_ids = set(dataset.split(val_named))
        val = [f for f in pool if f in val_ids]
        train = [f for f in pool if f not in val_ids]
    else:
        n_val = max(int(round(VAL_SHARE * len(pool))), 1) if len(pool) >= 2 else 0
        val_set = set(_shuffled(pool, seed)[:n_val])
        val = [f for f in pool if f in val_set]
        train = [f for f in pool if f not in val_set]
    return TrainingPlan(tuple(train), tuple(val), tuple(test), label, len(all_ids), len(all_ids) - len(labelled),
                        outside, trains_on_test)


def _shuffled(ids: list[str], seed: int) -> list[str]:
    """`ids` in a seeded random order (the same seed, the same order)."""
    return seeded_split(ids, seed=seed, ratios=(0.0, 0.0, 1.0))[2]


def _training_pool(dataset, labelled: list[str], held_out: set, train_split: str | None) -> tuple[list[str], int]:
    """(labelled frames that may train or validate, how many labelled frames are outside the dataset's splits)."""
    candidates = [f for f in labelled if f not in held_out]
    named = [train_split] if train_split else [n for n in ("train", "trainval") if _split(dataset, n) is not None][:1]
    if not named:
        return candidates, 0
    allowed = set(dataset.split(named[0]))
    if _split(dataset, "val") is not None:
        allowed |= set(dataset.split("val"))
    pool = [f for f in candidates if f in allowed]
    return pool, len(candidates) - len(pool)
