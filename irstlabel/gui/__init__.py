"""Qt views and controllers: the only layer that imports PySide6 or pyqtgraph."""
