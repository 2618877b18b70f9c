"""A dataset with a test split and the main window on it, as `irstlabel gui DATASET` opens it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from irstlabel.core.synthetic import make_demo_dataset
from irstlabel.gui.opening import open_project
from irstlabel.gui.main_window import MainWindow


@pytest.fixture
def dataset(tmp_path):
    """8 small frames in the DNANet layout: 6 to train on (the trainer keeps a quarter for validation), 2 to test."""
    root = make_demo_dataset(tmp_path / "data", frames=8, size=(48, 64), seed=11, n_targets=(1, 3), scr=(6, 12))
    split = root / "50_50"
    split.mkdir()
    ids = [f"frame_{k:04d}" for k in range(1, 9)]
    (split / "train.txt").write_text("\n".join(ids[:6]) + "\n")
    (split / "test.txt").write_text("\n".join(ids[6:]) + "\n")
    return root


@pytest.fixture
def window(qtbot, dataset, tmp_path):
    project, note = open_project(dataset, None)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(project, settings=settings, note=note)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    yield win
    if win.isVisible():
        win.runner is None or win.runner.shutdown()
        win.close()
    project.close()
