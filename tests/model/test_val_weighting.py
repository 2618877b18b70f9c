"""Validation over several sets: each set can weigh the same, so a big cluttered set cannot choose for the others."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from irstlabel.core.datasets.pairs import CombinedPairs, DatasetPairs
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.core.errors import IrstlabelError
from irstlabel.core.metrics.evaluation import Evaluator, MetricOptions
from irstlabel.core.datasets.predictions import to_levels
from irstlabel.model.inference import InferenceSettings
from irstlabel.model.inference_sweep import sweep_inference
from irstlabel.model.predict import EagerRunner, probability_map
from irstlabel.model.train import TrainConfig, validate, validation_score

@pytest.fixture(scope="module")
def two_sets(tmp_path_factory):
    """Two sets of different sizes and clutter: 2 frames of one, 5 of the other."""
    root = tmp_path_factory.mktemp("sets")
    small = DatasetPairs(str(make_demo_dataset(root / "a", frames=2, size=(48, 64), seed=3)))
    large = DatasetPairs(str(make_demo_dataset(root / "b", frames=5, size=(72, 56), seed=4)))
    return CombinedPairs({"a": small, "b": large})


class _BrightIsTarget(torch.nn.Module):
    """A detector that scores differently on each set (an untrained network scores 0 everywhere)."""

    def forward(self, x):
        return 4.0 * (x - 2.5)


def _model():
    return _BrightIsTarget().eval()


def _scored_alone(model, source, ids, threshold):
    """Reference: one evaluator per set, fed by a plain full-frame prediction."""
    evaluator = Evaluator(MetricOptions(threshold=threshold, distance=2.0, curve_bins=0), keep_frames=False)
    for frame_id in ids:
        frame, mask = source.read(frame_id)
        evaluator.add(mask, to_levels(probability_map(EagerRunner(model, torch.device("cpu")), frame,
                                                      InferenceSettings(scale=1.0))))
    return evaluator.result()


def test_a_per_set_sweep_row_is_the_mean_of_each_set_scored_alone(two_sets):
    model = _model()
    runner = EagerRunner(model, torch.device("cpu"))
    ids = list(two_sets.frame_ids)
    rows = sweep_inference(runner, two_sets.read, ids, scales=(1.0,), thresholds=(0.3, 0.5), weighting="per-set")
    pooled = sweep_inference(runner, two_sets.read, ids, scales=(1.0,), thresholds=(0.3, 0.5))
    assert len({round(r.iou, 6) for r in rows + pooled}) > 2  # the weighings differ, so the test can tell them apart
    for row, pooled_row in zip(rows, pooled):
        alone = [_scored_alone(model, two_sets, [i for i in ids if i.startswith(f"{name}:")], row.threshold)
                 for name in ("a", "b")]
        assert row.iou == pytest.approx(np.mean([r.pixel["iou"] for r in alone]))
        assert row.niou == pytest.approx(np.mean([r.pixel["niou"] for r in alone]))
        assert row.f1_t == pytest.approx(np.mean([r.target["f1"] for r in alone]))
        everything = _scored_alone(model, two_sets, ids, row.threshold)
        assert pooled_row.iou == pytest.approx(everything.pixel["iou"])


def test_the_best_epoch_score_weighs_each_set_the_same_when_asked(two_sets):
    model = _model()
    ids = list(two_sets.frame_ids)
    pooled_config = TrainConfig(best_metric="pixel.iou", device="cpu", amp=False, scale=1.0)
    per_set_config = TrainConfig(best_metric="pixel.iou", device="cpu", amp=False, scale=1.0, val_weighting="per-set")
    metrics = validate(model, two_sets, ids, pooled_config, torch.device("cpu"))
    assert set(metrics["sets"]) == {"a", "b"}
    assert validation_score(metrics, pooled_config) == pytest.approx(_scored_alone(model, two_sets, ids, 0.5).pixel["iou"])
    want = np.mean([_scored_alone(model, two_sets, [i for i in ids if i.startswith(f"{name}:")], 0.5).pixel["iou"]
                    for name in ("a", "b")])
    assert validation_score(metrics, per_set_config) == pytest.approx(want)


def test_an_unknown_weighting_is_one_line():
    with pytest.raises(IrstlabelError, match="val_weighting must be one of pooled, per-set"):
        TrainConfig(val_weighting="by-size")
