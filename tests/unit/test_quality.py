import numpy as np
import pytest

from irstlabel.core.labels.label_compare import compare_labels, summarize_changes
from irstlabel.core.labels.quality import lpd, scr
from irstlabel.core.datasets.synthetic import synthetic_frame


def _img():
    img = np.full((12, 12), 10.0)
    img[5:7, 5:7] = 50.0  # bright 2x2 core
    img[4, 5:7] = 30.0  # dimmer row above it
    return img


def test_lpd_by_hand_one_label():
    t = np.zeros((12, 12), bool)
    t[5:7, 5:7] = True
    # rectangle rows 4..7, cols 4..7 (box grown by 1): 16 pixels, 4 target
    background = [30, 30] + [10] * 10
    assert lpd(_img(), t) == pytest.approx(50 - np.mean(background))
    assert np.isnan(lpd(_img(), t, margin=0))  # the literal reading has no background here


def test_lpd_comparison_uses_the_rectangle_around_both_labels():
    tight = np.zeros((12, 12), bool)
    tight[5:7, 5:7] = True
    loose = tight.copy()
    loose[4, 5:7] = True
    # shared rectangle: rows 3..7, cols 4..7 -> 20 pixels
    lpd_tight = lpd(_img(), tight, mask_reference=loose)
    lpd_loose = lpd(_img(), loose, mask_reference=tight)
    assert lpd_tight == pytest.approx(50 - (2 * 30 + 14 * 10) / 16)
    assert lpd_loose == pytest.approx((4 * 50 + 2 * 30) / 6 - 10)
    assert lpd_tight > lpd_loose


def test_lpd_box_hint_gives_the_same_value():
    f = synthetic_frame((200, 240), seed=3, n_targets=1)
    r0, c0, r1, c1 = f.targets[0].bbox
    assert lpd(f.image, f.mask, box=(r0 - 3, c0 - 3, r1 + 3, c1 + 3)) == lpd(f.image, f.mask)


def test_lpd_rejects_empty_and_mismatched_input():
    with pytest.raises(ValueError, match="no pixels"):
        lpd(np.zeros((4, 4)), np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match="same 2-D size"):
        lpd(np.zeros((4, 4)), np.zeros((4, 5), bool))


def test_compare_labels_pairs_splits_merges_additions_and_removals():
    img = np.full((40, 40), 10.0)
    img[5:7, 5:7] = 60
    img[20:22, 20:22] = img[20:22, 24:26] = 40  # two hot spots of one object (Fig. 6c)
    old = np.zeros((40, 40), bool)
    new = np.zeros((40, 40), bool)
    old[4:8, 4:8] = True  # too loose -> tightened: LPD rises
    new[5:7, 5:7] = True
    old[20:22, 20:22] = old[20:22, 24:26] = True  # labelled apart, relabelled as one: LPD falls
    new[20:22, 20:26] = True
    new[30, 30] = True  # added
    old[35:37, 2:4] = True  # removed
    changes = compare_labels(img, old, new)
    kinds = [(c.old_parts, c.new_parts, c.change) for c in changes]
    assert kinds == [(1, 1, "increased"), (2, 1, "decreased"), (0, 1, "added"), (1, 0, "removed")]
    summary = summarize_changes(changes)
    assert summary["increased"] == 1 and summary["table"]["old"]["decrease"] == 1
    assert summary["table"]["new"] == {"increase": 1, "constant": 0, "decrease": 1}


def test_identical_labels_are_constant():
    f = synthetic_frame((96, 96), seed=1, n_targets=3)
    changes = compare_labels(f.image, f.mask, f.mask)
    assert changes and all(c.change == "constant" for c in changes)


def test_scr_by_hand_and_exclusion():
    img = np.zeros((9, 9))
    img[::2] = 2.0
    img[4, 4] = 10.0
    t = np.zeros((9, 9), bool)
    t[4, 4] = True
    values = np.delete(img[2:7, 2:7].ravel(), 12)
    assert scr(img, t, margin=2) == pytest.approx((10 - values.mean()) / values.std())
    other = np.zeros((9, 9), bool)
    other[2, 2:7] = True
    kept = img[3:7, 2:7].ravel().tolist()
    kept.remove(10.0)
    assert scr(img, t, margin=2, mask_exclude=other) == pytest.approx((10 - np.mean(kept)) / np.std(kept))
