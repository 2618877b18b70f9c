"""Inference settings: the scale (or fill size) and threshold a checkpoint records, chosen on val, used everywhere."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.errors import IrstlabelError
from irstlabel.core.datasets.pairs import DatasetPairs
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.model.checkpoint import load_checkpoint, save_checkpoint
from irstlabel.model.data import normalize_frame
from irstlabel.model.factory import model_config
from irstlabel.model.inference import MAX_RESIZED_PIXELS, InferenceSettings, network_shape
from irstlabel.model.inference_sweep import SELECTIONS, SweepRow, choose_inference
from irstlabel.model.ispanet import ISPANet
from irstlabel.model.predict import EagerRunner, Predictor, probability_map
from irstlabel.model.train import TrainConfig, train

TINY = dict(channels=16, lfe_widths=(16, 32, 64, 64), lfe_blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2))


def _tiny_model(seed=0):
    torch.manual_seed(seed)
    return ISPANet(model_config(**TINY)).eval()


@given(h=st.integers(1, 12000), w=st.integers(1, 12000), scale=st.floats(0.1, 8.0))
@settings(max_examples=400, deadline=None)
def test_network_shapes_keep_the_aspect_and_never_pass_the_pixel_budget(h, w, scale):
    nh, nw = network_shape((h, w), scale=scale)
    assert nh * nw <= MAX_RESIZED_PIXELS or min(nh, nw) == 32  # the cap holds after rounding (32: the floor)
    assert min(nh, nw) >= 32 or (nh, nw) == (max(32, round(h * scale)), max(32, round(w * scale)))
    if nh > 32 and nw > 32:
        assert nw / nh == pytest.approx(w / h, rel=0.05, abs=2 / min(nh, nw))


@pytest.mark.parametrize("shape", [(37, 53), (96, 135), (131, 64)])
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.75])
def test_a_scaled_prediction_equals_resizing_by_hand(shape, scale):
    """Independent reference: resize the standardised frame with cv2, run the network, resize the logits back."""
    model = _tiny_model()
    frame = np.random.default_rng(1).integers(0, 255, shape, dtype=np.uint8)
    got = probability_map(EagerRunner(model, torch.device("cpu")), frame, InferenceSettings(scale=scale))
    x = normalize_frame(frame)
    nh, nw = round(shape[0] * scale), round(shape[1] * scale)
    x = cv2.resize(x, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nh, nw) != shape else x
    with torch.no_grad():
        logits = model(torch.from_numpy(np.ascontiguousarray(x))[None, None])[0, 0].numpy()
    want = 1 / (1 + np.exp(-logits))
    if (nh, nw) != shape:
        want = cv2.resize(want, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    assert got.shape == shape
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_old_checkpoints_predict_at_their_training_size_and_bad_settings_name_the_file(tmp_path):
    config = model_config(**TINY)
    state = ISPANet(config).state_dict()
    old = tmp_path / "old.pt"
    save_checkpoint(old, model_config=config, state_dict=state, train={"size": [64, 96]})
    assert Predictor.from_checkpoint(old, device="cpu", backend="torch").settings == InferenceSettings(size=(64, 96))
    swept = tmp_path / "swept.pt"
    save_checkpoint(swept, model_config=config, state_dict=state, train={"size": [64, 96]},
                    inference={"scale": 1.5, "threshold": 0.4, "chosen_on": "val"})
    predictor = Predictor.from_checkpoint(swept, device="cpu", backend="torch")
    assert predictor.settings == InferenceSettings(scale=1.5, threshold=0.4)
    assert Predictor.from_checkpoint(swept, device="cpu", backend="torch", scale=2.0).settings == \
        InferenceSettings(scale=2.0, threshold=0.4)
    assert Predictor.from_checkpoint(swept, device="cpu", backend="torch", size=None, threshold=0.6).settings == \
        InferenceSettings(threshold=0.6)
    for bad in ({"scale": "big"}, {"scale": 40.0}, {"threshold": 1.5}, {"scale": 2.0, "size": [64, 64]}):
        path = tmp_path / "bad.pt"
        save_checkpoint(path, model_config=config, state_dict=state, inference=bad)
        with pytest.raises(IrstlabelError, match=r"bad\.pt: invalid inference settings"):
            load_checkpoint(path)


def _row(scale, threshold, niou, f1):
    return SweepRow(scale, threshold, iou=niou, niou=niou, f1_t=f1, pd=0.9, fa=0.0, precision=0.5)


def test_the_choice_is_the_best_row_and_ties_go_to_the_smaller_scale_then_to_one_half():
    rows = [_row(1.0, 0.5, 0.5, 0.8), _row(2.0, 0.4, 0.6, 0.8), _row(1.5, 0.4, 0.6, 0.8), _row(1.5, 0.5, 0.6, 0.8),
            _row(3.0, 0.5, 0.55, 0.95)]
    settings_, best = choose_inference(rows)
    assert (best.scale, best.threshold) == (3.0, 0.5)  # (0.55 + 0.55 + 0.95) / 3 is the best mean
    settings_, best = choose_inference(rows, select="niou")
    assert settings_ == InferenceSettings(scale=1.5, threshold=0.5)
    with pytest.raises(ValueError, match="valid: iou\\+niou\\+f1, niou\\+f1"):
        choose_inference(rows, select="map")


@pytest.fixture
def split_dataset(tmp_path):
    """A dataset with train / val / test splits whose test frames cannot be read at all."""
    root = make_demo_dataset(tmp_path / "d", frames=10, size=(48, 64), seed=3, n_targets=(1, 2), scr=(8, 14))
    ids = [f"frame_{k:04d}" for k in range(1, 11)]
    (root / "50_50").mkdir()
    (root / "50_50" / "train.txt").write_text("\n".join(ids[:6]) + "\n")
    (root / "50_50" / "test.txt").write_text("\n".join(ids[8:]) + "\n")
    for frame_id in ids[8:]:
        (root / "images" / f"{frame_id}.png").write_bytes(b"not a png")
    return root, ids


def test_training_chooses_scale_and_threshold_on_validation_frames_only_and_records_them(split_dataset, tmp_path):
    root, ids = split_dataset
    config = TrainConfig(epochs=1, batch=2, size=(48, 64), workers=0, device="cpu", sweep_scales=(1.0, 1.5, 2.0),
                         sweep_thresholds=(0.4, 0.5), scale=1.5)
    summary = train(model_config(**TINY), config, DatasetPairs(str(root)), ids[:6], ids[6:8], tmp_path / "run")
    rows = list(csv.DictReader(open(tmp_path / "run" / "inference_sweep.csv")))
    # crops at x1.5 with the x0.7-1.4 jitter cover scales 1.05-2.1: x1.0 is not a scale this run trained at
    assert [(float(r["scale"]), float(r["threshold"])) for r in rows] == \
        [(s, t) for s in (1.5, 2.0) for t in (0.4, 0.5)]
    assert load_checkpoint(tmp_path / "run" / "best.pt")["inference"]["trained_scales"] == pytest.approx([1.05, 2.1])
    assert sum(int(r["chosen"]) for r in rows) == 1
    # recomputed from the CSV: the chosen row is the best by the selection (ties: smaller scale, then 0.5)
    best = max(rows, key=lambda r: (round((float(r["iou"]) + float(r["niou"]) + float(r["f1_t"])) / 3, 5),
                                    -float(r["scale"]),
                                    -abs(float(r["threshold"]) - 0.5)))
    assert best["chosen"] == "1"
    for name in ("best.pt", "last.pt"):
        recorded = load_checkpoint(tmp_path / "run" / name)["inference"]
        assert (recorded["scale"], recorded["threshold"]) == (float(best["scale"]), float(best["threshold"]))
        assert recorded["chosen_on"] == "val"
    assert summary["inference"]["scale"] == float(best["scale"])
    with pytest.raises(IrstlabelError):  # the test frames really are unreadable: the sweep never touched them
        Dataset.open(str(root)).read_frame(ids[9])
    assert set(SELECTIONS) == {"iou+niou+f1", "niou+f1", "niou", "iou", "f1"}


@pytest.mark.parametrize("option, words", [(["--scale", "0"], "inference scale must be from 0.1 to 8"),
                                           (["--scale", "nan"], "inference scale must be from 0.1 to 8"),
                                           (["--threshold", "1.5"], "threshold must be in (0, 1)"),
                                           (["--backend", "onnx"], "invalid choice: 'onnx'")])
def test_wrong_inference_options_are_one_line_and_write_nothing(tmp_path, option, words):
    import subprocess
    import sys

    root = make_demo_dataset(tmp_path / "d", frames=2, size=(48, 64), seed=1)
    config = model_config(**TINY)
    save_checkpoint(tmp_path / "m.pt", model_config=config, state_dict=ISPANet(config).state_dict())
    out = subprocess.run([sys.executable, "-m", "irstlabel.cli", "predict", str(tmp_path / "m.pt"), str(root),
                          "--out", str(tmp_path / "p"), *option], capture_output=True, text=True, timeout=300)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and words in lines[-1], out.stderr
    assert len(lines) == 1 or lines[0].startswith("usage:")  # ours is one line; argparse's comes after its usage
    assert not (tmp_path / "p").exists()
