"""Training on several datasets at once: combined sources, mined hard negatives, the generalisation scorecard."""

import pickle

import numpy as np
import pytest

from irstlabel.core.datasets.pairs import CombinedPairs, DatasetPairs, WithNegatives
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.model.data import TrainingSamples
from irstlabel.model.mining import mine_false_alarms
from irstlabel.model.scorecard import score_set, table_rows


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    a = make_demo_dataset(root / "a", frames=3, size=(40, 48), seed=1, n_targets=(1, 2), max_extent=6)
    b = make_demo_dataset(root / "b", frames=2, size=(64, 56), seed=2, n_targets=(1, 2), max_extent=6)
    return DatasetPairs(str(a)), DatasetPairs(str(b))


def test_combined_sources_keep_each_frame_under_its_source_name(two_sets):
    a, b = two_sets
    both = CombinedPairs({"sirst": a, "nudt": b})
    assert both.frame_ids == tuple(f"sirst:{f}" for f in a.frame_ids) + tuple(f"nudt:{f}" for f in b.frame_ids)
    for key, (source, own) in zip(both.frame_ids, [(a, f) for f in a.frame_ids] + [(b, f) for f in b.frame_ids]):
        image, mask = both.read(key)
        np.testing.assert_array_equal(image, source.read_frame(own))
        np.testing.assert_array_equal(mask, source.read_mask(own))
    assert both.labelled_ids() == both.frame_ids
    with pytest.raises(KeyError, match="other"):
        both.read_frame("other:frame_0001")
    with pytest.raises(ValueError, match="names"):
        CombinedPairs({"a:b": a})


def test_a_combined_source_with_negatives_crosses_into_loader_workers(two_sets):
    a, b = two_sets
    both = WithNegatives(CombinedPairs({"a": a, "b": b}), {"b:frame_0002": [(1, 2, 5, 6)]})
    copy = pickle.loads(pickle.dumps(both))
    assert copy.hard_negatives("b:frame_0002") == [(1, 2, 5, 6)] and copy.hard_negatives("a:frame_0001") == []
    samples = TrainingSamples(copy, copy.frame_ids, (32, 32), scale=1.0)
    x, m = samples[4]
    assert x.shape == (1, 32, 32) and m.shape == (1, 32, 32)


class KnownPrediction:
    """A predictor whose output is given: what the mining and scoring make of a known map."""

    threshold = 0.5

    def __init__(self, maps: dict):
        self.maps = maps

    def levels(self, frame):
        return self.maps[frame.tobytes()]


def _frame_with(targets, shape=(60, 80)):
    mask = np.zeros(shape, bool)
    for r0, c0, r1, c1 in targets:
        mask[r0:r1, c0:c1] = True
    return mask


def test_mined_negatives_are_the_boxes_of_predicted_targets_no_label_explains(tmp_path):
    from irstlabel.core.io.files import write_mask

    truth = _frame_with([(10, 10, 13, 13), (40, 60, 43, 64)])
    # hits on both targets, one alarm far away, and one 4 px beside a target (farther than d = 2)
    predicted = _frame_with([(10, 10, 13, 13), (40, 60, 43, 64), (50, 5, 52, 9), (10, 16, 13, 19)])
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    image = (np.arange(60 * 80) % 251).astype(np.uint8).reshape(60, 80)
    import cv2

    cv2.imwrite(str(tmp_path / "images" / "f.png"), image)
    write_mask(tmp_path / "masks" / "f.png", truth)
    write_mask(tmp_path / "masks" / "clean.png", truth)
    cv2.imwrite(str(tmp_path / "images" / "clean.png"), image[::-1].copy())
    source = DatasetPairs(str(tmp_path))
    predictor = KnownPrediction({image.tobytes(): predicted.astype(np.uint8) * 255,
                                 image[::-1].tobytes(): truth.astype(np.uint8) * 255})
    seen = []
    found = mine_false_alarms(predictor, source, ["f", "clean"], progress=lambda done, total: seen.append(done))
    assert found == {"f": [(50, 5, 52, 9), (10, 16, 13, 19)]} or found == {"f": [(10, 16, 13, 19), (50, 5, 52, 9)]}
    assert seen == [1, 2]
    assert mine_false_alarms(predictor, source, ["f", "clean"], should_stop=lambda: True) == {}


def test_the_scorecard_counts_false_alarms_per_target_free_frame(tmp_path):
    import cv2

    from irstlabel.core.io.files import write_mask

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    maps = {}
    for k, (truth, predicted) in enumerate([
        ([(10, 10, 13, 13)], [(10, 10, 13, 13)]),  # a hit
        ([], [(5, 5, 7, 7), (30, 30, 32, 33)]),  # a target-free frame with two alarms
        ([], []),  # a clean target-free frame
    ]):
        image = np.full((60, 80), 10 + k, np.uint8)
        cv2.imwrite(str(tmp_path / "images" / f"f{k}.png"), image)
        write_mask(tmp_path / "masks" / f"f{k}.png", _frame_with(truth))
        maps[image.tobytes()] = _frame_with(predicted).astype(np.uint8) * 255
    source = DatasetPairs(str(tmp_path))
    score = score_set(KnownPrediction(maps), source, source.frame_ids)
    assert score["frames"] == 3 and score["target_free_frames"] == 2
    assert score["false_alarms_per_free_frame"] == 1.0
    assert score["pd"] == 1.0 and score["pa"] == pytest.approx(1 / 3)
    assert score["iou"] == pytest.approx(9 / (9 + 4 + 6))  # the alarms' pixels count against IoU
    free_only = score_set(KnownPrediction(maps), source, ["f1", "f2"])
    assert free_only["pd"] is None and free_only["iou"] is None and free_only["false_alarms_per_free_frame"] == 1.0
    rows = table_rows({"new": {"inference": "x1", "set": score}})
    assert rows == [["new", "set", "3", "100.0", "33.3", "50.0", "47.4", f"{100 * score['niou']:.1f}", "1.00", rows[0][-1]]]
