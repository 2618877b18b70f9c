"""Opening a project for the app: writable if possible, else read-only, saying why. No Qt here."""

from __future__ import annotations

import hashlib
from pathlib import Path


def _fallback_project_dir(dataset: Path) -> Path:
    """Where the project goes when the dataset's folder cannot be written (a read-only share)."""
    from ..core.datasets.synthetic import default_demo_dir

    key = hashlib.sha256(str(dataset.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return default_demo_dir().parent / "projects" / f"{dataset.name}-{key}"


def open_project(dataset: Path, project_dir: str | None):
    """The project for the app: writable if possible, else read-only; plus a note for the status bar.

    The note also carries what opening the dataset warned about (an absent
    conventional split), one line each.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shown in the status bar instead, from project.dataset.warnings
        project, note = _open_project(dataset, project_dir)
    lines = [line for line in (note, *project.dataset.warnings) if line]
    return project, "; ".join(lines) or None


def _open_project(dataset: Path, project_dir: str | None):
    """Writable if possible. Held by another process, or on a read-only disk: read-only, saying why.

    A dataset folder where no project exists and none can be created gets its
    project in the user's data folder instead.
    """
    from ..core.errors import LockBusy, NotWritable
    from ..core.io.paths import PROJECT_FOLDER
    from ..project.store import Project

    note = None
    if project_dir is None and not (dataset / PROJECT_FOLDER / "project.sqlite").exists():
        try:
            return Project.open(dataset), None
        except NotWritable:
            project_dir = _fallback_project_dir(dataset)
            note = f"The dataset folder is read-only; edits are kept in {project_dir}"
    try:
        return Project.open(dataset, project_dir), note
    except (LockBusy, NotWritable) as exc:
        return Project.open(dataset, project_dir, readonly=True), f"Read-only: {exc}"
