"""The F1 list of keyboard shortcuts, made from the window's own actions.

Every key the window answers is a QAction; the list is built from them (their
keys and status tips), so it can never miss a binding or name one that does
not exist: one table makes both the bindings and the help.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout


def shortcut_rows(actions) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, in the order the actions were made."""
    rows = []
    for action in actions:
        keys = [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()]
        if action.property("held_keys"):
            keys = [f"{key} (hold)" for key in keys]
        if keys:
            rows.append((" / ".join(keys), action.statusTip() or action.text().replace("&", "")))
    return rows


class HelpDialog(QDialog):
    def __init__(self, actions, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        table = QTableWidget(len(rows), 2)
        table.setObjectName("shortcuts")
        table.setHorizontalHeaderLabels(("keys", "action"))
        table.verticalHeader().setVisible(False)
        for row, (keys, action) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(600, 640)
