import numpy as np
import pytest

pytest.importorskip("PySide6")

from irstlabel.core.datasets import Dataset  # noqa: E402
from irstlabel.core.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.gui.app import run_app  # noqa: E402
from irstlabel.gui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def demo(tmp_path):
    return make_demo_dataset(tmp_path / "demo", frames=3, size=(48, 64), seed=3, bit_depth=16)


def test_screenshot_of_the_demo_dataset(tmp_path, qapp):
    out = tmp_path / "shot.png"
    assert run_app(screenshot=str(out)) == 0
    from PIL import Image

    assert Image.open(out).size[0] > 400


def test_window_shows_frames_without_converting_16_bit(qtbot, demo):
    window = MainWindow(Dataset.open(demo))
    qtbot.addWidget(window)
    shown = window.image_view.image_item.image
    assert shown.dtype == np.uint16
    window.frame_list.setCurrentRow(2)
    np.testing.assert_array_equal(window.image_view.image_item.image, Dataset.open(demo).read_frame("frame_0003"))
    assert "frame_0003" in window.statusBar().currentMessage()


def test_bad_frame_shows_a_dialog_and_the_window_lives_on(qtbot, demo, monkeypatch):
    (demo / "images" / "frame_0002.png").write_bytes(b"not a png")
    shown = []
    # Patch our own method: patching attributes of Qt's classes corrupts shiboken's refcounts.
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, text: shown.append(text))
    window = MainWindow(Dataset.open(demo))
    qtbot.addWidget(window)
    window.frame_list.setCurrentRow(1)
    assert len(shown) == 1 and "frame_0002.png: truncated or corrupt" in shown[0]
    window.frame_list.setCurrentRow(2)
    assert "frame_0003" in window.statusBar().currentMessage()
