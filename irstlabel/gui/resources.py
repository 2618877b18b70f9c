"""Bundled resources (icons, style sheet), loaded with importlib.resources.

The repository keeps them in the top-level ``resources/`` folder; packaging maps
that folder into the package as ``irstlabel.resources`` (pyproject.toml), so a
wheel, an editable install and the frozen app all find them the same way. A
source checkout run without installing falls back to the folder itself.
"""

from __future__ import annotations

from pathlib import Path

from ..core.io.resources import resource_folder

__all__ = ["resource_folder", "resource", "icon"]


def resource(name: str) -> Path | None:
    folder = resource_folder()
    path = None if folder is None else folder / name
    return path if path is not None and path.exists() else None


def icon(name: str):
    """A QIcon from ``resources/icons/<name>.svg``, or an empty icon when the file is missing."""
    from PySide6.QtGui import QIcon

    path = resource(f"icons/{name}.svg")
    return QIcon(str(path)) if path else QIcon()


def style_sheet() -> str:
    path = resource("style.qss")
    return path.read_text() if path else ""
