"""F1 lists every key the window answers, from the actions themselves."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget

from irstlabel.gui.help import HelpDialog
from tests.journeys.drive import button, click, open_dialog, press


def test_f1_lists_every_binding_including_the_ones_the_first_list_forgot(window):
    press(window, "F1")
    dialog = open_dialog(HelpDialog)
    table = dialog.findChild(QTableWidget, "shortcuts")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    keys = {key for cell in rows for key in cell.split(" / ")}
    for expected in ("Ctrl+R", "Ctrl+E", "V", "Ctrl+O", "Ctrl+Y", "Ctrl+Shift+Z", "F1", "PgDown", "Tab", "A", "W",
                     "M", "Ctrl+S", "Ctrl+Q", "Ctrl+G", "D", "F"):
        assert expected in keys, expected
    assert "retrain ISPANet" in rows["Ctrl+R"] and "Shift+click subtracts" in rows["W"]
    assert "every overlay" in rows["Space (hold)"]  # a held key, listed from the same table
    assert "next one" in rows["D"] and "frame's name" in rows["Ctrl+G"]
    listed = [key for cell in rows for key in cell.split(" / ")]
    assert len(listed) == len(set(listed)), "a key bound to two actions"
    click(button(dialog, "Close"))
