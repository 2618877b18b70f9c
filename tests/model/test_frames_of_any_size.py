"""Frames of any size: tiled prediction against a whole-frame pass, the pixel cap with its rounding."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irstlabel.core.metrics.evaluation import Evaluator, MetricOptions
from irstlabel.core.datasets.predictions import to_levels
from irstlabel.core.datasets.synthetic import synthetic_frame
from irstlabel.model.inference import MAX_INFERENCE_PIXELS, InferenceSettings, network_shape
from irstlabel.model.predict import Predictor, probability_map, run_tiled, tile_spans


def _box_filter(radius):
    """A network stand-in whose output at a pixel depends on its (2r+1)^2 neighbourhood only."""
    def run(x):
        assert x.ndim == 4 and x.shape[:2] == (1, 1)
        return cv2.blur(x[0, 0], (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT_101)[None, None]
    return run


@given(length=st.integers(1, 600), tile=st.integers(8, 200), margin=st.integers(0, 40))
@settings(max_examples=300, deadline=None)
def test_tile_spans_cover_the_line_once_with_margins(length, tile, margin):
    if tile <= 2 * margin and length > tile:
        with pytest.raises(ValueError):
            tile_spans(length, tile, margin)
        return
    spans = tile_spans(length, tile, margin)
    kept = [(k0, k1) for _, _, k0, k1 in spans]
    assert kept[0][0] == 0 and kept[-1][1] == length
    assert all(a[1] == b[0] for a, b in zip(kept, kept[1:]))  # abutting: every pixel kept exactly once
    for start, stop, k0, k1 in spans:
        assert 0 <= start <= k0 < k1 <= stop <= length and stop - start == min(tile, length)
        assert k0 - start >= margin or start == 0  # inner edges keep their margin
        assert stop - k1 >= margin or stop == length


@given(h=st.integers(20, 260), w=st.integers(20, 260), cap=st.integers(24 * 24, 120 * 120), radius=st.integers(0, 6),
       seed=st.integers(0, 2**16))
@settings(max_examples=80, deadline=None)
def test_tiles_equal_a_whole_frame_pass_for_a_local_operator(h, w, cap, radius, seed):
    """Independent reference: a whole-frame pass of an operator that sees `radius` pixels around each output."""
    x = np.random.default_rng(seed).normal(size=(h, w)).astype(np.float32)
    passes = []
    run = _box_filter(radius)

    def counted(batch):
        passes.append(batch.shape[2] * batch.shape[3])
        return run(batch)

    got = run_tiled(counted, x, max_pixels=cap, margin=radius)
    want = run(x[None, None])[0, 0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert max(passes) <= cap or passes == [h * w] and h * w <= cap


@pytest.mark.parametrize("shape", [(1024, 1024), (1080, 1918), (512, 640), (96, 97), (1, 5000)])
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0, 3.0])
def test_no_pass_exceeds_the_cap_at_any_sweep_scale(shape, scale):
    """The frame sizes of issue 23 at every sweep scale: a stand-in network counts what it is asked to run."""
    passes = []

    def run(x):
        passes.append(x.shape[2] * x.shape[3])
        return np.zeros(x.shape, np.float32)

    out = probability_map(run, np.zeros(shape, np.uint8), InferenceSettings(scale=scale))
    assert out.shape == shape
    assert max(passes) <= MAX_INFERENCE_PIXELS
    nh, nw = network_shape(shape, scale=scale)
    assert sum(passes) >= nh * nw  # every resized pixel was predicted (tiles overlap)


def test_the_starter_in_tiles_scores_close_to_a_whole_frame_pass(starter_model):
    """The shipped model on four cluttered 512x640 frames (x1.5: 768x960), in tiles of <= 512x512 against one pass.

    ISPANet's attention sees its whole input, so tiles are not bit-equal to a
    whole pass; against the true masks they must score nearly as well
    (measured: F1-T 0.947 whole, 0.923 tiled; IoU 0.557, 0.512).
    """
    predictor = Predictor.from_checkpoint(starter_model, device="cpu", backend="torch")
    whole, tiled = (Evaluator(MetricOptions(threshold=predictor.threshold, curve_bins=0)) for _ in range(2))
    for seed in range(4):
        frame = synthetic_frame((512, 640), seed=seed, n_targets=5, scr=(3.0, 8.0), max_extent=12)
        whole.add(frame.mask, to_levels(probability_map(predictor.runner, frame.image, predictor.settings)))
        tiled.add(frame.mask, to_levels(probability_map(predictor.runner, frame.image, predictor.settings,
                                                        max_pixels=512 * 512)))
    whole, tiled = whole.result(), tiled.result()
    assert tiled.target["f1"] >= whole.target["f1"] - 0.05, (tiled.target, whole.target)
    assert tiled.pixel["iou"] >= whole.pixel["iou"] - 0.08, (tiled.pixel, whole.pixel)
