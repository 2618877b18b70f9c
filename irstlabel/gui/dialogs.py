"""Small dialogs shared by the window's actions."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QFileDialog, QWidget


def choose_folder(parent: QWidget, title: str, on_chosen: Callable[[str], None]) -> QFileDialog:
    """Ask for a folder without blocking; `on_chosen(path)` runs when one is picked.

    Qt's own dialog (not the platform's), window-modal, so it looks the same on
    every desktop and can be driven by keys like the rest of the app.
    """
    dialog = QFileDialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.fileSelected.connect(on_chosen)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
