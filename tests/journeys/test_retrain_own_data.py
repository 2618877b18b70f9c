"""The retrain loop on the user's own data, as a person closes it: label a few frames, Ctrl+R, a better model
(or the old one kept, said, and one click away), judged on the dataset's own test split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QLabel, QPushButton, QWidget

from irstlabel.core.models.starter import STARTER_NAME
from irstlabel.core.datasets.synthetic import synthetic_frame
from irstlabel.gui.retrain import RetrainDialog
from tests.helpers import write_image
from tests.datasets import frame_with, make_dataset
from tests.window import open_window
from tests.journeys.drive import table_rows
from tests.journeys.drive import (button, choose, click, drag_image, open_dialog, press, shown_set, status_text,
                                  type_number, wait_for)
from tests.journeys.retraining import (
    assert_row_equals_cli,
    cli_json,
    fill_small_cpu_settings,
    results_row,
    summary_text,
    wait_for_the_retraining,
)


def counts_text(dialog) -> str:
    return dialog.findChild(QLabel, "retrain-counts").text()


def retrain_button(dialog):
    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)


def frame_on_screen(window) -> str:
    """The frame named in the status bar's frame line (what the user reads)."""
    return window.status.frame_text.split()[0]


def shown_prediction(window):
    return window.canvas.layers["prediction"].image


@pytest.fixture
def unlabelled_high_resolution(tmp_path) -> Path:
    """Frames only, of three sensors' sizes (grey, no masks, no splits): a new user's own data."""
    root = tmp_path / "own"
    sizes = [(1024, 1024), (1080, 1918), (512, 640), (1024, 1024), (1080, 1918), (512, 640), (512, 640)]
    for k, size in enumerate(sizes):
        frame = synthetic_frame(size, seed=40 + k, n_targets=(2, 3), scr=(9.0, 14.0), max_extent=10, ground=False)
        write_image(root / "images" / f"own_{k:02d}.png", frame.image)
    return root


@pytest.mark.slow  # ~3-5 min: the starter predicts 1-2 Mpx frames; test_retrain and test_training_plan cover the rest
@pytest.mark.timeout(1200)
def test_labelling_five_unlabelled_high_resolution_frames_then_ctrl_r_trains_on_those_only(
        qtbot, tmp_path, starter_model, unlabelled_high_resolution, monkeypatch):
    monkeypatch.setenv("IRSTLABEL_BACKEND", "torch")  # the fast path's conversions are tested elsewhere
    window = open_window(qtbot, unlabelled_high_resolution, tmp_path / "settings.ini", size=(1366, 768))
    # the probability as a heat map (not outlines above the threshold): it shows even where nothing passes it
    click(window.findChild(QCheckBox, "prediction-outline"))
    labelled = []
    for k in range(5):
        wait_for(lambda: shown_prediction(window) is not None, timeout=180,
                 what=f"the starter's prediction on screen (frame {k + 1}, {status_text(window)!r})")
        labelled.append(frame_on_screen(window))
        press(window, "Ctrl+Shift+A")  # the model's targets become the label
        if not table_rows(window.target_table):  # the model found nothing here: the user paints a target
            press(window, "B")
            drag_image(window.canvas, [(100, 100), (103, 100)])
            press(window, "S")
        wait_for(lambda: table_rows(window.target_table), timeout=10, what="targets in the table")
        press(window, "N")  # the first of the targets (N walks every target; Tab only those left to decide)
        if k == 1:
            press(window, "R")  # a target this user says is not one: a known false alarm
        elif k == 2:
            press(window, "A")  # the Canny proposal for the selected target
        if k in (1, 2) and frame_on_screen(window) != labelled[-1]:
            continue  # the decision went on to the next frame by itself (it was the frame's last pending target)
        press(window, "D")
        wait_for(lambda: frame_on_screen(window) != labelled[-1], timeout=20, what="the next frame")

    press(window, "Ctrl+R")
    dialog = open_dialog(RetrainDialog)
    assert "left out: 2 unlabelled" in counts_text(dialog)
    assert "3 frames train, 1 validate, 1 held out" in counts_text(dialog)
    type_number(dialog, "max_epochs", 1)  # the rest is the dialog's defaults
    click(button(dialog, "Retrain"))
    summary = wait_for_the_retraining(window)
    assert "default model" in summary or "stays the default" in summary

    [checkpoint] = window.project.registry.checkpoints()
    name = checkpoint["name"]
    choose(window, "prediction-set", name)  # the new model, on the frame on screen
    wait_for(lambda: shown_prediction(window) is not None, timeout=30, what="the new model's prediction")
    plan = json.loads((Path(checkpoint["path"]).parent / "split.json").read_text())
    trained = set(plan["train"]) | set(plan["val"])
    assert trained | set(plan["test"]) == set(labelled)  # nobody labelled the two others: they never trained
    assert plan["unlabelled"] == 2


def _bright_squares_dataset(root: Path, frames: int, *, test: range | None = None, shape=(64, 80)) -> Path:
    rng = np.random.default_rng(3)
    pairs = {}
    for k in range(frames):
        r, c = int(rng.integers(8, shape[0] - 16)), int(rng.integers(8, shape[1] - 16))
        pairs[f"sq_{k:02d}"] = frame_with([(r, c, r + 5, c + 5)], shape=shape, seed=k, peak=230.0)
    make_dataset(root, pairs)
    if test is not None:
        (root / "50_50").mkdir()
        (root / "50_50" / "test.txt").write_text("\n".join(f"sq_{k:02d}" for k in test) + "\n")
    return root


def test_a_retrain_that_comes_out_worse_keeps_the_model_in_use_and_one_click_switches(qtbot, tmp_path, starter_model,
                                                                                      monkeypatch):
    monkeypatch.setenv("IRSTLABEL_BACKEND", "torch")  # the fast path's conversions are tested elsewhere
    dataset = _bright_squares_dataset(tmp_path / "squares", 10)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    press(window, "Ctrl+R")
    dialog = open_dialog(RetrainDialog)
    fill_small_cpu_settings(dialog, epochs=1)
    lr = dialog.findChild(QWidget, "lr")
    lr.setFocus()
    lr.selectAll()
    from PySide6.QtTest import QTest

    QTest.keyClicks(lr, "1")  # a learning rate that wrecks the model in one epoch
    QTest.keyClick(lr, Qt.Key.Key_Tab)
    assert lr.value() == 1.0
    click(button(dialog, "Retrain"))
    summary = wait_for_the_retraining(window)

    [checkpoint] = window.project.registry.checkpoints()
    name = checkpoint["name"]
    assert f"{name} scored worse than starter, which stays the default" in summary, summary
    assert "->" in summary  # both held-out figures
    assert shown_set(window) == STARTER_NAME  # what Shift+A and the overlay use
    switch = window.findChild(QPushButton, "retrain-switch")
    assert switch.isVisible() and switch.text() == f"Use {name} anyway"
    click(switch)
    wait_for(lambda: shown_set(window) == name, timeout=10, what="the switch")
    assert f"{name} is now the default model" in summary_text(window)
    click(window.findChild(QPushButton, "retrain-dismiss"))
    assert summary_text(window) == ""
    assert "Last retraining" in window.results.findChild(QLabel, "results-retrain-summary").text()


def test_a_test_only_dataset_trains_on_its_other_labelled_frames_and_is_judged_on_its_test_split(qtbot, tmp_path):
    dataset = _bright_squares_dataset(tmp_path / "testonly", 10, test=range(6, 10))
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    press(window, "Ctrl+R")
    dialog = open_dialog(RetrainDialog)
    assert counts_text(dialog) == "4 frames train, 2 validate, 4 held out (test)"
    fill_small_cpu_settings(dialog, epochs=1)
    click(button(dialog, "Retrain"))
    wait_for_the_retraining(window)
    [checkpoint] = window.project.registry.checkpoints()
    row = results_row(window, checkpoint["name"])
    assert row["text"]["split"] == "test"
    assert_row_equals_cli(row, cli_json("evaluate", row["checkpoint"], str(dataset), "--split", "test", "--json"))
    plan = json.loads((Path(row["checkpoint"]).parent / "split.json").read_text())
    assert plan["test"] == [f"sq_{k:02d}" for k in range(6, 10)]
    assert not set(plan["train"] + plan["val"]) & set(plan["test"])


def test_with_every_labelled_frame_held_out_the_dialog_says_so_and_offers_training_on_them(qtbot, tmp_path):
    dataset = _bright_squares_dataset(tmp_path / "alltest", 6, test=range(0, 6))
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    press(window, "Ctrl+R")
    dialog = open_dialog(RetrainDialog)
    assert "no labelled frame outside the held-out frames" in counts_text(dialog)
    assert not retrain_button(dialog).isEnabled()
    offer = dialog.findChild(QCheckBox, "train_on_test")
    assert offer.isVisible()
    click(offer)
    assert retrain_button(dialog).isEnabled()
    assert "their figures are not held out" in counts_text(dialog)
    click(button(dialog, "Cancel"))
    assert status_text(window) is not None
