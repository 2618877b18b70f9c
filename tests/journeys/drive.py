"""Driving the main window the way a person does: keys, toolbar buttons, clicks, dialog widgets.

Nothing here calls a private method of the app or replaces any of its code:
it finds what is on screen (actions by their text, buttons by their label,
the dialog that is open) and sends it real input events.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QDialog, QSpinBox, QToolBar, QWidget


def wait_for(predicate, *, timeout: float = 60.0, what: str = "the condition") -> None:
    """Process events until `predicate()` is true; raise AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        QApplication.processEvents()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        QTest.qWait(20)


def press(window: QWidget, keys: str) -> None:
    """Type a key sequence such as "Ctrl+R" or "H" on the window.

    Shortcuts reach only the active window. A window manager gives activation
    back to the main window when a dialog closes; the offscreen platform does
    not, so the window is activated first, as a person's click on it would.
    """
    top = window.window()
    if QApplication.activeWindow() is not top:
        top.activateWindow()
        wait_for(lambda: QApplication.activeWindow() is top, timeout=5, what="the window to become active")
    sequence = QKeySequence(keys)
    combination = sequence[0]
    QTest.keyClick(window, combination.key(), combination.keyboardModifiers())
    QApplication.processEvents()


def toolbar_button(window: QWidget, text: str) -> QWidget:
    """The toolbar button a person would click for the action labelled `text`."""
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            if action.text() == text:
                return bar.widgetForAction(action)
    raise AssertionError(f"no toolbar button '{text}'")


def menu_action(window: QWidget, menu_title: str, text: str):
    """A menu entry by the menu's title (without '&') and the entry's text."""
    for menu_action_ in window.menuBar().actions():
        if menu_action_.text().replace("&", "") == menu_title:
            for action in menu_action_.menu().actions():
                if action.text() == text:
                    return action
    raise AssertionError(f"no '{text}' in the {menu_title} menu")


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    QApplication.processEvents()


def open_dialog(kind=QDialog, *, timeout: float = 10.0) -> QDialog:
    """The modal dialog now on screen (waits for it)."""
    found = []

    def shown():
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind) and widget.isVisible():
            found.append(widget)
            return True
        return False

    wait_for(shown, timeout=timeout, what=f"a {kind.__name__} to open")
    return found[0]


def button(dialog: QWidget, text: str) -> QAbstractButton:
    """A push button of a dialog by its label (without '&')."""
    for candidate in dialog.findChildren(QAbstractButton):
        if candidate.text().replace("&", "") == text and candidate.isVisible():
            return candidate
    labels = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    raise AssertionError(f"no button '{text}' in {dialog.windowTitle()!r}; buttons: {labels}")


def type_number(dialog: QWidget, name: str, value: int) -> None:
    """Select the spin box named `name` and type `value` into it, as with the keyboard."""
    box = dialog.findChild(QSpinBox, name)
    assert box is not None, f"no field '{name}' in {dialog.windowTitle()!r}"
    box.setFocus()
    QTest.keySequence(box, QKeySequence.StandardKey.SelectAll)
    QTest.keyClicks(box, str(value))
    QTest.keyClick(box, Qt.Key.Key_Tab)
    assert box.value() == value, f"typed {value} into '{name}' but it shows {box.value()}"


def choose(dialog: QWidget, name: str, text: str) -> None:
    """Pick `text` in the drop-down named `name` with the keyboard."""
    combo = dialog.findChild(QComboBox, name)
    assert combo is not None, f"no drop-down '{name}' in {dialog.windowTitle()!r}"
    index = combo.findText(text)
    assert index >= 0, f"'{text}' is not offered in '{name}': {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setFocus()
    step = Qt.Key.Key_Down if index > combo.currentIndex() else Qt.Key.Key_Up  # Home is the window's Fit key
    for _ in range(abs(index - combo.currentIndex())):
        QTest.keyClick(combo, step)
    assert combo.currentText() == text


def type_path(file_dialog: QWidget, path: str) -> None:
    """Type a path into a (Qt, non-native) file dialog and press Enter."""
    from PySide6.QtWidgets import QLineEdit

    edit = file_dialog.findChild(QLineEdit, "fileNameEdit")
    assert edit is not None, "the file dialog has no file name field"
    edit.setFocus()
    QTest.keySequence(edit, QKeySequence.StandardKey.SelectAll)
    QTest.keyClicks(edit, path)
    QTest.keyClick(edit, Qt.Key.Key_Return)
    QApplication.processEvents()


def screen_point(canvas, x: float, y: float):
    """Where image pixel (x, y)'s centre is on the canvas's viewport."""
    return canvas.mapFromScene(canvas.view.mapViewToScene(QPointF(x + 0.5, y + 0.5)))


def click_image(canvas, x: float, y: float, *, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A left click at the screen position of image pixel (x, y) on a canvas."""
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifiers, screen_point(canvas, x, y))
    QApplication.processEvents()


def drag_image(canvas, points) -> None:
    """Press the left button at the first image point, move through the others, release at the last."""
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, screen_point(canvas, *points[0]))
    for x, y in points[1:]:
        QTest.mouseMove(viewport, screen_point(canvas, x, y))
        QApplication.processEvents()
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       screen_point(canvas, *points[-1]))
    QApplication.processEvents()


def go_to_frame(window, name: str) -> None:
    """Ctrl+G, type part of a frame's name, Enter (as a person jumps to a frame)."""
    press(window, "Ctrl+G")
    box = window.frame_list.search
    wait_for(box.hasFocus, timeout=5, what="the go-to box to take the focus")
    QTest.keyClicks(box, name)
    QTest.keyClick(box, Qt.Key.Key_Return)


def status_text(window) -> str:
    return window.statusBar().currentMessage()


# --- what the user sees: read from widgets by their names, never from the session ---------------


def current_frame(window) -> str:
    """The frame on screen, as the window's title names it ("<frame> - irstlabel - <dataset>")."""
    title = window.windowTitle()
    return title.split(" - irstlabel - ")[0] if " - irstlabel - " in title else ""


def listed_frame(window) -> str:
    """The frame the Frames list shows as selected."""
    from PySide6.QtWidgets import QTableWidget

    selected = window.findChild(QTableWidget, "frame-list").selectedItems()
    return selected[0].text() if selected else ""


def shown_set(window) -> str:
    """The prediction set named in the toolbar's drop-down (drawn, reviewed, used by Shift+A)."""
    return window.findChild(QComboBox, "prediction-set").currentText()


def offered_sets(window) -> list[str]:
    combo = window.findChild(QComboBox, "prediction-set")
    return [combo.itemText(k) for k in range(combo.count())]


def target_rows(window) -> list[dict]:
    """The Targets table's rows as {column: text}."""
    from PySide6.QtWidgets import QTableWidget

    table = window.findChild(QTableWidget, "targets")
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [{h: (table.item(r, c).text() if table.item(r, c) else "") for c, h in enumerate(headers)}
            for r in range(table.rowCount())]


def selected_target(window) -> int | None:
    """The id in the Targets table's selected row (None when no target is selected)."""
    from PySide6.QtWidgets import QTableWidget

    table = window.findChild(QTableWidget, "targets")
    rows = table.selectionModel().selectedRows()
    return int(table.item(rows[0].row(), 0).text()) if rows else None


def drawn_mask(window):
    """The current mask as the canvas draws it (its mask layer, placed on the frame), as a bool array."""
    import numpy as np

    shape = window.canvas.image_item.image.shape[:2]
    drawn = np.zeros(shape, bool)
    item = window.canvas.layers["mask"]
    if item.image is None:
        return drawn
    rect = item.mapRectToParent(item.boundingRect())
    r0, c0 = int(round(rect.top())), int(round(rect.left()))
    h, w = item.image.shape[:2]
    drawn[r0:r0 + h, c0:c0 + w] = item.image > 0
    return drawn


def table_rows(table) -> list[dict]:
    """The cells of a QTableWidget as dicts by header text."""
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [{h: (table.item(r, c).text() if table.item(r, c) else "") for c, h in enumerate(headers)}
            for r in range(table.rowCount())]
