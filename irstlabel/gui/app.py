"""Starting the desktop app: QApplication, theme, project, main window, screenshot mode."""

from __future__ import annotations

import hashlib
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


def _fallback_project_dir(dataset: Path) -> Path:
    """Where the project goes when the dataset's folder cannot be written (a read-only share)."""
    from ..core.synthetic import default_demo_dir

    key = hashlib.sha256(str(dataset.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return default_demo_dir().parent / "projects" / f"{dataset.name}-{key}"


def open_project(dataset: Path, project_dir: str | None):
    """The project for the app: writable if possible, else read-only; plus a note for the status bar.

    The note also carries what opening the dataset warned about (an absent
    conventional split), one line each.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shown in the status bar instead, from project.dataset.warnings
        project, note = _open_project(dataset, project_dir)
    lines = [line for line in (note, *project.dataset.warnings) if line]
    return project, "; ".join(lines) or None


def _open_project(dataset: Path, project_dir: str | None):
    """Writable if possible. Held by another process, or on a read-only disk: read-only, saying why.

    A dataset folder where no project exists and none can be created gets its
    project in the user's data folder instead.
    """
    from ..core.errors import LockBusy, NotWritable
    from ..core.paths import PROJECT_FOLDER
    from ..project.store import Project

    note = None
    if project_dir is None and not (dataset / PROJECT_FOLDER / "project.sqlite").exists():
        try:
            return Project.open(dataset), None
        except NotWritable:
            project_dir = _fallback_project_dir(dataset)
            note = f"The dataset folder is read-only; edits are kept in {project_dir}"
    try:
        return Project.open(dataset, project_dir), note
    except (LockBusy, NotWritable) as exc:
        return Project.open(dataset, project_dir, readonly=True), f"Read-only: {exc}"


def run_app(*, dataset: str | None = None, project: str | None = None, screenshot: str | None = None) -> int:
    """Open the main window on `dataset` (the demo dataset when None).

    With `screenshot`, the window is rendered to that PNG and the app exits
    without entering the event loop.
    """
    from ..core.synthetic import ensure_demo_dataset
    from .main_window import MainWindow
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
    window.resize(1400, 860)
    window.show()
    if screenshot:
        try:
            return _save_screenshot(app, window, screenshot)
        finally:
            opened.close()
    code = app.exec()
    opened.close()
    return code


def _save_screenshot(app, window, path: str) -> int:
    from ..core.errors import IrstlabelError

    frame = window.session.frame
    if window.project.prediction_sets():  # a reviewed project: show the review layout
        window.tools.visible["prediction"].setChecked(True)
        window.review_action.setChecked(True)
        window._update_review()
    if frame is not None and len(frame.targets):
        window.tools.visible["proposal"].setChecked(True)  # show what an annotator sees on a target
        window.select_target(0, centre=False)
        window.canvas.fit()
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
