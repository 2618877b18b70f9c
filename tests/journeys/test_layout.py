"""The canvas keeps its room (every dock open at 1366x768, View > Reset layout); plots and lists stay readable."""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.datasets import frame_with, make_dataset
from tests.journeys.drive import menu_action, wait_for
from tests.window import close_window, open_window

SMALL_SCREEN = (1366, 768)


def _room(window) -> tuple[float, float]:
    """The canvas's share of the window's width, and of the height under the bars."""
    return window.canvas.width() / window.width(), window.canvas.height() / window.centralWidget().height()


def _open(qtbot, tmp_path):
    dataset = make_dataset(tmp_path / "data", {"a": frame_with([(10, 10, 13, 13)])})
    return open_window(qtbot, dataset, tmp_path / "settings.ini", size=SMALL_SCREEN)


def _show_every_dock(window) -> None:
    for title in ("Frames", "Targets", "Tools", "Results", "Compare"):
        action = menu_action(window, "View", title)
        if not action.isChecked():
            action.trigger()
    wait_for(lambda: all(d.isVisible() for d in window.docks.values()), what="every dock to show")


def test_with_every_dock_open_the_canvas_keeps_half_the_window(qtbot, tmp_path):
    window = _open(qtbot, tmp_path)
    try:
        _show_every_dock(window)
        width, height = _room(window)
        assert width >= 0.5 and height >= 0.5, (width, height)
    finally:
        close_window(window)


def test_reset_layout_brings_hidden_docks_back_beside_the_canvas(qtbot, tmp_path):
    window = _open(qtbot, tmp_path)
    try:
        for title in ("Frames", "Tools"):
            menu_action(window, "View", title).trigger()
        wait_for(lambda: not window.docks["frames"].isVisible() and not window.docks["tools"].isVisible(),
                 what="the docks to hide")
        menu_action(window, "View", "Reset layout").trigger()
        wait_for(lambda: window.docks["frames"].isVisible() and window.docks["tools"].isVisible(),
                 what="the docks to come back")
        assert min(_room(window)) >= 0.5 and "Layout reset" in window.statusBar().currentMessage()
    finally:
        close_window(window)


def test_a_saved_layout_that_squeezes_the_canvas_is_put_back_at_the_next_start(qtbot, tmp_path):
    window = _open(qtbot, tmp_path)
    _show_every_dock(window)
    # docks dragged wide by hand (QTest cannot drag a dock separator offscreen: the same sizes set directly)
    window.resizeDocks([window.docks["frames"], window.docks["targets"]], [700, 600], Qt.Orientation.Horizontal)
    wait_for(lambda: _room(window)[0] < 0.5, what="the squeezed canvas")
    close_window(window)  # the layout is saved as it is
    window = _open(qtbot, tmp_path)
    try:
        wait_for(lambda: min(_room(window)) >= 0.5, what="the canvas to get its room back")
        assert "the docks are put back" in window.statusBar().currentMessage()
        assert window.docks["frames"].isVisible() and window.docks["targets"].isVisible()
    finally:
        close_window(window)


def test_a_saved_layout_with_room_for_the_canvas_is_kept(qtbot, tmp_path):
    window = _open(qtbot, tmp_path)
    menu_action(window, "View", "Frames").trigger()  # the user's choice: no frame list
    wait_for(lambda: not window.docks["frames"].isVisible(), what="the frame list to hide")
    close_window(window)
    window = _open(qtbot, tmp_path)
    try:
        QApplication.processEvents()
        assert not window.docks["frames"].isVisible()
        assert "put back" not in window.statusBar().currentMessage()
    finally:
        close_window(window)


def test_results_plots_are_readable_and_say_when_they_have_no_data(qtbot, tmp_path):
    window = _open(qtbot, tmp_path)
    try:
        menu_action(window, "View", "Results").trigger()
        wait_for(lambda: window.docks["results"].isVisible(), what="the Results dock")
        pr = window.results.plots["pr"]  # the first tab, on screen
        wait_for(lambda: pr.isVisible() and pr.height() >= 150, what=f"a PR plot 150 px high, not {pr.height()}")
        assert "pr" in window.results.empty_plots() and pr.empty_note.toPlainText() == "no data yet"
        (x0, x1), (y0, y1) = pr.getViewBox().viewRange()
        assert (x0, x1, y0, y1) == (0, 100, 0, 100)  # percent axes, as the curves will have
        assert pr.getAxis("left").labelText == "precision (%)"
        assert min(_room(window)) >= 0.5  # and the canvas kept its room
    finally:
        close_window(window)


def test_sorting_the_frames_by_false_alarms_keeps_the_names_in_view(qtbot, tmp_path):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    window = _open(qtbot, tmp_path)
    try:
        table = window.frame_list.table
        column = window.frame_list.COLUMNS.index("model false alarms")
        table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())  # the user scrolls right
        wait_for(lambda: table.columnViewportPosition(column) < table.viewport().width(), what="the column in view")
        header = table.horizontalHeader()
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(x, header.height() // 2))
        assert header.sortIndicatorSection() == column
        wait_for(lambda: table.columnViewportPosition(0) == 0, what="the name column back in view")
    finally:
        close_window(window)
