"""The keyboard shortcuts, and the dialog that lists them (F1)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout

SHORTCUTS = (
    ("PgDown / .", "next frame"), ("PgUp / ,", "previous frame"),
    ("Tab / Shift+Tab", "next / previous target (across frames)"),
    ("D", "mark frame done"), ("F", "flag frame"),
    ("S", "select tool"), ("B", "brush"), ("X", "eraser"), ("G", "polygon (click vertices, Enter closes)"),
    ("W", "magic wand (Shift+click subtracts)"), ("J", "merge: draw a line joining targets"),
    ("L", "split: draw a line cutting a target"), ("[ / ]", "smaller / bigger brush"),
    ("A", "accept the Canny proposal for the selected target"),
    ("Shift+A", "accept the model's prediction for the selected target"),
    ("Ctrl+Shift+A", "accept the model's prediction for the whole frame"),
    ("R", "reject the selected target"), ("Delete", "delete the selected target"),
    ("Ctrl+Z / Ctrl+Shift+Z or Ctrl+Y", "undo / redo"), ("Ctrl+S", "save now (saving is also automatic)"),
    ("M O E C H T", "toggle mask, original label, Canny edges, proposal, prediction, markers"),
    ("Home / =", "fit frame / one frame pixel per screen pixel"), ("F1", "this list"),
)


class HelpDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setHorizontalHeaderLabels(("keys", "action"))
        table.verticalHeader().setVisible(False)
        for row, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(560, 600)
