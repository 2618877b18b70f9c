"""The shipped starter model: what it is, and that the commands use it when no checkpoint is given."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import torch

from irstlabel.core.models.starter import STARTER_FILE
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.model.checkpoint import load_checkpoint
from irstlabel.model.info import count_parameters
from irstlabel.model.predict import Predictor


def _cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "irstlabel.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=900, **kwargs)


def test_the_starter_is_the_full_ispanet_with_settings_chosen_on_validation(starter_model):
    data = load_checkpoint(starter_model)
    assert data["weights_file"] == "safetensors"
    assert data["model_config"].channels == 64 and data["model_config"].variant == "B"
    assert all(not t.is_floating_point() or t.dtype == torch.float32 for t in data["state_dict"].values())
    predictor = Predictor.from_checkpoint(None, device="cpu", backend="torch")
    assert count_parameters(predictor.model) == pytest.approx(13.68e6, rel=0.01)
    assert data["inference"]["chosen_on"] == "val" and predictor.settings.scale == data["inference"]["scale"]
    assert data["provenance"]["seed"] == 0 and "train_v1" in data["provenance"]["data"]
    card = starter_model.with_suffix(".md").read_text()
    for words in ("SIRST", "train_v1", "val_v1", "test_v1", "seed", "scripts/train_starter.py", "licen"):
        assert words.lower() in card.lower(), words


def test_predict_and_evaluate_without_a_checkpoint_use_the_starter(starter_model, tmp_path):
    root = make_demo_dataset(tmp_path / "d", frames=3, size=(48, 64), seed=2)
    out = _cli("predict", root, "--out", tmp_path / "p")
    assert out.returncode == 0, out.stderr
    assert "3 frames written" in out.stdout and "scale x" in out.stdout
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [f"frame_000{k}.png" for k in (1, 2, 3)]
    evaluated = _cli("evaluate", root, "--split", "all", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["frames"] == 3


def test_without_a_starter_or_with_too_many_paths_the_commands_say_so_in_one_line(tmp_path):
    root = make_demo_dataset(tmp_path / "d", frames=2, size=(48, 64), seed=2)
    out = _cli("predict", root, "--out", tmp_path / "p")  # the tests' default: no starter installed
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert STARTER_FILE in out.stderr and "starter model is missing" in out.stderr
    assert not (tmp_path / "p").exists()
    out = _cli("evaluate", "a.pt", root, "extra")
    assert out.returncode == 2 and "expected [CHECKPOINT] DATASET, got 3 paths" in out.stderr


def _card_figures(card: str) -> dict:
    block = re.search(r"```json\n(.*?)\n```", card, re.S)
    assert block, "the model card has no JSON block of its test figures"
    return json.loads(block.group(1))


@pytest.mark.realdata
def test_predict_then_eval_on_sirst_test_reports_the_model_cards_figures(starter_model, sirst_v1, tmp_path):
    figures = _card_figures(starter_model.with_suffix(".md").read_text())
    out = _cli("predict", sirst_v1, "--split", "test", "--out", tmp_path / "preds")
    assert out.returncode == 0, out.stderr
    scored = _cli("eval", "--gt", sirst_v1, "--pred", tmp_path / "preds", "--split", "test", "--json")
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout)
    for key, value in figures["test_v1"].items():
        group, name = key.split(".")
        assert result[group][name] == pytest.approx(value, abs=5e-5), key


@pytest.mark.realdata
def test_the_fast_default_path_agrees_with_eager_fp32_on_sirst_test_frames(starter_model, sirst_v1):
    """OpenVINO (bf16 where the CPU has it) against eager PyTorch in fp32: nearly every mask pixel the same."""
    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.metrics.evaluation import binarize

    fast = Predictor.from_checkpoint(None, device="cpu")
    eager = Predictor(fast.model, device="cpu", settings=fast.settings, backend="torch", cpu_amp=False)
    data = Dataset.open(str(sirst_v1))
    differ = predicted = 0
    for frame_id in data.split("test"):
        frame = data.read_frame(frame_id)
        got = binarize(fast.levels(frame), fast.threshold)
        want = binarize(eager.levels(frame), fast.threshold)
        differ += int((got != want).sum())
        predicted += int(want.sum())
    assert predicted > 1000
    assert differ <= 0.01 * predicted, (differ, predicted)


def test_install_converts_the_starter_ahead_so_the_first_prediction_is_fast(starter_model, tmp_path, monkeypatch):
    from irstlabel.model.openvino_backend import cache_folder, convert_starter, openvino_available

    if not openvino_available():
        pytest.skip("openvino is not installed (pip install '.[fast]')")
    monkeypatch.setenv("IRSTLABEL_CACHE", str(tmp_path / "cache"))
    assert convert_starter().startswith("starter model converted")
    assert len(list(cache_folder().glob("ispanet-*.xml"))) == 1
    monkeypatch.setenv("IRSTLABEL_STARTER_DIR", str(tmp_path / "none"))
    assert convert_starter() == "no starter model installed"
