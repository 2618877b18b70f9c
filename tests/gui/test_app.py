"""Rendering: the screenshot mode, 16-bit levels, bundled resources. Editing is driven in tests/journeys."""

import numpy as np
import pytest

from tests.window import close_window, open_window

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QApplication  # noqa: E402

from irstlabel.core.datasets.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.gui.app import run_app  # noqa: E402


@pytest.fixture
def demo(tmp_path):
    return make_demo_dataset(tmp_path / "demo", frames=3, size=(64, 80), seed=3, bit_depth=16, max_extent=14,
                             n_targets=(2, 3), scr=(6, 10))


@pytest.fixture
def window(qtbot, demo, tmp_path):
    win = open_window(qtbot, demo, tmp_path / "settings.ini", size=(1000, 700))
    yield win
    close_window(win)


def test_screenshot_of_the_demo_dataset(tmp_path, qapp):
    out = tmp_path / "shot.png"
    assert run_app(screenshot=str(out)) == 0
    from PIL import Image

    assert Image.open(out).size[0] > 400


def test_levels_on_a_16_bit_frame_leave_the_data_untouched(window):
    frame = window.session.frame
    data = frame.image.copy()
    assert window.canvas.image_item.image.dtype == np.uint16
    window.canvas.histogram.setLevels(100, 20000)
    window.canvas.image_item.setLevels((5, 50))
    QApplication.processEvents()
    np.testing.assert_array_equal(window.canvas.image_item.image, data)
    np.testing.assert_array_equal(frame.image, data)


def test_bundled_icons_and_style_are_found(qapp):
    from irstlabel.gui.resources import icon, resource_folder, style_sheet

    assert resource_folder() is not None
    for name in ("irstlabel", "brush", "eraser", "polygon", "wand", "merge", "split", "select", "retrain"):
        assert not icon(name).isNull(), name
    assert "QToolBar" in style_sheet()
