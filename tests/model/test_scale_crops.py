"""Training crops at the inference scale: a target covers in training what it covers in prediction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irstlabel.core.datasets.pairs import PairSource
from irstlabel.model.data import Augment, TrainingSamples, scale_crop
from irstlabel.model.inference import InferenceSettings, network_shape


def _frame_with_square(shape, side, at):
    x = np.zeros(shape, np.float32)
    mask = np.zeros(shape, bool)
    r, c = at
    mask[r:r + side, c:c + side] = True
    x[mask] = 5.0
    return x, mask


@given(h=st.integers(40, 1100), w=st.integers(40, 1950), side=st.integers(3, 12), scale=st.sampled_from([1.0, 1.5, 2.0]),
       seed=st.integers(0, 2**16))
@settings(max_examples=120, deadline=None)
def test_without_jitter_a_target_is_as_large_in_the_crop_as_prediction_makes_it(h, w, side, scale, seed):
    """Reference: the frame resized as prediction resizes it (network_shape); the target's side there."""
    rng = np.random.default_rng(seed)
    at = (int(rng.integers(0, h - side)), int(rng.integers(0, w - side)))
    x, mask = _frame_with_square((h, w), side, at)
    crop, crop_mask = scale_crop(rng, x, mask, (64, 64), scale=scale, jitter=False)
    assert crop.shape == crop_mask.shape == (64, 64)
    assert crop_mask.any()  # the crop holds the target
    nh, nw = network_shape((h, w), scale=scale)
    rows = np.nonzero(crop_mask.any(axis=1))[0]
    cols = np.nonzero(crop_mask.any(axis=0))[0]
    touches_edge = rows[0] == 0 or cols[0] == 0 or rows[-1] == 63 or cols[-1] == 63
    if not touches_edge:  # a target cut by the crop's edge is smaller, as it would be in a tile
        assert abs(len(rows) - side * nh / h) <= 1.5 and abs(len(cols) - side * nw / w) <= 1.5


def test_the_same_target_is_the_same_size_in_crops_of_a_small_and_of_a_large_frame():
    """The bug this replaced: a 1918x1080 frame was squeezed to the crop size first, its targets ~7x smaller."""
    sizes = []
    for shape in ((256, 256), (1080, 1918)):
        x, mask = _frame_with_square(shape, 6, (shape[0] // 2, shape[1] // 2))
        _, crop_mask = scale_crop(np.random.default_rng(0), x, mask, (128, 128), scale=1.5, jitter=False)
        sizes.append(int(crop_mask.sum()))
    assert sizes[0] == sizes[1] == 81  # 6 px at x1.5: 9x9 network pixels


@given(seed=st.integers(0, 2**16))
@settings(max_examples=60, deadline=None)
def test_jittered_crops_stay_within_the_scales_the_run_records(seed):
    x, mask = _frame_with_square((300, 400), 10, (140, 190))
    rng = np.random.default_rng(seed)
    _, crop_mask = scale_crop(rng, x, mask, (96, 96), scale=1.5, augment=Augment())
    rows = np.nonzero(crop_mask.any(axis=1))[0]
    cols = np.nonzero(crop_mask.any(axis=0))[0]
    low, high = Augment().scale_range
    aspect = np.sqrt(Augment().scale_aspect[1])
    if rows[0] > 0 and rows[-1] < 95:
        assert 10 * 1.5 * low / aspect - 1.5 <= len(rows) <= 10 * 1.5 * high * aspect + 1.5
    if cols[0] > 0 and cols[-1] < 95:
        assert 10 * 1.5 * low / aspect - 1.5 <= len(cols) <= 10 * 1.5 * high * aspect + 1.5


def test_known_false_alarms_are_the_centre_of_half_the_crops_of_their_frame():
    x, mask = _frame_with_square((600, 800), 5, (20, 20))  # the target, far from the false alarm
    x[500:506, 700:706] = -7.0  # the false alarm: a value nothing else has
    negatives = [(500, 700, 506, 706)]
    holds = [(scale_crop(np.random.default_rng(k), x, mask, (64, 64), scale=1.0, negatives=negatives)[0] == -7.0).any()
             for k in range(400)]
    assert 0.4 < np.mean(holds) < 0.6  # Augment.negative_probability = 0.5


class _Pairs(PairSource):
    frame_ids = ("a", "b")

    def read_frame(self, frame_id):
        return (np.random.default_rng(len(frame_id)).random((50, 70)) * 255).astype(np.uint8)

    def read_mask(self, frame_id):
        mask = np.zeros((50, 70), bool)
        mask[20:24, 30:34] = frame_id == "a"
        return mask


def test_an_epoch_holds_the_asked_number_of_crops_and_frames_repeat_in_order():
    samples = TrainingSamples(_Pairs(), ("a", "b"), (32, 32), scale=2.0, samples=7, seed=1)
    assert len(samples) == 7
    crops = [samples[k] for k in range(7)]
    assert all(x.shape == (1, 32, 32) and m.shape == (1, 32, 32) for x, m in crops)
    assert all(crops[k][1].sum() > 0 for k in (0, 2, 4, 6))  # frame "a": every crop holds its target
    with pytest.raises(ValueError, match="sampling"):
        TrainingSamples(_Pairs(), ("a",), (32, 32), sampling="squash")


def test_inference_settings_of_a_scale_run_are_its_scale():
    from irstlabel.model.run_scales import covered_scales, run_settings
    from irstlabel.model.train import TrainConfig

    config = TrainConfig(scale=1.5, threshold=0.4)
    assert run_settings(config) == InferenceSettings(scale=1.5, threshold=0.4)
    assert covered_scales(config) == pytest.approx((1.05, 2.1))
    fill = TrainConfig(sampling="fill", size=(96, 128))
    assert run_settings(fill) == InferenceSettings(size=(96, 128)) and covered_scales(fill) is None
