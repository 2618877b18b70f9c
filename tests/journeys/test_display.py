"""What the annotator sees, driven by keys and clicks: one display state behind keys, menus, the Tools dock
and the canvas; hold-to-peek; markers that keep their screen size on a large frame; levels that follow the
view; one key per decision."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QSpinBox
from skimage.measure import label as connected

from irstlabel.gui.levels import auto_levels
from tests.datasets import frame_with, make_dataset
from tests.helpers import write_mask_file
from tests.journeys.drive import choose, click, current_frame, press, screen_point, table_rows, wait_for
from tests.journeys.test_jobs_and_review import import_folder
from tests.window import close_window, open_window


def _hold_space(window, held: bool) -> None:
    press(window, "Home")  # the window active, as a person's hand on the keyboard has it
    (QTest.keyPress if held else QTest.keyRelease)(window, Qt.Key.Key_Space)


def _overlays_on_screen(window) -> dict:
    canvas = window.canvas
    return {"mask": canvas.layers["mask"].isVisible() and canvas.layers["mask"].image is not None,
            "markers": canvas.markers.isVisible() and len(canvas.markers.data) > 0}


@pytest.fixture
def small(qtbot, tmp_path):
    frames = {"a": frame_with([(10, 10, 13, 13), (10, 40, 13, 43), (40, 10, 43, 13)]),
              "b": frame_with([(30, 30, 33, 33), (50, 50, 53, 53)], seed=1)}
    window = open_window(qtbot, make_dataset(tmp_path / "data", frames), tmp_path / "settings.ini")
    yield window, tmp_path
    close_window(window)


def test_keys_the_tools_dock_and_the_canvas_show_one_state_and_it_outlives_the_window(small, qtbot):
    window, tmp_path = small
    show_mask = window.findChild(QCheckBox, "show-mask")
    assert show_mask.isChecked() and _overlays_on_screen(window)["mask"]
    press(window, "M")  # the key: the dock's box and the canvas follow
    assert not show_mask.isChecked() and not _overlays_on_screen(window)["mask"]
    click(show_mask)  # the box: the canvas follows
    assert show_mask.isChecked() and _overlays_on_screen(window)["mask"]
    press(window, "B")
    assert window.actions_["tool_brush"].isChecked()
    press(window, "]")
    press(window, "]")
    assert window.findChild(QSpinBox, "brush").value() == 5
    press(window, "T")  # target markers off
    close_window(window)

    again = open_window(qtbot, window.project.dataset.root, tmp_path / "settings.ini")
    try:
        assert again.findChild(QSpinBox, "brush").value() == 5
        assert not again.findChild(QCheckBox, "show-markers").isChecked()
        assert not _overlays_on_screen(again)["markers"]
        assert again.actions_["tool_select"].isChecked()  # a new window starts with the select tool
    finally:
        close_window(again)


def test_holding_space_hides_every_overlay_and_letting_go_shows_them_again(small):
    window, _ = small
    press(window, "Tab")
    before = _overlays_on_screen(window)
    assert before == {"mask": True, "markers": True}
    _hold_space(window, True)
    assert _overlays_on_screen(window) == {"mask": False, "markers": False}
    assert not window.canvas.selected_marker.isVisible()
    press(window, "PgDown")  # a frame change while held: still the raw pixels
    assert _overlays_on_screen(window) == {"mask": False, "markers": False}
    _hold_space(window, False)
    assert _overlays_on_screen(window) == before
    assert window.findChild(QCheckBox, "show-mask").isChecked()  # a peek changes no setting
    press(window, "Ctrl+G")  # typing a space in a text field is a space, not a peek
    QTest.keyClicks(QApplication.focusWidget(), "frame a")
    assert QApplication.focusWidget().text() == "frame a" and _overlays_on_screen(window) == before


@pytest.fixture
def ten(qtbot, tmp_path):
    """Ten labelled targets on two frames."""
    boxes = [(8, 8, 11, 11), (8, 40, 11, 43), (40, 8, 43, 11), (40, 40, 43, 43), (25, 25, 28, 28)]
    frames = {"f0": frame_with(boxes), "f1": frame_with(boxes, seed=2)}
    window = open_window(qtbot, make_dataset(tmp_path / "data", frames), tmp_path / "settings.ini")
    yield window
    close_window(window)


def test_ten_targets_are_decided_in_at_most_twenty_key_presses(ten):
    """One key per decision, and the next target that needs one comes by itself."""
    window, presses = ten, []

    def key(keys):
        presses.append(keys)
        press(window, keys)

    key("Tab")
    for decision in ("Return", "R", "A", "Return", "Return", "A", "R", "Return", "Return", "Return"):
        key(decision)
    assert len(presses) <= 20
    assert current_frame(window) == "f1"  # the decisions walked on to the second frame by themselves
    decided = [row["status"] for row in table_rows(window.target_table)]
    press(window, "PgUp")
    decided += [row["status"] for row in table_rows(window.target_table)]
    assert "pending" not in decided and len(decided) == 10, decided
    assert decided.count("rejected") == 2 and decided.count("pending") == 0
    stored = [r["status"] for frame in ("f0", "f1") for r in window.project.targets(frame)]
    assert sorted(stored) == sorted(decided)  # each decision saved as it was made


@pytest.fixture
def large(qtbot, tmp_path):
    """One 1080x1918 frame with 12 targets of 2-3 px, and predictions that miss two and add three false alarms."""
    rng = np.random.default_rng(5)
    rows, cols = rng.integers(20, 1060, 12), rng.integers(20, 1898, 12)
    boxes = [(r, c, r + 2 + k % 2, c + 2 + k % 2) for k, (r, c) in enumerate(zip(rows, cols))]
    image, mask = frame_with(boxes, shape=(1080, 1918))
    predicted = mask.copy()
    for r0, c0, r1, c1 in boxes[:2]:
        predicted[r0:r1, c0:c1] = False
    for r, c in ((100, 300), (700, 1500), (1000, 900)):
        predicted[r:r + 2, c:c + 3] = True
    dataset = make_dataset(tmp_path / "data", {"wide": (image, mask)})
    write_mask_file(tmp_path / "model-a" / "wide.png", predicted)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini", size=(1366, 768))
    yield window, tmp_path / "model-a", mask, predicted
    close_window(window)


def test_at_fit_zoom_every_label_and_prediction_on_a_large_frame_has_a_marker(large):
    window, folder, mask, predicted = large
    import_folder(window, folder)
    if not window.findChild(QCheckBox, "show-prediction").isChecked():
        press(window, "H")
    press(window, "Home")
    canvas = window.canvas
    assert canvas.view.viewPixelSize()[0] > 1.5  # fit zoom: more than one frame pixel per screen pixel
    left, right = screen_point(canvas, 0, 540).x(), screen_point(canvas, 1917, 540).x()
    top, bottom = screen_point(canvas, 959, 0).y(), screen_point(canvas, 959, 1079).y()
    assert max((right - left) / canvas.view.width(), (bottom - top) / canvas.view.height()) > 0.9  # fit fills it
    labelled, n_labels = connected(mask, connectivity=2, return_num=True)
    _, n_predicted = connected(predicted, connectivity=2, return_num=True)
    assert len(canvas.markers.data) == n_labels == 12
    assert len(canvas.prediction_markers.data) == n_predicted == 13
    # every marker is drawn at its screen size, wherever the zoom is, and on its target
    for item in (canvas.markers, canvas.prediction_markers):
        assert item.opts["pxMode"] and item.opts["size"] >= 12
    inside = canvas.rect()
    for x, y in zip(canvas.prediction_markers.data["x"], canvas.prediction_markers.data["y"]):
        assert predicted[int(y), int(x)] or predicted[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2].any()
        assert inside.contains(screen_point(canvas, x - 0.5, y - 0.5))


def test_levels_follow_the_selected_target_and_can_be_the_whole_frames(qtbot, tmp_path):
    """A dim target beside a bright cloud: frame-wide levels wash it out, levels around it do not."""
    image, mask = frame_with([(10, 10, 13, 13)], peak=60.0)
    image[30:60, 40:78] = 250  # the cloud
    window = open_window(qtbot, make_dataset(tmp_path / "data", {"dim": (image, mask)}), tmp_path / "s.ini")
    try:
        _levels_follow(window)
    finally:
        close_window(window)


def _levels_follow(window):
    frame = window.canvas.image_item.image
    whole = auto_levels(frame)
    shown = lambda: tuple(float(v) for v in window.canvas.image_item.getLevels())  # noqa: E731
    press(window, "Tab")  # centred on target 1, levels from around it
    region = window.canvas.levels_region()
    assert region is not None and region != (0, 0) + frame.shape
    around = auto_levels(frame[region[0]:region[2], region[1]:region[3]])
    assert around[1] < whole[1] - 100  # the cloud is out of the target's levels
    wait_for(lambda: shown() == pytest.approx(around), what=f"levels {around} around the target, not {shown()}")
    choose(window, "levels-mode", "whole frame")
    wait_for(lambda: shown() == pytest.approx(whole), what=f"the whole frame's levels {whole}, not {shown()}")
    assert "whole frame" in window.canvas.histogram.axis.label.toPlainText()


def test_erasing_through_a_target_leaves_no_debris_and_undo_brings_it_back(qtbot, tmp_path):
    image, mask = frame_with([(20, 10, 23, 20)])  # a 3x10 bar
    window = open_window(qtbot, make_dataset(tmp_path / "data", {"bar": (image, mask)}), tmp_path / "s.ini")
    try:
        from tests.journeys.drive import drag_image, drawn_mask, status_text
        press(window, "X")  # the eraser, 3 px across: a cut at x=12 leaves a 3-px sliver at x=10
        drag_image(window.canvas, [(12, 17), (12, 21), (12, 26)])
        areas = sorted(int(row["area"]) for row in table_rows(window.target_table))
        assert areas == [18], areas  # the 3-px sliver went with the stroke
        assert not drawn_mask(window)[20:23, 10].any() and "smaller than 4 px" in status_text(window)
        press(window, "Ctrl+Z")
        assert [int(row["area"]) for row in table_rows(window.target_table)] == [30]
    finally:
        close_window(window)
