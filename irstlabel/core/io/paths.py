"""The source dataset is never modified: outputs must lie outside it.

A dataset folder may hold its project (``<dataset>/.irstlabel``, the default
place, written by irstlabel); anything else inside the dataset folder is the
user's data. Every command and job that writes checks its outputs with
:func:`refuse_inside`, on resolved paths (symbolic links followed), so that
``predict ... --out DATASET/masks`` cannot overwrite the labels.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from ..errors import IrstlabelError, display_path

__all__ = ["PROJECT_FOLDER", "refuse_inside", "is_inside", "staged_folder"]

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


@contextmanager
def staged_folder(out: str | os.PathLike):
    """Write a new output folder all at once: into a hidden sibling, renamed to `out` on success.

    `out` must be new or an empty folder. A command that fails (or is
    interrupted) removes the sibling: no half-written output is left to be
    refused as "not empty" next time, or mixed with a later run's.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "result"
    >>> with staged_folder(out) as stage:
    ...     _ = (stage / "a.txt").write_text("done")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise IrstlabelError(out, "output folder is not empty; choose a new one (nothing was written)")
    stage = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise IrstlabelError(out, f"cannot create the output folder ({exc.strerror or exc})") from None
    try:
        yield stage
        if out.exists():
            out.rmdir()
        os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
