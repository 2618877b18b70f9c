"""The dark theme: a Fusion palette for Qt widgets and matching pyqtgraph colours."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_COLOURS = {
    QPalette.ColorRole.Window: "#202225",
    QPalette.ColorRole.WindowText: "#dcdcdc",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#25272b",
    QPalette.ColorRole.ToolTipBase: "#2b2d31",
    QPalette.ColorRole.ToolTipText: "#dcdcdc",
    QPalette.ColorRole.Text: "#dcdcdc",
    QPalette.ColorRole.Button: "#2b2d31",
    QPalette.ColorRole.ButtonText: "#dcdcdc",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6ea8fe",
    QPalette.ColorRole.PlaceholderText: "#8a8d93",
}


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _COLOURS.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    from .resources import icon, style_sheet

    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("irstlabel"))
    pg.setConfigOptions(background="#17181a", foreground="#dcdcdc", imageAxisOrder="row-major")
