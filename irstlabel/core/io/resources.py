"""Where the bundled resources (icons, style sheet, the starter model) lie, wherever irstlabel runs from.

The repository keeps them in the top-level ``resources/`` folder; packaging maps
that folder into the package as ``irstlabel.resources`` (pyproject.toml), so a
wheel, an editable install and the frozen app all find them the same way. A
source checkout run without installing falls back to the folder itself.
"""

from __future__ import annotations

import sys
from importlib import resources as importlib_resources
from pathlib import Path

__all__ = ["resource_folder"]


def resource_folder() -> Path | None:
    """The folder holding ``icons/``, ``style.qss`` and ``models/``."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen and (Path(frozen) / "resources").is_dir():
        return Path(frozen) / "resources"
    try:
        packaged = importlib_resources.files("irstlabel.resources")
    except ModuleNotFoundError:
        packaged = None
    if isinstance(packaged, Path) and (packaged / "style.qss").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "resources"
    return checkout if checkout.is_dir() else None
