import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from irstlabel.core.io import read_mask  # noqa: E402
from irstlabel.core.proposals import propose_target  # noqa: E402
from irstlabel.core.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.gui.app import run_app  # noqa: E402
from irstlabel.gui.main_window import MainWindow  # noqa: E402
from irstlabel.project.store import Project  # noqa: E402


@pytest.fixture
def demo(tmp_path):
    return make_demo_dataset(tmp_path / "demo", frames=3, size=(64, 80), seed=3, bit_depth=16, max_extent=14,
                             n_targets=(2, 3), scr=(6, 10))


@pytest.fixture
def window(qtbot, demo, tmp_path):
    from PySide6.QtCore import QSettings

    project = Project.open(demo)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(project, settings=settings)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    project.close()


def _viewport_point(win, x, y):
    scene = win.canvas.view.mapViewToScene(QPointF(x + 0.5, y + 0.5))
    return win.canvas.mapFromScene(scene)


def _mouse(win, kind, point, buttons):
    event = QMouseEvent(kind, QPointF(point), QPointF(win.canvas.viewport().mapToGlobal(point)),
                        Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win.canvas.viewport(), event)


def drag(win, points):
    """A left-button drag through image points, as real mouse events on the canvas."""
    first = _viewport_point(win, *points[0])
    _mouse(win, QEvent.Type.MouseButtonPress, first, Qt.MouseButton.LeftButton)
    for x, y in points[1:]:
        _mouse(win, QEvent.Type.MouseMove, _viewport_point(win, x, y), Qt.MouseButton.LeftButton)
    _mouse(win, QEvent.Type.MouseButtonRelease, _viewport_point(win, *points[-1]), Qt.MouseButton.NoButton)


def test_screenshot_of_the_demo_dataset(tmp_path, qapp):
    out = tmp_path / "shot.png"
    assert run_app(screenshot=str(out)) == 0
    from PIL import Image

    assert Image.open(out).size[0] > 400


def test_brush_stroke_changes_the_mask_and_the_saved_png_and_undo_restores_it(window, demo):
    frame = window.session.frame
    before = frame.mask.copy()
    window.set_tool("brush")
    window.tools.brush.setValue(4)
    drag(window, [(5, 60), (10, 60), (20, 60), (30, 60)])
    assert frame.mask[60, 10:30].all() and not before[60, 10:30].all()
    assert window.undo_stack.count() == 1
    window.session.save()
    saved = read_mask(demo / ".irstlabel" / "masks" / f"{frame.frame_id}.png").mask
    np.testing.assert_array_equal(saved, frame.mask)
    window.undo_stack.undo()
    np.testing.assert_array_equal(window.session.frame.mask, before)
    window.undo_stack.redo()
    assert window.session.frame.mask[60, 10:30].all()


def test_eraser_and_polygon_and_delete(window):
    frame = window.session.frame
    window.set_tool("polygon")
    for x, y in ((2, 2), (12, 2), (12, 9), (2, 9)):
        window._on_click(x, y, 0)
    window.close_polygon()
    assert frame.mask[3:9, 3:12].all()
    window.set_tool("eraser")
    window.tools.brush.setValue(2)
    drag(window, [(3, 5), (11, 5)])
    assert not frame.mask[5, 4:10].any()
    count = len(frame.targets)
    window.select_target(0, centre=False)
    window.delete_selected()
    assert len(window.session.frame.targets) == count - 1
    assert window.undo_stack.count() == 3


def test_accepting_a_proposal_replaces_the_selected_target(window):
    frame = window.session.frame
    window.select_target(0, centre=False)
    target = frame.targets.mask_of(0)
    expected = propose_target(frame.image, target).mask
    window.accept_proposal()
    mask = window.session.frame.mask
    np.testing.assert_array_equal(mask[expected], True)
    assert not (mask & target & ~expected).any()
    assert frame.extra["source"] == "canny"
    window.session.save()
    records = window.project.targets(frame.frame_id)
    assert any(r["source"] == "canny" for r in records)


def test_levels_on_a_16_bit_frame_leave_the_data_untouched(window):
    frame = window.session.frame
    data = frame.image.copy()
    assert window.canvas.image_item.image.dtype == np.uint16
    window.canvas.histogram.setLevels(100, 20000)
    window.canvas.image_item.setLevels((5, 50))
    QApplication.processEvents()
    np.testing.assert_array_equal(window.canvas.image_item.image, data)
    np.testing.assert_array_equal(frame.image, data)


def test_a_bad_frame_shows_a_dialog_and_the_window_lives_on(qtbot, demo, monkeypatch, tmp_path):
    from PySide6.QtCore import QSettings

    (demo / "images" / "frame_0002.png").write_bytes(b"not a png")
    shown = []
    # patch our own method: patching attributes of Qt's classes corrupts shiboken's refcounts
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, text: shown.append(text))
    with Project.open(demo) as project:
        win = MainWindow(project, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        win.open_frame("frame_0002")
        assert len(shown) == 1 and "frame_0002.png: truncated or corrupt" in shown[0]
        assert win.session.frame.frame_id == "frame_0001"
        win.open_frame("frame_0003")
        assert win.session.frame.frame_id == "frame_0003"
        win.close()


def test_switching_frames_autosaves_and_keys_work(window, qtbot, demo):
    first = window.session.frame.frame_id
    window.set_tool("brush")
    drag(window, [(40, 5), (50, 5)])
    window.step_frame(1)
    assert window.session.frame.frame_id != first
    assert (demo / ".irstlabel" / "masks" / f"{first}.png").exists()
    assert window.project.frame_state(first) == "in_progress"
    size = window.tools.brush.value()
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.tools.brush.value() == size + 1
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert window.project.frame_state(window.session.frame.frame_id) == "done"
    window.step_target(1)
    assert window.session.frame.selected == 0


def test_a_failed_save_is_marked_and_said_once(window, monkeypatch):
    import os

    shown = []
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, text: shown.append(text))

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    window.set_tool("brush")
    drag(window, [(40, 20), (45, 20)])
    monkeypatch.setattr(os, "replace", full)
    assert not window.session.save()
    assert not window.session.save()
    assert window.save_label.text() == "NOT SAVED" and len(shown) == 1
    assert "NOT SAVED" in [window.frame_list.table.item(r, 5).text() for r in range(window.frame_list.table.rowCount())]
    monkeypatch.undo()
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, text: shown.append(text))
    assert window.session.save() and window.save_label.text() == "saved"


def test_recent_datasets_are_remembered_and_open_in_a_new_window(window, tmp_path, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, text: shown.append(text))
    other = make_demo_dataset(tmp_path / "other", frames=2, size=(32, 40), seed=9)
    window.open_dataset(str(other))
    from irstlabel.gui import main_window as module

    new = module._WINDOWS[-1]
    qtbot.addWidget(new)
    assert new.project.dataset.root == other
    assert new._recent()[0] == str(other.resolve())
    new.open_dataset(str(tmp_path / "missing"))  # a bad choice is a dialog, the window stays
    assert shown and "missing: dataset folder not found" in shown[0] and new.isVisible()
    new.close()


def test_lpd_is_shown_while_drawing(window):
    frame = window.session.frame
    x, y = frame.targets.centroid[0]
    window.set_tool("brush")
    window._on_stroke("start", x, y)
    window._on_stroke("move", x + 1, y)
    assert "LPD of the target under the brush" in window.statusBar().currentMessage()
    window._on_stroke("end", x + 1, y)
    assert window.undo_stack.count() == 1


def test_bundled_icons_and_style_are_found(qapp):
    from irstlabel.gui.resources import icon, resource_folder, style_sheet

    assert resource_folder() is not None
    for name in ("irstlabel", "brush", "eraser", "polygon", "wand", "merge", "split", "select", "retrain"):
        assert not icon(name).isNull(), name
    assert "QToolBar" in style_sheet()
