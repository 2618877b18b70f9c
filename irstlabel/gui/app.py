"""Starting the desktop app: QApplication, theme, main window, screenshot mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _application():
    from PySide6.QtWidgets import QApplication

    from .theme import apply_dark_theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("irstlabel")
        app.setOrganizationName("irstlabel")
        apply_dark_theme(app)
    return app


def run_app(*, dataset: str | None = None, screenshot: str | None = None) -> int:
    """Open the main window on `dataset` (the demo dataset when None).

    With `screenshot`, the window is rendered to that PNG and the app exits
    without entering the event loop.
    """
    from ..core.datasets import Dataset
    from ..core.synthetic import ensure_demo_dataset
    from .main_window import MainWindow

    app = _application()
    root = Path(dataset) if dataset else ensure_demo_dataset()
    opened = Dataset.open(root)  # an IrstlabelError here reaches the CLI as one line
    window = MainWindow(opened)
    window.resize(1280, 800)
    window.show()
    if screenshot:
        return _save_screenshot(app, window, screenshot)
    return app.exec()


def _save_screenshot(app, window, path: str) -> int:
    from ..core.errors import IrstlabelError

    for _ in range(5):
        app.processEvents()
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise IrstlabelError(path, "folder for the screenshot does not exist")
    if not window.grab().save(path, "PNG"):
        raise IrstlabelError(path, "screenshot could not be written")
    window.close()
    return 0
