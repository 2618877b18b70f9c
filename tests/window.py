"""The main window as `irstlabel gui DATASET [--project PROJECT]` opens it: the one way tests build it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from irstlabel.gui.main_window import MainWindow
from irstlabel.gui.opening import open_project


def open_window(qtbot, dataset: Path, settings_file: Path, *, project_dir=None, size=(1400, 860)) -> MainWindow:
    """Open the project beside `dataset` (or at `project_dir`), show its window at `size`, active and exposed."""
    project, note = open_project(dataset, None if project_dir is None else str(project_dir))
    window = MainWindow(project, settings=QSettings(str(settings_file), QSettings.Format.IniFormat), note=note)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    return window


def close_window(window: MainWindow) -> None:
    """Close it as the user would (jobs cancelled first), then release the project."""
    if window.isVisible():
        window.runner is None or window.runner.shutdown()
        window.close()
    window.project.close()
