"""What trains: only labelled frames, never the held-out ones; rejected targets leave the mask as hard negatives."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import assume, given, settings, strategies as st

from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.jobs.plan import plan_training
from irstlabel.jobs.sources import ProjectPairs, without_targets
from irstlabel.project.store import Project


def _dataset(tmp_path, frames=20, *, splits=None, unlabelled=()):
    root = make_demo_dataset(tmp_path / "d", frames=frames, size=(40, 48), seed=2, n_targets=(1, 2))
    ids = [f"frame_{k:04d}" for k in range(1, frames + 1)]
    if splits:
        (root / "50_50").mkdir()
        for name, members in splits.items():
            (root / "50_50" / f"{name}.txt").write_text("\n".join(ids[i] for i in members) + "\n")
    for i in unlabelled:
        (root / "masks" / f"{ids[i]}.png").unlink()
    Project.open(root).close()
    return root, ids


def _plan(root, **options):
    return plan_training(ProjectPairs(str(root), str(root / ".irstlabel")), **options)


def test_the_datasets_own_test_split_is_held_out_and_never_trains(tmp_path):
    root, ids = _dataset(tmp_path, splits={"test": range(14, 20)})
    plan = _plan(root)
    assert list(plan.test) == ids[14:] and plan.test_label == "test"
    assert not set(plan.train + plan.val) & set(ids[14:]) and not set(plan.train) & set(plan.val)
    assert len(plan.train) + len(plan.val) == 14 and len(plan.val) == 4
    assert plan.counts() == "10 frames train, 4 validate, 6 held out (test)"


def test_unlabelled_frames_never_train_and_are_counted_and_a_done_frame_trains_as_target_free(tmp_path):
    root, ids = _dataset(tmp_path, splits={"test": range(16, 20)}, unlabelled=range(0, 10))
    with Project.open(root) as project:
        project.set_frame_state(ids[3], "done")  # looked at, nothing there: a target-free example
    plan = _plan(root)
    used = set(plan.train + plan.val)
    assert used == {ids[3]} | set(ids[10:16])
    assert "left out: 9 unlabelled" in plan.counts()


def test_an_edited_frame_is_labelled(tmp_path):
    root, ids = _dataset(tmp_path, unlabelled=range(0, 20))
    assert _plan(root).problem and "no labelled frame" in _plan(root).problem
    with Project.open(root) as project:
        mask = np.zeros((40, 48), bool)
        mask[5:8, 5:8] = True
        project.save_mask(ids[7], mask)
    plan = _plan(root)
    assert set(plan.train + plan.val + plan.test) == {ids[7]} and plan.train == (ids[7],)


def test_with_a_train_split_frames_outside_the_splits_are_left_out_and_said(tmp_path):
    """NUDT-SIRST's Misc_* frames are in neither 50_50 file: they must not train."""
    root, ids = _dataset(tmp_path, splits={"train": range(0, 8), "test": range(8, 14)})
    plan = _plan(root)
    assert set(plan.train + plan.val) == set(ids[:8])
    assert plan.outside_splits == 6 and "6 outside the dataset's train/val splits" in plan.counts()


def test_without_a_test_split_a_seeded_fifth_is_held_out_and_not_trained_on(tmp_path):
    root, ids = _dataset(tmp_path, splits={"train": range(0, 20)})
    plan = _plan(root)
    assert len(plan.test) == 4 and not set(plan.test) & set(plan.train + plan.val)
    assert plan == _plan(root)  # seeded: the same frames every time


def test_a_test_only_dataset_trains_on_its_other_labelled_frames(tmp_path):
    root, ids = _dataset(tmp_path, splits={"test": range(0, 20)})
    plan = _plan(root)
    assert plan.problem is not None and "train on the held-out frames" in plan.problem
    forced = _plan(root, train_on_test=True)
    assert forced.problem is None and forced.trains_on_test and set(forced.train + forced.val) == set(ids)
    assert "their figures are not held out" in forced.counts()


def test_a_rejected_target_leaves_the_training_mask_and_becomes_a_hard_negative(tmp_path):
    root, ids = _dataset(tmp_path)
    source = ProjectPairs(str(root), str(root / ".irstlabel"))
    with Project.open(root) as project:
        mask = np.zeros((40, 48), bool)
        mask[2:5, 2:5] = True
        mask[20:24, 30:33] = True
        project.save_mask(ids[0], mask)
        first = {t["target"]: t for t in project.targets(ids[0])}
        rejected = next(t for t in first.values() if t["r0"] == 20)
        project.set_target_status(ids[0], rejected["target"], "rejected")
    source = ProjectPairs(str(root), str(root / ".irstlabel"))
    trained = source.read_mask(ids[0])
    assert trained[2:5, 2:5].all() and not trained[20:24, 30:33].any()
    assert source.hard_negatives(ids[0]) == [(20, 30, 24, 33)]
    assert source.hard_negatives(ids[1]) == []


@st.composite
def _blobs(draw):
    h, w = draw(st.integers(8, 40)), draw(st.integers(8, 40))
    mask = np.zeros((h, w), np.uint8)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["box", "ring", "L"]))
        r, c = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        size = draw(st.integers(1, 10))
        if kind == "box":
            mask[r:r + size, c:c + size] = 1
        elif kind == "ring":
            cv2.circle(mask, (c, r), size, 1, 1)
        else:
            mask[r:r + size, c] = 1
            mask[min(r + size, h - 1), c:c + size] = 1
    return mask.astype(bool)


@given(mask=_blobs(), pick=st.integers(0, 100))
@settings(max_examples=200, deadline=None)
def test_removing_a_rejected_target_removes_exactly_its_part(mask, pick):
    """Reference: the 8-connected part holding the anchor, by flood fill; every other pixel stays."""
    assume(mask.any())  # a frame without targets has nothing to reject
    ys, xs = np.nonzero(mask)
    anchor = (int(ys[pick % len(ys)]), int(xs[pick % len(ys)]))
    flood = mask.astype(np.uint8).copy()
    filled = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    cv2.floodFill(flood, filled, (anchor[1], anchor[0]), 2, flags=8)
    part = flood == 2
    rows, cols = np.nonzero(part)
    box = (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    others = [(int(r), int(c)) for r, c in zip(*np.nonzero(mask & ~part))]
    got = without_targets(mask, [(anchor, box, 1)], others)
    np.testing.assert_array_equal(got, mask & ~part)
