"""Bundled resources (icons, style sheet): from the frozen app's folder or the source checkout."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_folder() -> Path | None:
    """``resources/`` beside the package (checkout, editable install) or inside a frozen build."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = [Path(frozen) / "resources"] if frozen else []
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    return next((c for c in candidates if c.is_dir()), None)


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
