"""Where a frame needs a decision, against plain whole-frame references on hostile masks (scipy / skimage
labelling, the reference metrics' matching), never the code under test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy import ndimage

from irstlabel.core.labels.targets import component_in_box, touching_ids
from irstlabel.project.stops import frame_stops
from tests.reference_metrics import components, distances, maximum_matches, predicted_mask
from tests.strategies import cluttered_mask, frame_pair

PROPERTY = settings(max_examples=120, deadline=None)


@dataclass
class Record:  # what frame_stops reads of a TargetRecord
    id: int
    bbox: tuple
    centroid: tuple
    area: int
    status: str


def _records(mask: np.ndarray, statuses) -> list[Record]:
    labels, props, centroids = components(mask)
    return [Record(k + 1, p.bbox, tuple(centroids[k]), int(p.area), statuses[k % len(statuses)])
            for k, p in enumerate(props)]


@given(mask=st.integers(1, 90).flatmap(lambda h: st.integers(1, 90).flatmap(
    lambda w: cluttered_mask((h, w)))))
@PROPERTY
def test_the_component_in_a_box_is_that_whole_frame_component_alone(mask):
    labels, props, _ = components(mask)
    for k, p in enumerate(props, start=1):
        np.testing.assert_array_equal(component_in_box(mask, p.bbox, p.area), labels == k)


def test_a_box_no_component_spans_is_refused():
    mask = np.zeros((10, 10), bool)
    mask[2:4, 2:4] = True
    for bbox, area in (((2, 2, 5, 5), 4), ((2, 2, 4, 4), 3), ((0, 0, 11, 10), 4)):
        try:
            component_in_box(mask, bbox, area)
        except ValueError:
            continue
        raise AssertionError(f"{bbox}, {area} was accepted")


@given(pair=frame_pair(max_side=90), statuses=st.lists(st.sampled_from(["pending", "accepted", "rejected", "edited"]),
                                                        min_size=1, max_size=4))
@PROPERTY
def test_stops_are_pending_labels_and_predicted_targets_no_label_covers(pair, statuses):
    mask_true, pred = pair
    mask_true = np.asarray(mask_true) != 0
    predicted = predicted_mask(np.asarray(pred), 0.5)
    records = _records(mask_true, statuses)
    stops = frame_stops(records, mask_true, predicted)

    assert [s.key for s in stops] == sorted(s.key for s in stops)  # raster order of the boxes' corners
    assert sorted(s.target_id for s in stops if not s.is_prediction) == [r.id for r in records if r.status == "pending"]

    labels_pred, props_pred, c_pred = components(predicted)
    _, _, c_true = components(mask_true)
    d = distances(c_true, c_pred)
    by_box = {(tuple(p.bbox), int(p.area)): k for k, p in enumerate(props_pred, start=1)}
    found = set()
    for stop in (s for s in stops if s.is_prediction):
        k = by_box[(stop.bbox, stop.area)]  # a whole predicted target
        assert not (mask_true & (labels_pred == k)).any()  # which no label covers
        found.add(k)
    # never more than the unmatched predictions (the paper's matching, maximum one-to-one within 2 px)
    assert len(found) <= len(props_pred) - maximum_matches(d, 2.0)
    # and every prediction no label is near nor covers is a stop
    for k, p in enumerate(props_pred, start=1):
        far = d.shape[0] == 0 or bool((d[:, k - 1] > 2.0).all())
        if far and not (mask_true & (labels_pred == k)).any():
            assert k in found, (p.bbox, p.area)


def test_without_a_prediction_only_pending_labels_stop():
    mask = np.zeros((20, 20), bool)
    mask[2:4, 2:4] = mask[10:12, 3:5] = mask[5:7, 15:17] = True
    records = _records(mask, ["pending", "accepted", "pending"])
    stops = frame_stops(records, mask, None)
    assert [(s.target_id, s.bbox[:2]) for s in stops] == [(1, (2, 2)), (3, (10, 3))]


@given(ids_mask=st.integers(3, 70).flatmap(lambda h: cluttered_mask((h, 64))), seed=st.integers(0, 10_000))
@PROPERTY
def test_touching_ids_are_the_targets_a_painted_region_would_merge_with(ids_mask, seed):
    ids, _ = ndimage.label(ids_mask, structure=np.ones((3, 3), bool))
    rng = np.random.default_rng(seed)
    region = ndimage.binary_dilation(rng.random(ids.shape) < 0.01, iterations=int(rng.integers(0, 2)))
    grown = ndimage.binary_dilation(region, structure=np.ones((3, 3), bool))
    want = sorted(set(np.unique(ids[grown]).tolist()) - {0})
    assert touching_ids(ids, region) == want
