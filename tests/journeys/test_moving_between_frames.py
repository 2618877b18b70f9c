"""Moving between frames with keys and clicks: unreadable frames, done-and-next, go-to, resume, read-only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.datasets import frame_with, make_dataset
from tests.window import open_window
from tests.journeys.drive import table_rows
from tests.journeys.drive import current_frame, drag_image, drawn_mask, listed_frame, press, status_text, wait_for


@pytest.fixture
def dataset(tmp_path):
    frames = {name: frame_with([(10 + 5 * k, 10 + 5 * k, 13 + 5 * k, 13 + 5 * k)], seed=k)
              for k, name in enumerate(("a", "b", "c", "d"))}
    return make_dataset(tmp_path / "data", frames)


shown, listed = current_frame, listed_frame


def click_row(window, name: str) -> None:
    table = window.frame_list.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == name)
    rect = table.visualItemRect(table.item(row, 0))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QApplication.processEvents()


def test_an_unreadable_frame_is_passed_by_and_never_takes_the_edits(qtbot, dataset, tmp_path):
    (dataset / "images" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    window = open_window(qtbot, dataset, tmp_path / "s.ini")
    assert shown(window) == "a"
    press(window, "PgDown")
    assert shown(window) == listed(window) == "c"
    assert "Passed 1 unreadable frame" in status_text(window) and "b.png" in status_text(window)
    click_row(window, "b")  # clicking it says why and stays on the frame on screen
    assert shown(window) == listed(window) == "c"
    assert "Cannot open this frame" in status_text(window) and "b.png" in status_text(window)
    press(window, "PgUp")
    assert shown(window) == listed(window) == "a"
    press(window, "PgDown")
    press(window, "B")
    drag_image(window.canvas, [(40, 40), (44, 40)])
    painted = drawn_mask(window)
    press(window, "PgUp")
    assert shown(window) == "a"
    press(window, "Ctrl+Z")  # undo reopens the frame the stroke was on, and the list follows
    assert shown(window) == listed(window) == "c"
    assert painted.sum() > drawn_mask(window).sum()
    window.close()


def test_done_and_flag_advance_and_the_list_says_so(qtbot, dataset, tmp_path):
    window = open_window(qtbot, dataset, tmp_path / "s.ini")
    press(window, "D")
    assert shown(window) == "b"
    press(window, "F")
    assert shown(window) == "c"
    states = {r["frame"]: r["state"] for r in table_rows(window.frame_list.table)}
    assert (states["a"], states["b"], states["c"]) == ("done", "flagged", "todo")
    assert "state: todo" in status_text(window)
    window.close()


def test_go_to_frame_by_typing_part_of_its_name(qtbot, dataset, tmp_path):
    window = open_window(qtbot, dataset, tmp_path / "s.ini")
    press(window, "Ctrl+G")
    box = window.frame_list.search
    wait_for(lambda: box.hasFocus(), timeout=5, what="the go-to box to take the focus")
    QTest.keyClicks(box, "d")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert shown(window) == listed(window) == "d"
    QTest.keySequence(box, "Ctrl+A")
    QTest.keyClicks(box, "zz")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert shown(window) == "d" and "No frame name holds 'zz'" in status_text(window)
    window.close()


def test_reopening_resumes_at_the_last_frame(qtbot, dataset, tmp_path):
    window = open_window(qtbot, dataset, tmp_path / "s.ini")
    press(window, "PgDown")
    press(window, "PgDown")
    press(window, "Ctrl+Q")
    wait_for(lambda: not window.isVisible(), timeout=10, what="the window to close")
    again = open_window(qtbot, dataset, tmp_path / "s.ini")
    assert shown(again) == listed(again) == "c"
    again.close()


def test_a_second_instance_is_read_only_and_says_so(qtbot, dataset, tmp_path):
    first = open_window(qtbot, dataset, tmp_path / "s1.ini")
    second = open_window(qtbot, dataset, tmp_path / "s2.ini")
    assert "[read-only]" in second.windowTitle() and "[read-only]" not in first.windowTitle()
    assert not second.actions_["tool_brush"].isEnabled() and not second.actions_["retrain"].isEnabled()
    before = second.session.frame.mask.copy()
    press(second, "B")
    drag_image(second.canvas, [(40, 40), (44, 40)])
    press(second, "Delete")
    assert (second.session.frame.mask == before).all()
    press(second, "PgDown")  # reading still works
    assert shown(second) == "b"
    second.close()
    first.close()


def test_the_levels_histogram_follows_the_frame_after_a_moment(qtbot, dataset, tmp_path):
    import numpy as np

    window = open_window(qtbot, dataset, tmp_path / "s.ini")
    histogram, item = window.canvas.histogram, window.canvas.image_item
    press(window, "PgDown")
    press(window, "PgDown")

    def follows():
        x, y = histogram.plot.getData()
        expected = item.getHistogram()
        return (x is not None and np.allclose(histogram.getLevels(), item.getLevels())
                and np.array_equal(y, expected[1]))

    wait_for(follows, timeout=5, what="the histogram of the frame on screen")
    assert shown(window) == "c"
    window.close()
