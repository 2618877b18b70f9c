"""Retraining as a journey needs it: filling the dialog like a person in a hurry, waiting for the end, and reading
the Results table, the summary bar and the CLI's figures."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QWidget

from irstlabel.gui.results import COLUMNS
from irstlabel.gui.retrain import RetrainDialog
from tests.helpers import strict_loads
from tests.journeys.drive import button, choose, click, open_dialog, press, shown_set, status_text, type_number, wait_for

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
    return shown_set(window)


def start_long_retrain(window) -> None:
    press(window, "Ctrl+R")
    dialog = open_dialog(RetrainDialog)
    fill_small_cpu_settings(dialog, epochs=500)
    click(button(dialog, "Retrain"))
    wait_for(lambda: window.status.progress.maximum() > 1 and window.status.progress.value() > 0, timeout=120,
             what="training progress")
