"""The shipped starter model as a new user meets it: open a dataset, see predictions, move on, retrain from it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PySide6.QtWidgets import QCheckBox, QLabel

from irstlabel.core.io.files import read_mask
from irstlabel.core.metrics.evaluation import binarize
from irstlabel.core.models.starter import STARTER_NAME
from irstlabel.gui.retrain import RetrainDialog
from tests.journeys.drive import button, click, current_frame, open_dialog, press, shown_set, status_text, wait_for
from tests.journeys.retraining import fill_small_cpu_settings, wait_for_the_retraining


def _shown_for(window, frame_id) -> bool:
    return current_frame(window) == frame_id and window.canvas.layers["prediction"].image is not None


def test_opening_a_dataset_shows_the_starter_prediction_then_the_next_frames_and_retrain_fine_tunes_it(
        starter_model, window, dataset, qtbot, tmp_path):
    first = current_frame(window)
    wait_for(lambda: _shown_for(window, first), timeout=240, what="the starter's prediction on the frame on screen")
    assert shown_set(window) == STARTER_NAME
    assert window.findChild(QCheckBox, "show-prediction").isChecked()

    press(window, "PgDown")
    second = current_frame(window)
    assert second != first
    wait_for(lambda: _shown_for(window, second), timeout=60, what="the next frame's starter prediction")

    # the GUI's maps are the CLI's: `irstlabel predict DATASET` (no checkpoint) writes the same masks
    out = subprocess.run([sys.executable, "-m", "irstlabel.cli", "predict", str(dataset), "--out", str(tmp_path / "p")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    cache = window.project.predictions
    for frame_id in (first, second):
        drawn = binarize(cache.read_levels(STARTER_NAME, frame_id), cache.threshold(STARTER_NAME))
        np.testing.assert_array_equal(drawn, read_mask(tmp_path / "p" / f"{frame_id}.png").mask)

    # Retrain is not held up by the starter's background predictions, and fine-tunes the starter by default
    press(window, "Ctrl+R")
    dialog = open_dialog(RetrainDialog)
    scratch = dialog.findChild(QCheckBox, "scratch")
    assert not scratch.isChecked() and scratch.isEnabled(), status_text(window)
    assert dialog.findChild(QLabel, "retrain-start").text() == "Fine-tunes: starter"
    fill_small_cpu_settings(dialog, epochs=1)
    click(button(dialog, "Retrain"))
    press(window, "PgDown")  # a frame change during the retraining does not wake the starter's job
    press(window, "PgDown")
    seen: set = set()
    summary = wait_for_the_retraining(window, seen=seen)
    assert not any(text.startswith("Starter") for text in seen), seen
    [checkpoint] = window.project.registry.checkpoints()
    assert checkpoint["config"]["channels"] == 64  # the starter's shape, fine-tuned
    # compared with the starter on the same held-out frames: the better one is shown and used
    adopted = f"{checkpoint['name']} is now the default model" in summary
    assert adopted or f"{checkpoint['name']} scored worse than starter, which stays the default" in summary
    assert shown_set(window) == (checkpoint["name"] if adopted else STARTER_NAME)


def test_the_starters_progress_never_goes_back_and_quitting_does_not_ask_for_it(starter_model, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from irstlabel.core.datasets.synthetic import make_demo_dataset
    from tests.window import close_window, open_window

    dataset = make_demo_dataset(tmp_path / "many", frames=40, size=(192, 256), seed=4)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    bar, seen = window.status.progress, []
    bar.valueChanged.connect(lambda value: bar.format().startswith("Starter") and bar.maximum() > 0
                             and seen.append(value / bar.maximum()))
    wait_for(lambda: len(seen) >= 2, timeout=240, what="the starter's predictions to make progress")
    for far in ("frame_0040", "frame_0030", "frame_0020"):  # frames far ahead: the job starts again from each
        press(window, "Ctrl+G")
        QTest.keyClicks(QApplication.focusWidget(), far)
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        wait_for(lambda: current_frame(window) == far, what=f"{far} on screen")
        done = len(seen)
        wait_for(lambda: len(seen) > done, timeout=120, what="progress after the frame change")
    assert seen == sorted(seen), seen  # over the whole dataset: a restart carries on from what is done
    assert window.runner.active, "the starter finished before the quit could be tried (make the set larger)"
    window.close()  # no question: the starter's maps are kept, and it resumes on the next opening
    wait_for(lambda: not window.isVisible(), timeout=30, what="the window to close without asking")
    kept = set(window.project.predictions.frame_ids(STARTER_NAME))
    close_window(window)
    again = open_window(qtbot, dataset, tmp_path / "settings.ini")
    try:
        wait_for(lambda: len(set(again.project.predictions.frame_ids(STARTER_NAME))) > len(kept), timeout=240,
                 what="the starter to resume on the next opening")
        assert kept <= set(again.project.predictions.frame_ids(STARTER_NAME))
    finally:
        close_window(again)
