"""Retraining as a person does it: Ctrl+R or the toolbar, the dialog, progress, curves, overlay, Results."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QWidget

from irstlabel.gui.results import COLUMNS
from irstlabel.gui.retrain import RetrainDialog
from tests.helpers import strict_loads
from tests.journeys.drive import (
    button,
    choose,
    click,
    open_dialog,
    press,
    status_text,
    toolbar_button,
    type_number,
    wait_for,
)

TRAINING_MINUTES = 4 * 60


def fill_small_cpu_settings(dialog, *, epochs=2) -> None:
    """What a user in a hurry types: small crops, a few crops per epoch, few epochs, the smallest c."""
    type_number(dialog, "max_epochs", epochs)
    type_number(dialog, "crop", 48)
    type_number(dialog, "batch", 2)
    type_number(dialog, "epoch_samples", 4)
    if dialog.findChild(QComboBox, "channels").isEnabled():  # fine-tuning keeps the model's c
        choose(dialog, "channels", "16")


def summary_text(window) -> str:
    """What the bar above the canvas says about the last retraining ('' while it is hidden)."""
    bar = window.findChild(QWidget, "retrain-summary")
    return bar.findChild(QLabel, "retrain-summary-text").text() if bar.isVisible() else ""


def progress_text(window) -> str:
    """What the status bar's progress bar names ('' while it is hidden)."""
    bar = window.statusBar().findChild(QProgressBar)
    return bar.format() if bar is not None and bar.isVisible() else ""


def wait_for_the_retraining(window, *, seen: set | None = None) -> str:
    """Wait until the retraining ends (its summary shows, or a failure is said); returns the summary.

    `seen` collects every progress text shown meanwhile.
    """
    def ended() -> bool:
        if seen is not None:
            seen.add(progress_text(window))
        return bool(summary_text(window) or "failed" in status_text(window))

    wait_for(ended, timeout=TRAINING_MINUTES, what="the retraining to end")
    assert summary_text(window), status_text(window)
    return summary_text(window)


def results_row(window, name: str) -> dict:
    """The Results table's row for a set: {column label: exact value behind the text}."""
    table = window.results.table
    labels = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == name:
            return {labels[c]: table.item(r, c).data(Qt.ItemDataRole.UserRole) for c in range(table.columnCount())} | \
                {"checkpoint": table.item(r, 0).data(Qt.ItemDataRole.UserRole), "text": {
                    labels[c]: table.item(r, c).text() for c in range(table.columnCount())}}
    raise AssertionError(f"no Results row for '{name}'")


def _points(curve) -> int:
    xs = curve.getData()[0]
    return 0 if xs is None else len(xs)


def cli_json(*args) -> dict:
    out = subprocess.run([sys.executable, "-m", "irstlabel.cli", *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return strict_loads(out.stdout)


def assert_row_equals_cli(row: dict, cli: dict) -> None:
    for group, key, label, _ in COLUMNS:
        assert row[label] == pytest.approx(cli[group][key], abs=1e-9), (label, row[label], cli[group][key])


def retrain_through_dialog(window, qtbot, start, *, epochs=2) -> str:
    """Open the dialog with `start()`, fill it, press Retrain, wait for the end; returns the new set's name."""
    start()
    dialog = open_dialog(RetrainDialog)
    fill_small_cpu_settings(dialog, epochs=epochs)
    click(button(dialog, "Retrain"))
    wait_for(lambda: window.status.progress.isVisible(), timeout=30, what="the progress bar")
    wait_for_the_retraining(window)
    return window.review.set_combo.currentText()


def test_ctrl_r_retrains_and_shows_the_new_model_everywhere(window, qtbot, dataset):
    loss_points = []
    window.results.loss_curve.sigPlotChanged.connect(lambda item: loss_points.append(_points(item)))
    press(window, "H")  # no model yet: the status bar says so
    assert "No prediction yet" in status_text(window)

    name = retrain_through_dialog(window, qtbot, lambda: press(window, "Ctrl+R"))

    assert loss_points and max(loss_points) == 2  # the live curve got one point per epoch
    assert not window.status.progress.isVisible() and not window.status.cancel_button.isVisible()
    frame_shape = window.canvas.image_item.image.shape[:2]
    prediction = window.canvas.layers["prediction"].image
    assert prediction is not None and prediction.shape[:2] == frame_shape  # drawn on the frame on screen
    row = results_row(window, name)
    assert row["split"] is None and row["text"]["split"] == "test"
    assert float(row["text"]["fps"]) > 0 and 10 < float(row["text"]["params (M)"]) < 14
    cli = cli_json("evaluate", row["checkpoint"], str(dataset), "--split", "test", "--json")
    assert_row_equals_cli(row, cli)
    assert "is now the default model" in summary_text(window) and "F1-T" in summary_text(window)


def test_the_toolbar_button_fine_tunes_the_newest_model(window, qtbot, dataset):
    first = retrain_through_dialog(window, qtbot, lambda: click(toolbar_button(window, "Retrain")), epochs=1)
    second = retrain_through_dialog(window, qtbot, lambda: click(toolbar_button(window, "Retrain")), epochs=1)
    assert second != first or "stays the default" in summary_text(window)
    assert "->" in summary_text(window)  # before -> after for each figure, against the model in use
    row = results_row(window, second)
    assert_row_equals_cli(row, cli_json("evaluate", row["checkpoint"], str(dataset), "--split", "test", "--json"))
    assert window.results.table.rowCount() == 2
