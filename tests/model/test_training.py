import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from irstlabel.cli import main
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.model.checkpoint import load_checkpoint
from irstlabel.model.data import DatasetPairs, TrainingSamples
from irstlabel.model.factory import model_config
from irstlabel.model.train import TrainConfig, lr_at, train
from tests.helpers import strict_loads

TINY = dict(channels=16, lfe_widths=(16, 32, 64, 64), lfe_blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2))


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic") / "d"
    return make_demo_dataset(root, frames=4, size=(64, 64), seed=1, scr=(6, 10), n_targets=(1, 2), max_extent=12)


def _config(**kw):
    return TrainConfig(**{"epochs": 2, "batch": 2, "size": (64, 64), "lr": 0.05, "warmup_epochs": 1,
                          "augment": False, "workers": 0, "device": "cpu", **kw})


def test_a_tiny_model_overfits_a_few_synthetic_frames(frames, tmp_path):
    source = DatasetPairs(str(frames))
    ids = list(source.frame_ids)
    epochs = []
    # no inference sweep: it is tested on its own, and here it would double the time on a busy machine
    summary = train(model_config(**TINY), _config(epochs=200, batch=4, lr=0.1, sweep_scales=()), source, ids, ids, tmp_path,
                    on_event=lambda e: e["event"] == "epoch" and epochs.append(e))
    assert summary["status"] == "finished"
    assert epochs[-1]["metrics"]["val"]["pixel"]["iou"] > 0.8
    assert epochs[-1]["metrics"]["loss"] < epochs[0]["metrics"]["loss"]
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert "val_pixel_iou" in header and "val_target_f1" in header


def test_cancel_stops_within_one_batch_and_resume_finishes(frames, tmp_path):
    source = DatasetPairs(str(frames))
    ids = list(source.frame_ids)
    steps = []
    summary = train(model_config(**TINY), _config(epochs=3), source, ids, ids[:2], tmp_path,
                    on_event=lambda e: e["event"] == "step" and steps.append(e), should_stop=lambda: len(steps) >= 3)
    assert summary["status"] == "cancelled" and len(steps) == 3
    saved = load_checkpoint(tmp_path / "last.pt")
    assert saved["epoch"] == 1 and "optimizer" in saved  # epoch 2 was interrupted: it runs again
    resumed = []
    summary = train(model_config(**TINY), _config(epochs=3), source, ids, ids[:2], tmp_path, resume=True,
                    on_event=lambda e: e["event"] == "epoch" and resumed.append(e["epoch"]))
    assert summary["status"] == "finished" and resumed == [2, 3]
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 3


def test_a_run_resumed_after_its_process_died_ends_as_the_run_that_never_stopped(frames, tmp_path):
    """What a session's end does to a long run: last.pt of a finished epoch is all that is left."""
    source = DatasetPairs(str(frames))
    ids = list(source.frame_ids)
    config = _config(epochs=3, augment=True, workers=1)
    died = tmp_path / "died"

    def keep_what_a_killed_process_leaves(event):
        if event["event"] == "epoch" and event["epoch"] == 2:
            died.mkdir()
            for name in ("last.pt", "best.pt", "metrics.csv"):
                shutil.copy(tmp_path / "whole" / name, died / name)

    whole = train(model_config(**TINY), config, source, ids, ids[:2], tmp_path / "whole",
                  on_event=keep_what_a_killed_process_leaves)
    resumed = train(model_config(**TINY), config, source, ids, ids[:2], died, resume=True)
    assert resumed["weights_sha256"] == whole["weights_sha256"]
    assert (died / "metrics.csv").read_text().count("\n") == (tmp_path / "whole" / "metrics.csv").read_text().count("\n")


def test_cpu_training_is_reproducible(frames, tmp_path):
    source = DatasetPairs(str(frames))
    ids = list(source.frame_ids)
    runs = [train(model_config(**TINY), _config(augment=True), source, ids, [], tmp_path / str(k)) for k in range(2)]
    assert runs[0]["weights_sha256"] == runs[1]["weights_sha256"]
    other = train(model_config(**TINY), _config(augment=True, seed=5), source, ids, [], tmp_path / "other")
    assert other["weights_sha256"] != runs[0]["weights_sha256"]


def test_two_cpu_processes_under_torchrun_end_with_identical_weights(frames, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "irstlabel.cli", "train", str(frames), "--out", str(tmp_path), "--size", "64", "64",
               "--epochs", "2", "--batch", "1", "--channels", "16", "--workers", "0", "--device", "cpu",
               "--max-steps", "3"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    ranks = [strict_loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["weights_sha256"] == ranks[1]["weights_sha256"]
    assert {r["rank"] for r in ranks} == {0, 1}


def test_learning_rate_warms_up_then_follows_a_cosine():
    config = TrainConfig(epochs=10, warmup_epochs=2, lr=0.01, min_lr=1e-5)
    rates = [lr_at(step, 10, config) for step in range(100)]
    assert rates[0] == pytest.approx(0.01 / 20) and rates[19] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(rates[20:], rates[21:]))
    assert 1e-5 < rates[-1] < 2e-5
    assert lr_at(10_000, 10, config) == pytest.approx(1e-5)


def test_training_samples_are_deterministic_and_sized(frames):
    source = DatasetPairs(str(frames))
    samples = TrainingSamples(source, source.frame_ids, (48, 56), seed=3)
    x1, m1 = samples[1]
    x2, m2 = samples[1]
    assert x1.shape == (1, 48, 56) and m1.shape == (1, 48, 56)
    assert torch.equal(x1, x2) and torch.equal(m1, m2)
    assert set(np.unique(m1.numpy())) <= {0.0, 1.0}
    samples.set_epoch(1)
    assert not torch.equal(samples[1][0], x1)


def test_bad_training_settings_are_one_line_errors(frames, tmp_path, capsys):
    assert main(["train", str(frames), "--out", str(tmp_path), "--epochs", "0"]) == 2
    assert "epochs must be >= 1" in capsys.readouterr().err
    assert main(["train", str(frames), "--out", str(tmp_path), "--name", "unet"]) == 2
    assert "valid names: ispanet" in capsys.readouterr().err
    assert main(["train", str(frames), "--out", str(tmp_path), "--resume", "--channels", "16"]) == 2
    assert "last.pt: checkpoint not found" in capsys.readouterr().err


def test_train_predict_evaluate_from_the_command_line(frames, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(frames), "--out", str(run), "--size", "64", "64", "--epochs", "1", "--batch", "2",
                 "--channels", "16", "--workers", "0", "--device", "cpu", "--no-augment"]) == 0
    summary = strict_loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "finished"
    assert main(["predict", str(run / "best.pt"), str(frames), "--out", str(tmp_path / "pred"), "--probabilities",
                 "--device", "cpu"]) == 0
    written = sorted(p.name for p in (tmp_path / "pred").iterdir())
    assert "frame_0001.png" in written and "frame_0001_prob.png" in written
    # a second run into the same folder would mix old and new masks: refused
    capsys.readouterr()
    assert main(["predict", str(run / "best.pt"), str(frames), "--out", str(tmp_path / "pred"), "--device", "cpu"]) == 2
    assert "pred: output folder is not empty" in capsys.readouterr().err
    # predicting over the dataset's own masks is refused, and they stay as they were
    masks = {p.name: p.read_bytes() for p in (frames / "masks").iterdir()}
    capsys.readouterr()
    assert main(["predict", str(run / "best.pt"), str(frames), "--out", str(frames / "masks"), "--device", "cpu"]) == 2
    assert "--out is inside the source dataset" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (frames / "masks").iterdir()} == masks
    capsys.readouterr()
    assert main(["evaluate", str(run / "best.pt"), str(frames), "--split", "all", "--json", "--device", "cpu"]) == 0
    out = strict_loads(capsys.readouterr().out)
    assert out["frames"] == 4 and set(out) >= {"pixel", "target", "legacy"}
    # no test split here: every frame is scored, and stderr says so and how to choose
    assert main(["evaluate", str(run / "best.pt"), str(frames), "--json", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert strict_loads(captured.out) == out
    assert captured.err.strip().splitlines()[-1] == (
        f"irstlabel: warning: {frames}: no test split; scoring all 4 frames (other splits: none; choose one with --split, "
        "or --split held-out for the frames a retrain holds out)")
    assert main(["evaluate", str(frames / "images" / "frame_0001.png"), str(frames)]) == 2
    assert "frame_0001.png: not a torch checkpoint" in capsys.readouterr().err


def test_a_bad_frame_read_in_a_loader_worker_is_one_line(tmp_path, capsys):
    from irstlabel.jobs.plan import plan_training

    root = make_demo_dataset(tmp_path / "d", frames=4, size=(32, 32), seed=2)
    broken = plan_training(DatasetPairs(str(root))).train[0]  # a frame that trains (one is held out)
    (root / "images" / f"{broken}.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    code = main(["train", str(root), "--out", str(tmp_path / "run"), "--size", "32", "32", "--epochs", "1",
                 "--batch", "2", "--channels", "16", "--workers", "1", "--device", "cpu", "--no-augment"])
    counts, err = capsys.readouterr().err.split("\n", 1)
    assert counts.startswith("irstlabel: 2 frames train, 1 validate, 1 held out")  # said before training starts
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("irstlabel: error: ") and f"{broken}.png: truncated or corrupt image" in err


def test_a_spent_time_budget_ends_training_after_the_step_and_keeps_the_epoch(frames, tmp_path):
    source = DatasetPairs(str(frames))
    ids = list(source.frame_ids)
    epochs = []
    summary = train(model_config(**TINY), _config(epochs=50, minutes=1e-6), source, ids[:3], ids[3:], tmp_path,
                    on_event=lambda e: e["event"] == "epoch" and epochs.append(e))
    assert summary["status"] == "finished" and summary["stopped_because"] == "time budget"
    assert summary["epochs_done"] == 1 and len(epochs) == 1 and "val" in epochs[0]["metrics"]
    assert load_checkpoint(tmp_path / "best.pt")["seconds_spent"] > 0


def test_patience_stops_when_validation_stops_improving(frames, tmp_path):
    source = DatasetPairs(str(frames))
    ids = list(source.frame_ids)
    summary = train(model_config(**TINY), _config(epochs=30, lr=1e-5, min_lr=1e-5, patience=2), source, ids[:3], ids[3:],
                    tmp_path)
    assert summary["stopped_because"] == "no better validation in 2 epochs" and summary["epochs_done"] < 30
