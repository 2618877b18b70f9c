"""Starting the desktop app: QApplication, theme, project, main window, screenshot mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _application():
    from PySide6.QtWidgets import QApplication

    from .theme import apply_dark_theme

    app = QApplication.instance()
    if app is None:
        _refuse_without_xcb_libraries()
        app = QApplication(sys.argv[:1])
        app.setApplicationName("irstlabel")
        app.setOrganizationName("irstlabel")
        apply_dark_theme(app)
    return app


def _refuse_without_xcb_libraries() -> None:
    """One line naming the missing system libraries, instead of Qt's abort and core dump."""
    from ..core.errors import IrstlabelError
    from .platform_check import check_xcb, no_display, xcb_plugin

    if no_display():
        raise IrstlabelError(None, "no display to open a window on (DISPLAY is not set): run on a desktop, over "
                                   "ssh -X, or under xvfb-run; --screenshot works without one")
    missing, packages = check_xcb()
    if missing:
        raise IrstlabelError(xcb_plugin(), f"Qt's X11 plugin cannot load: {', '.join(missing)} not found; "
                                           f"install them with: sudo apt-get install {' '.join(packages)}")


def run_app(*, dataset: str | None = None, project: str | None = None, screenshot: str | None = None) -> int:
    """Open the main window on `dataset` (the demo dataset when None).

    With `screenshot`, the window is rendered to that PNG and the app exits
    without entering the event loop.
    """
    from ..core.datasets.synthetic import ensure_demo_dataset
    from .main_window import MainWindow
    from .opening import open_project
    from .platform_check import no_display

    if screenshot and no_display():  # a screenshot needs no screen
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = _application()
    root = Path(dataset) if dataset else ensure_demo_dataset()
    opened, note = open_project(root, project)  # an IrstlabelError here reaches the CLI as one line
    settings = None
    if screenshot:  # a screenshot shows the default layout, whatever this user's settings are
        import tempfile

        from PySide6.QtCore import QSettings

        settings = QSettings(os.path.join(tempfile.mkdtemp(), "screenshot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(opened, note=note, settings=settings)
    if screenshot:
        window.resize(*_screenshot_size())
    elif settings is None and window.settings.value("window/geometry") is None:
        _fit_screen(window)
    window.show()
    if screenshot:
        try:
            return _save_screenshot(app, window, screenshot)
        finally:
            opened.close()
    code = app.exec()
    opened.close()
    return code


def _fit_screen(window) -> None:
    """A first start fills most of the screen, centred (later starts restore the saved geometry)."""
    screen = window.screen().availableGeometry()
    width, height = int(screen.width() * 0.94), int(screen.height() * 0.94)
    window.resize(width, height)
    window.move(screen.x() + (screen.width() - width) // 2, screen.y() + (screen.height() - height) // 2)


def _screenshot_size() -> tuple[int, int]:
    """``IRSTLABEL_SCREENSHOT_SIZE=WxH`` (default 1366x768, the smallest common laptop screen)."""
    text = os.environ.get("IRSTLABEL_SCREENSHOT_SIZE", "1366x768")
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        from ..core.errors import IrstlabelError

        raise IrstlabelError(None, f"IRSTLABEL_SCREENSHOT_SIZE must be WIDTHxHEIGHT, got '{text}'") from None
    return width, height


def _save_screenshot(app, window, path: str) -> int:
    from ..core.errors import IrstlabelError

    frame = window.session.frame
    if window.project.registry.prediction_sets():  # a reviewed project: show the review layout
        window.display.set_visible("prediction", True)
        window.actions_["review_markers"].trigger()
    if frame is not None and len(frame.targets):
        window.display.set_visible("proposal", True)  # show what an annotator sees on a target
        window.actions_["next_target"].trigger()
        window.actions_["fit"].trigger()
    import time

    deadline = time.monotonic() + 10
    while window.frames.counting and time.monotonic() < deadline:  # the frame list's target counts
        app.processEvents()
        time.sleep(0.02)
    for _ in range(5):
        app.processEvents()
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise IrstlabelError(path, "folder for the screenshot does not exist")
    if not window.grab().save(path, "PNG"):
        raise IrstlabelError(path, "screenshot could not be written")
    window.session.save()
    window.close()
    return 0
