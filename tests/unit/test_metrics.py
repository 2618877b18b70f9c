import numpy as np
import pytest
from skimage.measure import label, regionprops

from irstlabel.core.metrics.matching import centroid_distances, match_first_found, match_targets
from irstlabel.core.metrics.evaluation import Evaluator, MetricOptions, binarize, count_frame, evaluate, match_frame
from irstlabel.core.datasets.synthetic import synthetic_frame
from tests.helpers import blob_mask


def _frame(*boxes, shape=(40, 40)):
    return blob_mask(shape, boxes)


# --- hand-computed cases ------------------------------------------------------------


def test_pixel_metrics_by_hand():
    truth = _frame((0, 0, 2, 2))  # 4 pixels
    pred = _frame((0, 1, 2, 3))  # 4 pixels, 2 shared
    result = evaluate([(truth, pred)])
    assert result.pixel["iou"] == pytest.approx(2 / 6)
    assert result.pixel["precision"] == pytest.approx(0.5)
    assert result.pixel["recall"] == pytest.approx(0.5)
    assert result.pixel["f1"] == pytest.approx(0.5)


def test_iou_is_pooled_over_frames_not_averaged():
    a = (_frame((0, 0, 2, 2)), _frame((0, 0, 2, 2)))  # 4/4
    b = (_frame((0, 0, 4, 4)), _frame((0, 0, 2, 2)))  # 4/16
    result = evaluate([a, b])
    assert result.pixel["iou"] == pytest.approx(8 / 20)
    assert result.pixel["niou_image"] == pytest.approx((1 + 0.25) / 2)


def test_niou_per_target_counts_a_missed_target_as_zero():
    truth = _frame((0, 0, 2, 2), (10, 10, 12, 12))
    pred = _frame((0, 0, 2, 4))  # covers target 1 (IoU 4/8), misses target 2
    counts = count_frame(truth, pred)
    assert counts.target_ious == (0.5, 0.0)
    result = evaluate([(truth, pred)])
    assert result.pixel["niou_target"] == pytest.approx(0.25)
    assert result.pixel["niou"] == result.pixel["niou_target"]
    assert result.pixel["niou_image"] == pytest.approx(4 / 12)


def test_niou_readings_and_empty_images():
    empty = np.zeros((10, 10), bool)
    hit = (_frame((0, 0, 2, 2), shape=(10, 10)),) * 2
    assert evaluate([hit, (empty, empty)]).pixel["niou_image"] == 1.0
    assert evaluate([hit, (empty, empty)], niou_empty_images="zero").pixel["niou_image"] == 0.5
    assert evaluate([hit], niou="image").pixel["niou"] == 1.0


def test_target_metrics_by_hand():
    truth = _frame((5, 5, 8, 8), (20, 20, 23, 23), (30, 5, 32, 7))
    pred = _frame((5, 6, 8, 9), (20, 22, 23, 25), (0, 30, 2, 32), (35, 35, 37, 37))
    # target 1: offset 1 px -> hit; target 2: offset 2 px -> hit at d=2 (<=), miss with <
    # target 3: missed; two predictions far from anything -> false alarms
    result = evaluate([(truth, pred)], curve_bins=0)
    t = result.target
    assert (t["targets"], t["predicted"], t["true_detections"], t["missed"], t["false_alarms"]) == (3, 4, 2, 1, 2)
    assert t["pd"] == pytest.approx(2 / 3) and t["md"] == pytest.approx(1 / 3)
    assert t["pa"] == pytest.approx(0.5) and t["fa"] == pytest.approx(0.5)
    assert t["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    strict = evaluate([(truth, pred)], inclusive=False, curve_bins=0).target
    assert strict["true_detections"] == 1


def test_one_to_one_matching_hungarian_beats_greedy():
    # true A at x=10, B at x=13; predicted P at x=11, Q at x=8
    truth = np.zeros((30, 30), bool)
    truth[10, 10] = truth[10, 13] = True
    pred = np.zeros((30, 30), bool)
    pred[10, 11] = pred[10, 8] = True
    # distances: A-P 1, A-Q 2, B-P 2, B-Q 5: nearest-first takes A-P and strands B
    greedy = evaluate([(truth, pred)], matching="greedy", curve_bins=0).target
    hungarian = evaluate([(truth, pred)], matching="hungarian", curve_bins=0).target
    assert hungarian["true_detections"] == 2
    assert greedy["true_detections"] == 1
    d = centroid_distances([[10, 10], [13, 10]], [[11, 10], [8, 10]])
    assert len(match_targets(d, distance=2, method="hungarian")) == 2


def test_greedy_nearest_first_can_lose_a_pair():
    d = np.array([[1.0, 1.5], [1.2, 9.0]])
    assert match_targets(d, method="greedy").tolist() == [[0, 0]]
    assert match_targets(d, method="hungarian").tolist() == [[0, 1], [1, 0]]


def test_threshold_and_integer_probability_maps():
    prob = np.array([[0.2, 0.5, 0.51, 0.9]])
    assert binarize(prob, 0.5).tolist() == [[False, False, True, True]]
    assert binarize(np.array([[127, 128]], np.uint8), 0.5).tolist() == [[False, True]]
    assert binarize(np.array([[32767, 32768]], np.uint16), 0.5).tolist() == [[False, True]]
    with pytest.raises(ValueError, match="bool, uint8, uint16 or float"):
        binarize(np.array([[1]], np.int32))


def test_zero_division_and_empty_dataset():
    empty = np.zeros((5, 5), bool)
    result = evaluate([(empty, empty)])
    assert result.target["pd"] == 0.0 and result.target["pa"] == 0.0 and result.pixel["iou"] == 0.0
    assert evaluate([(empty, empty)], zero_division=1.0).target["pa"] == 1.0


def test_bad_options_and_shapes():
    with pytest.raises(ValueError, match="unknown matching"):
        MetricOptions(matching="nearest")
    with pytest.raises(ValueError, match="threshold"):
        MetricOptions(threshold=1.5)
    with pytest.raises(ValueError, match="same size"):
        count_frame(np.zeros((3, 3)), np.zeros((3, 4)))


# --- curves -------------------------------------------------------------------------


def test_pd_and_pa_curves_grow_with_distance():
    truth = _frame((5, 5, 7, 7), (20, 20, 22, 22))
    pred = _frame((5, 6, 7, 8), (20, 24, 22, 26))  # offsets 1 and 4 px
    curves = evaluate([(truth, pred)]).curves
    at = dict(zip(curves["distance"], curves["pd"]))
    assert at[0.5] == 0 and at[1.0] == 0.5 and at[3.5] == 0.5 and at[4.0] == 1.0
    assert np.all(np.diff(curves["pd"]) >= 0) and np.all(np.diff(curves["pa"]) >= 0)


def test_float_and_8_bit_maps_give_the_same_curves():
    truth = _frame((5, 5, 9, 9), (20, 20, 22, 22))
    prob = np.random.default_rng(2).random((40, 40)).astype(np.float32)
    as_uint8 = np.rint(prob * 255).astype(np.uint8)
    a = evaluate([(truth, prob)]).curves
    b = evaluate([(truth, as_uint8)]).curves
    c = evaluate([(truth, prob.astype(np.float64))], curve_bins=256).curves
    for key in ("tpr", "fpr", "precision"):
        np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a[key], c[key])


def test_roc_and_pr_curves_from_probabilities():
    truth = np.zeros((10, 10), bool)
    truth[:2] = True
    prob = np.zeros((10, 10))
    prob[0] = 0.9  # 10 true positives at high confidence
    prob[1] = 0.3  # 10 true positives at low confidence
    prob[5, :5] = 0.6  # 5 false positives in between
    c = evaluate([(truth, prob)], curve_bins=11).curves  # thresholds 0, 0.1, ..., 1
    k = {round(t, 1): i for i, t in enumerate(c["threshold"])}
    assert c["tpr"][k[0.0]] == 1.0 and c["fpr"][k[0.0]] == 1.0
    assert c["tpr"][k[0.5]] == 0.5 and c["fpr"][k[0.5]] == pytest.approx(5 / 80)
    assert c["precision"][k[0.7]] == 1.0 and c["tpr"][k[0.7]] == 0.5


# --- properties ---------------------------------------------------------------------


def _synthetic_pairs(n=6, seed=0):
    rng = np.random.default_rng(seed)
    pairs = []
    for k in range(n):
        f = synthetic_frame((96, 128), seed=int(rng.integers(1 << 30)), n_targets=(1, 4))
        pred = np.roll(f.mask, int(rng.integers(-1, 2)), axis=1)
        pred[rng.integers(0, 96), rng.integers(0, 128)] = True
        pairs.append((f"f{k}", f.mask, pred))
    return pairs


def test_a_mask_against_itself_is_perfect():
    pairs = [(i, m, m) for i, m, _ in _synthetic_pairs()]
    r = evaluate(pairs)
    assert r.pixel["iou"] == r.pixel["niou"] == r.pixel["f1"] == 1.0
    assert r.target["pd"] == r.target["pa"] == r.target["f1"] == 1.0
    assert r.target["fa"] == r.target["md"] == 0.0
    assert r.legacy["pd"] == 1.0 and r.legacy["fa_pixel"] == 0.0


def test_a_far_blob_lowers_pa_not_pd():
    truth = _frame((5, 5, 8, 8))
    pred = truth.copy()
    before = evaluate([(truth, pred)]).target
    pred[30:32, 30:32] = True
    after = evaluate([(truth, pred)]).target
    assert after["pd"] == before["pd"] == 1.0
    assert after["pa"] < before["pa"]


def test_results_do_not_depend_on_frame_order():
    pairs = _synthetic_pairs(8, seed=3)
    a = evaluate(pairs).as_dict()
    b = evaluate(pairs[::-1]).as_dict()
    assert a == b


def test_per_frame_counts_add_up_to_totals():
    pairs = _synthetic_pairs(5, seed=4)
    r = evaluate(pairs)
    assert sum(c.false_alarms for c in r.per_frame) == r.target["false_alarms"]
    assert [c.frame_id for c in r.per_frame] == [p[0] for p in pairs]


def test_match_frame_gives_markers_in_frame_coordinates():
    truth = _frame((20, 30, 22, 32))
    pred = _frame((20, 31, 22, 33), (2, 2, 3, 3))
    m = match_frame(truth, pred)
    assert m.hits.tolist() == [0] and m.misses.tolist() == [] and len(m.false_alarms) == 1
    np.testing.assert_allclose(m.true.centroid, [[30.5, 20.5]])
    np.testing.assert_array_equal(m.pred.bbox, [[2, 2, 3, 3], [20, 31, 22, 33]])


# --- against independent implementations --------------------------------------------


def _skimage_target_counts(truth, pred, d):
    """A straightforward re-derivation with skimage: greedy isn't used, brute force is."""
    from itertools import permutations

    t = [r.centroid for r in regionprops(label(truth, connectivity=2))]
    p = [r.centroid for r in regionprops(label(pred, connectivity=2))]
    best = 0
    if len(t) <= len(p):
        for perm in permutations(range(len(p)), len(t)):
            best = max(best, sum(np.hypot(*np.subtract(t[i], p[j])) <= d for i, j in enumerate(perm)))
    else:
        for perm in permutations(range(len(t)), len(p)):
            best = max(best, sum(np.hypot(*np.subtract(t[i], p[j])) <= d for j, i in enumerate(perm)))
    return len(t), len(p), best


def test_hungarian_finds_the_maximum_matching_brute_force_agrees():
    rng = np.random.default_rng(7)
    for _ in range(40):
        truth = np.zeros((24, 24), bool)
        pred = np.zeros((24, 24), bool)
        for _ in range(rng.integers(0, 4)):
            r, c = rng.integers(0, 22, 2)
            truth[r : r + 2, c : c + 2] = True
        for _ in range(rng.integers(0, 4)):
            r, c = rng.integers(0, 22, 2)
            pred[r : r + 2, c : c + 2] = True
        n_true, n_pred, best = _skimage_target_counts(truth, pred, 2.0)
        counts = count_frame(truth, pred, MetricOptions(curve_bins=0))
        assert (counts.targets, counts.predicted, counts.true_detections) == (n_true, n_pred, best)


def _basicirstd_style(truth, pred):
    """BasicIRSTD's fixed PD_FA, re-derived from its description with skimage."""
    t = regionprops(label(truth, connectivity=2))
    p = regionprops(label(pred, connectivity=2))
    taken = [False] * len(p)
    detected = 0
    for target in t:
        for j, blob in enumerate(p):
            if not taken[j] and np.linalg.norm(np.subtract(blob.centroid, target.centroid)) < 3:
                taken[j] = True
                detected += 1
                break
    false_pixels = sum(blob.area for j, blob in enumerate(p) if not taken[j])
    return len(t), detected, false_pixels


def test_legacy_two_false_blobs_of_the_matched_area_are_both_false_alarms():
    truth = _frame((5, 5, 7, 7))
    pred = _frame((5, 5, 7, 7), (20, 20, 22, 22), (30, 30, 32, 32))  # three 2x2 blobs, one matched
    r = evaluate([(truth, pred)])
    assert r.legacy["pd"] == 1.0
    assert r.legacy["fa_pixel"] == pytest.approx(8 / 1600)  # the old equal-area bug gave 0


def test_legacy_first_found_is_not_one_to_one_optimal():
    d = np.array([[1.0, 2.0], [1.5, 9.0]])
    assert match_first_found(d).tolist() == [[0, 0]]


def test_legacy_matches_a_basicirstd_style_loop_on_random_frames():
    rng = np.random.default_rng(11)
    targets = detected = false_pixels = pixels = 0
    ev = Evaluator(curve_bins=0)
    for _ in range(60):
        truth = rng.random((32, 32)) > 0.97
        pred = truth.copy()
        pred[rng.random((32, 32)) > 0.97] = True
        pred[rng.random((32, 32)) > 0.9] = False
        n, dt, fpix = _basicirstd_style(truth, pred)
        targets, detected, false_pixels, pixels = targets + n, detected + dt, false_pixels + fpix, pixels + 1024
        ev.add(truth, pred)
    r = ev.result()
    assert r.legacy["pd"] == pytest.approx(detected / targets, abs=0)
    assert r.legacy["fa_pixel"] == pytest.approx(false_pixels / pixels, abs=0)


def test_legacy_parity_with_pyirstdmetrics():
    irstd = pytest.importorskip("py_irstd_metrics", reason="pyirstdmetrics not installed (test-only cross-check)")
    rng = np.random.default_rng(5)
    theirs = irstd.ProbabilityDetectionAndFalseAlarmRate(num_bins=1, distance_threshold=3)
    ev = Evaluator(curve_bins=0)
    for _ in range(40):
        f = synthetic_frame((64, 80), seed=int(rng.integers(1 << 30)), n_targets=(1, 4))
        pred = np.roll(f.mask, int(rng.integers(-2, 3)), axis=0)
        pred[rng.random(pred.shape) > 0.995] = True
        pred[rng.integers(0, 60) : rng.integers(60, 64), :3] = True
        theirs.update(pred.astype(float), f.mask)
        ev.add(f.mask, pred)
    got = theirs.get()
    r = ev.result()
    assert r.legacy["pd"] == pytest.approx(float(got["probability_detection"][0]), abs=1e-12)
    assert r.legacy["fa_pixel"] == pytest.approx(float(got["false_alarm"][0]), abs=1e-15)


@pytest.mark.parametrize("shape", [(130, 170), (1024, 1280)])
def test_box_by_box_scan_equals_whole_frame_skimage(shape):
    rng = np.random.default_rng(9)
    density = 30 / (shape[0] * shape[1])  # about 30 blobs: the reference loop is quadratic
    truth = rng.random(shape) < density
    truth[40:60, 10:100] = True  # a target spanning several tiles
    pred = np.roll(truth, 1, axis=0) | (rng.random(shape) < density)
    m = match_frame(truth, pred)
    props = regionprops(label(pred, connectivity=2))
    np.testing.assert_allclose(m.pred.centroid, [p.centroid[::-1] for p in props])
    np.testing.assert_array_equal(m.pred.area, [p.area for p in props])
    counts = count_frame(truth, pred)
    assert counts.tp == np.sum(truth & pred) and counts.fp == np.sum(pred & ~truth)
    n, detected, false_pixels = _basicirstd_style(truth, pred)
    assert (counts.targets, counts.legacy_detections, counts.legacy_false_pixels) == (n, detected, false_pixels)


@pytest.mark.parametrize("inclusive, hits", [(False, 0), (True, 1)])
def test_a_target_exactly_one_pixel_away_is_at_the_distance_whatever_the_rounding(inclusive, hits):
    """An L of 894 px and its copy one row up: centroids 1 px apart, whose float means differ from 1 in the last
    bit (hypothesis found the fast path and the reference disagreeing on it); distances are compared at 1e-9 px."""
    from tests import reference_metrics as ref

    label = np.zeros((400, 400), bool)
    label[223:226, 0:161] = True
    label[223:363, 0:3] = True
    prediction = np.roll(label, -1, axis=0)
    options = MetricOptions(distance=1.0, inclusive=inclusive)
    assert count_frame(label, prediction, options).true_detections == hits
    assert ref.frame_figures(label, prediction, distance=1.0, inclusive=inclusive)["true_detections"] == hits
