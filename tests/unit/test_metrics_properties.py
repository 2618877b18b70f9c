"""The tiled fast path of `core.metrics` against a plain full-frame reference, on hostile data.

Masks are drawn by hypothesis from shapes that break box-based shortcuts:
L-shapes and rings whose bounding boxes hold other targets, nested blobs,
isolated pixels inside other blobs' boxes, shapes on tile borders (multiples
of 32), frames from 1x1 up; predictions are bool, float or 8-bit maps. Every
figure an `Evaluator` reports is compared with `tests/reference_metrics.py`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irstlabel.core.metrics.evaluation import Evaluator, MetricOptions, count_frame, match_frame
from irstlabel.core.labels.targets import occupied_regions
from tests import reference_metrics as ref
from tests.strategies import CURVE, EXAMPLES, FAST, as_map, frame_pair

def assert_counts_equal(counts, expected):
    for key in ("pixels", "tp", "fp", "fn", "targets", "predicted", "true_detections", "legacy_detections",
                "legacy_false_pixels"):
        assert getattr(counts, key) == expected[key], key
    np.testing.assert_allclose(counts.target_ious, expected["target_ious"], rtol=0, atol=1e-12)
    if expected["image_iou"] is None:
        assert counts.image_iou is None
    else:
        assert counts.image_iou == pytest.approx(expected["image_iou"], abs=1e-12)
    assert counts.curve_detections.tolist() == expected["curve_detections"]
    np.testing.assert_array_equal(counts.hist_true, expected["hist_true"])
    np.testing.assert_array_equal(counts.hist_false, expected["hist_false"])


@FAST
@given(pair=frame_pair(), matching=st.sampled_from(["hungarian", "greedy"]), inclusive=st.booleans(),
       connectivity=st.sampled_from([8, 4]), distance=st.sampled_from([1.0, 2.0, 3.5]))
def test_every_frame_count_equals_the_full_frame_reference(pair, matching, inclusive, connectivity, distance):
    mask_true, pred = pair
    options = MetricOptions(matching=matching, inclusive=inclusive, connectivity=connectivity, distance=distance,
                            curve_distances=CURVE)
    expected = ref.frame_figures(mask_true, pred, matching=matching, inclusive=inclusive, connectivity=connectivity,
                                 distance=distance, curve_distances=CURVE)
    assert_counts_equal(count_frame(mask_true, pred, options), expected)


@FAST
@given(pair=frame_pair())
def test_targets_and_order_equal_skimage_on_the_whole_frame(pair):
    mask_true, pred = pair
    match = match_frame(mask_true, pred)
    for found, mask in ((match.true, mask_true), (match.pred, ref.predicted_mask(pred, 0.5))):
        _, props, centroids = ref.components(mask)
        assert found.area.tolist() == [p.area for p in props]
        assert found.bbox.tolist() == [list(p.bbox) for p in props]
        np.testing.assert_allclose(found.centroid.reshape(-1, 2), centroids, atol=1e-9)


@settings(max_examples=max(EXAMPLES // 5, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(frame_pair(max_side=90), min_size=1, max_size=5))
def test_dataset_figures_equal_the_reference_reduced_by_hand(pairs):
    evaluator = Evaluator(curve_distances=CURVE)
    frames = []
    for mask_true, pred in pairs:
        evaluator.add(mask_true, pred)
        frames.append(ref.frame_figures(mask_true, pred, curve_distances=CURVE))
    result = evaluator.result()
    total = {key: sum(f[key] for f in frames) for key in ("pixels", "tp", "fp", "fn", "targets", "predicted",
                                                           "true_detections", "legacy_detections",
                                                           "legacy_false_pixels")}

    def ratio(a, b):
        return a / b if b else 0.0

    ious = [v for f in frames for v in f["target_ious"]]
    image_ious = [f["image_iou"] for f in frames if f["image_iou"] is not None]
    precision, recall = ratio(total["tp"], total["tp"] + total["fp"]), ratio(total["tp"], total["tp"] + total["fn"])
    pd, pa = ratio(total["true_detections"], total["targets"]), ratio(total["true_detections"], total["predicted"])
    expected = {
        ("pixel", "iou"): ratio(total["tp"], total["tp"] + total["fp"] + total["fn"]),
        ("pixel", "niou_target"): ratio(math.fsum(ious), len(ious)),
        ("pixel", "niou_image"): ratio(math.fsum(image_ious), len(image_ious)),
        ("pixel", "precision"): precision,
        ("pixel", "recall"): recall,
        ("pixel", "f1"): ratio(2 * precision * recall, precision + recall),
        ("target", "pd"): pd,
        ("target", "pa"): pa,
        ("target", "md"): ratio(total["targets"] - total["true_detections"], total["targets"]),
        ("target", "fa"): ratio(total["predicted"] - total["true_detections"], total["predicted"]),
        ("target", "f1"): ratio(2 * pd * pa, pd + pa),
        ("legacy", "pd"): ratio(total["legacy_detections"], total["targets"]),
        ("legacy", "fa_pixel"): ratio(total["legacy_false_pixels"], total["pixels"]),
    }
    for (group, key), value in expected.items():
        assert getattr(result, group)[key] == pytest.approx(value, abs=1e-12), (group, key)
    curve = np.sum([f["curve_detections"] for f in frames], axis=0)
    np.testing.assert_allclose(result.curves["pd"], [ratio(v, total["targets"]) for v in curve])
    np.testing.assert_allclose(result.curves["pa"], [ratio(v, total["predicted"]) for v in curve])
    hist_true = np.sum([f["hist_true"] for f in frames], axis=0)
    hist_false = np.sum([f["hist_false"] for f in frames], axis=0)
    if hist_true.sum():
        np.testing.assert_allclose(result.curves["tpr"], np.cumsum(hist_true[::-1])[::-1] / hist_true.sum())
    if hist_false.sum():
        np.testing.assert_allclose(result.curves["fpr"], np.cumsum(hist_false[::-1])[::-1] / hist_false.sum())


@FAST
@given(mask=frame_pair().map(lambda pair: pair[0] | ref.predicted_mask(pair[1], 0.5)))
def test_regions_partition_the_pixels_and_hold_components_whole(mask):
    regions = occupied_regions(mask)
    owner = np.zeros(mask.shape, int)
    for k, region in enumerate(regions, start=1):
        part = np.zeros(mask.shape, bool)
        part[region.r0 : region.r1, region.c0 : region.c1] = region.crop(mask)
        assert not np.any(owner[part]), "a pixel belongs to two regions"
        owner[part] = k
    assert np.array_equal(owner > 0, mask)
    labels, _, _ = ref.components(mask)
    for k in range(1, labels.max() + 1):
        assert len(np.unique(owner[labels == k])) == 1, "a component spans two regions"


def test_l_shape_with_a_pixel_inside_its_box_is_counted_once():
    """The reproduction from the bug report: fp 321 and 3 predicted targets before the fix."""
    truth = np.zeros((512, 512), bool)
    truth[300, 300] = True
    pred = np.zeros((512, 512), bool)
    pred[0, :128] = True
    pred[:128, 0] = True  # an L of 255 pixels across 4x4 tiles
    pred[70:78, 70:78] = True  # a 64-pixel blob inside its bounding box, in tiles of its own
    pred[300, 300] = True
    regions = occupied_regions(truth, pred)
    assert any(r.own is not None for r in regions)  # the case where bounding boxes overlap
    counts = count_frame(truth, pred)
    assert (counts.fp, counts.predicted, counts.targets) == (255 + 64, 3, 1)
    assert counts.true_detections == 1


@pytest.mark.parametrize("seed", range(4))
def test_cluttered_1280x1024_frames_equal_the_reference(seed):
    """Real-sized predictions: big false blobs and rings with small blobs and pixels inside their boxes."""
    mask_true, pred = cluttered_large_pair(seed)
    expected = ref.frame_figures(mask_true, pred, curve_distances=CURVE)
    assert_counts_equal(count_frame(mask_true, pred, MetricOptions(curve_distances=CURVE)), expected)


def cluttered_large_pair(seed, shape=(1024, 1280)):
    rng = np.random.default_rng(seed)
    mask_true = np.zeros(shape, bool)
    for _ in range(rng.integers(3, 12)):
        r, c = rng.integers(0, shape[0] - 8), rng.integers(0, shape[1] - 8)
        mask_true[r : r + rng.integers(1, 8), c : c + rng.integers(1, 8)] = True
    mask_pred = np.roll(mask_true, tuple(rng.integers(-1, 2, 2)), axis=(0, 1))
    for _ in range(rng.integers(2, 6)):  # rings and L-shapes of a few hundred pixels
        r, c = rng.integers(0, shape[0] - 200), rng.integers(0, shape[1] - 200)
        hh, ww = rng.integers(40, 200, 2)
        mask_pred[r, c : c + ww] = mask_pred[r : r + hh, c] = True
        if rng.random() < 0.5:
            mask_pred[r + hh - 1, c : c + ww] = mask_pred[r : r + hh, c + ww - 1] = True
        for _ in range(rng.integers(1, 5)):  # pixels and small blobs inside its box
            pr, pc = r + rng.integers(3, hh - 3), c + rng.integers(3, ww - 3)
            mask_pred[pr : pr + rng.integers(1, 4), pc : pc + rng.integers(1, 4)] = True
    mask_pred |= rng.random(shape) > 0.9999
    return mask_true, as_map(mask_pred, ["bool", "float32", "uint8", "float64"][seed % 4], seed)


def test_parity_with_pyirstdmetrics_on_cluttered_frames():
    irstd = pytest.importorskip("py_irstd_metrics", reason="pyirstdmetrics not installed (test-only cross-check)")
    pd_fa = irstd.ProbabilityDetectionAndFalseAlarmRate(num_bins=1, distance_threshold=3)
    iou = irstd.CMMetrics(num_bins=1, threshold=0.5, metric_handlers={
        "iou": irstd.IoUHandler(with_dynamic=False, with_binary=True, sample_based=False)})
    evaluator = Evaluator(curve_bins=0)
    for seed in range(6):
        mask_true, pred = cluttered_large_pair(seed, shape=(256, 320 + seed))
        prob = pred.astype(np.float64) / 255 if pred.dtype == np.uint8 else pred.astype(np.float64)
        pd_fa.update(prob, mask_true)
        iou.update(prob, mask_true)
        evaluator.add(mask_true, pred)
    theirs, result = pd_fa.get(), evaluator.result()
    assert result.legacy["pd"] == pytest.approx(float(theirs["probability_detection"][0]), abs=1e-12)
    assert result.legacy["fa_pixel"] == pytest.approx(float(theirs["false_alarm"][0]), abs=1e-15)
    assert result.pixel["iou"] == pytest.approx(float(iou.get()["iou"]["binary"]), abs=1e-12)


@FAST
@given(mask=frame_pair().map(lambda pair: pair[0]))
def test_first_pixels_equal_the_first_pixel_of_each_label(mask):
    from irstlabel.core.labels.targets import find_targets, first_pixels

    targets = find_targets(mask)
    expected = [np.argwhere(targets.labels == k)[0].tolist() for k in range(1, len(targets) + 1)]
    assert first_pixels(targets).tolist() == expected


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=frame_pair())
def test_label_comparison_sees_each_target_once_where_region_boxes_overlap(pair):
    """compare_labels groups overlapping old/new targets region by region: one change per group, never two."""


    from irstlabel.core.labels.label_compare import compare_labels

    old, new = pair[0], ref.predicted_mask(pair[1], 0.5)
    image = np.random.default_rng(0).random(old.shape)
    changes = compare_labels(image, old, new)
    # groups = components of the overlap graph = components of (old | new) joined where old and new overlap
    labels_old, _, _ = ref.components(old)
    labels_new, _, _ = ref.components(new)
    parent = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for k in np.unique(labels_old[labels_old > 0]):
        find(("o", int(k)))
    for k in np.unique(labels_new[labels_new > 0]):
        find(("n", int(k)))
    both = (labels_old > 0) & (labels_new > 0)
    for a, b in set(zip(labels_old[both].tolist(), labels_new[both].tolist())):
        parent[find(("o", a))] = find(("n", b))
    groups = {find(k) for k in list(parent)}
    assert len(changes) == len(groups)
    assert sum(c.old_parts for c in changes) == labels_old.max() and sum(c.new_parts for c in changes) == labels_new.max()

