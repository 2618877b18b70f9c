"""Where the docks go: the first start's layout, and a saved layout that would leave the frame too little room.

Results and Compare are tabs beside Targets, so opening them never takes
height from the canvas; the canvas keeps at least half the window's width
and of the height under the bars (a journey measures it at 1366x768).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

__all__ = ["add_docks", "canvas_room", "LEAST_ROOM"]

LEAST_ROOM = 0.5  # the canvas's least share of the window's width, and of the height under the bars


def add_docks(window: QMainWindow, panels: dict) -> dict[str, QDockWidget]:
    """Dock `panels` ({title: (widget, "left" | "right")}) as a first start has them; {lower title: dock}."""
    areas = {"left": Qt.DockWidgetArea.LeftDockWidgetArea, "right": Qt.DockWidgetArea.RightDockWidgetArea}
    docks = {}
    for title, (widget, side) in panels.items():
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        window.addDockWidget(areas[side], dock)
        docks[title.lower()] = dock
    window.tabifyDockWidget(docks["targets"], docks["results"])
    window.tabifyDockWidget(docks["results"], docks["compare"])
    window.setCorner(Qt.Corner.BottomLeftCorner, areas["left"])
    window.setCorner(Qt.Corner.BottomRightCorner, areas["right"])
    for key in ("results", "compare"):  # shown once there is something in them
        docks[key].hide()
    docks["targets"].raise_()
    window.resizeDocks([docks["frames"], docks["targets"]], [230, 400], Qt.Orientation.Horizontal)
    window.resizeDocks([docks["targets"], docks["tools"]], [380, 260], Qt.Orientation.Vertical)
    return docks


def canvas_room(window: QMainWindow, canvas) -> tuple[float, float]:
    """The canvas's share of the window's width, and of the height under the bars."""
    return canvas.width() / max(window.width(), 1), canvas.height() / max(window.centralWidget().height(), 1)
