"""The source dataset is never modified: outputs must lie outside it.

A dataset folder may hold its project (``<dataset>/.irstlabel``, the default
place, written by irstlabel); anything else inside the dataset folder is the
user's data. Every command and job that writes checks its outputs with
:func:`refuse_inside`, on resolved paths (symbolic links followed), so that
``predict ... --out DATASET/masks`` cannot overwrite the labels.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import IrstlabelError, display_path

__all__ = ["PROJECT_FOLDER", "refuse_inside", "is_inside"]

PROJECT_FOLDER = ".irstlabel"


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """True when `path` is `folder` or lies under it, both resolved (symlinks followed).

    Examples
    --------
    >>> is_inside("/data/sirst/masks", "/data/sirst"), is_inside("/data/sirst2", "/data/sirst")
    (True, False)
    """
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def refuse_inside(output: str | os.PathLike, *sources: str | os.PathLike, what: str = "output") -> Path:
    """`output`, resolved; IrstlabelError when it lies inside one of the source datasets.

    A dataset's own project folder (``<dataset>/.irstlabel``) is not part of
    the data and may be written.
    """
    resolved = Path(output).resolve()
    for source in sources:
        if is_inside(resolved, source) and not is_inside(resolved, Path(source) / PROJECT_FOLDER):
            raise IrstlabelError(output, f"{what} is inside the source dataset {display_path(Path(source).resolve())}, "
                                         "which irstlabel never modifies; choose a place outside it")
    return resolved
