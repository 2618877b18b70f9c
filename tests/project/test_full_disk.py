"""A real full filesystem (a small tmpfs) under the project: saving fails cleanly and nothing saved changes."""

from __future__ import annotations

import errno
import os


from irstlabel.core.errors import IrstlabelError
from irstlabel.project.session import AnnotationSession
from irstlabel.project.store import Project
from tests.datasets import make_generic


def fill(folder) -> "os.PathLike":
    """Fill the filesystem to the last byte with one file; returns its path."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        block = b"\0" * 65536
        try:
            while True:
                handle.write(block)

        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with open(filler, "ab", buffering=0) as handle:  # the last partial block
        try:
            while True:
                handle.write(b"\0" * 512)

        except OSError:
            pass
    return filler


def flip(row: int, col: int):
    """An edit that changes one pixel (an edit that changes nothing is not an edit)."""
    def operation(mask):
        mask[row, col] = not mask[row, col]
        return row, col, row + 1, col + 1
    return operation


def test_a_full_disk_at_commit_keeps_the_saved_mask_and_the_frame_unsaved(tmp_path, small_disk):
    dataset = make_generic(tmp_path / "data")
    project = Project.open(dataset, small_disk / "project")
    session = AnnotationSession(project)
    told = []
    session.saved.connect(lambda frame_id, ok, message: told.append((ok, message)))
    frame = session.open_frame(project.frame_ids[0])
    session.edit(flip(0, 0))
    assert session.save()
    path = project.masks_folder / f"{frame.frame_id}.png"
    saved_bytes, log_before = path.read_bytes(), project.edit_log()

    filler = fill(small_disk)
    # leave one 4 KiB page: the new PNG fits, the database's write-ahead log does not
    with open(filler, "r+b") as handle:
        handle.truncate(os.path.getsize(filler) - 4096)
    session.edit(flip(1, 1))
    assert session.save() is False and session.save() is False
    assert frame.dirty and "cannot" in frame.save_failed
    assert [ok for ok, _ in told] == [True, False, False] and told[1][1] and told[2][1] is None  # told once
    assert path.read_bytes() == saved_bytes and project.edit_log() == log_before
    assert not list(project.masks_folder.glob(".*"))  # no temporary or backup left behind

    filler.unlink()  # space again: the same edit saves
    assert session.save() and not frame.dirty
    assert len(project.edit_log()) == len(log_before) + 1
    project.close()
    with Project.open(dataset, small_disk / "project") as reopened:
        assert (reopened.load_mask(frame.frame_id) == frame.mask).all()


def test_opening_a_project_on_a_full_disk_is_one_line(tmp_path, small_disk):
    dataset = make_generic(tmp_path / "data")
    Project.open(dataset, small_disk / "project").close()
    fill(small_disk)
    try:
        project = Project.open(dataset, small_disk / "project")
    except IrstlabelError as exc:
        assert "\n" not in str(exc)
    else:
        project.close()  # nothing needed writing: fine too
