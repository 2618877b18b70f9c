"""Hand-made frames for annotation journeys: targets placed where a test needs them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings

from irstlabel.gui.main_window import MainWindow
from irstlabel.gui.opening import open_project
from tests.helpers import write_image, write_mask_file

SHAPE = (64, 80)


def frame_with(boxes, *, shape=SHAPE, seed=0, background=30.0, peak=200.0):
    """A grey frame with bright square targets at `boxes` (r0, c0, r1, c1), and their mask."""
    rng = np.random.default_rng(seed)
    image = background + rng.normal(0, 2.0, shape)
    mask = np.zeros(shape, bool)
    for r0, c0, r1, c1 in boxes:
        image[r0:r1, c0:c1] = peak
        mask[r0:r1, c0:c1] = True
    return np.clip(image, 0, 255).astype(np.uint8), mask


def make_dataset(root: Path, frames: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """A generic-layout dataset (images/, masks/) from {frame id: (image, mask)}."""
    for frame_id, (image, mask) in frames.items():
        write_image(root / "images" / f"{frame_id}.png", image)
        write_mask_file(root / "masks" / f"{frame_id}.png", mask)
    return root


def open_window(qtbot, dataset: Path, settings_file: Path, *, size=(1400, 860)) -> MainWindow:
    """The main window as `irstlabel gui DATASET` opens it."""
    return open_window_on(qtbot, dataset, None, settings_file, size=size)


def open_window_on(qtbot, dataset: Path, project_dir, settings_file: Path, *, size=(1400, 860)) -> MainWindow:
    """The main window as `irstlabel gui DATASET --project PROJECT` opens it."""
    project, note = open_project(dataset, None if project_dir is None else str(project_dir))
    window = MainWindow(project, settings=QSettings(str(settings_file), QSettings.Format.IniFormat), note=note)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    return window


def table_rows(table) -> list[dict]:
    """The cells of a QTableWidget as dicts by header text."""
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [{h: (table.item(r, c).text() if table.item(r, c) else "") for c, h in enumerate(headers)}
            for r in range(table.rowCount())]
