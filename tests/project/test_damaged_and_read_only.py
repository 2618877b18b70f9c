"""A damaged mask file or a read-only disk never blocks a project from opening."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from irstlabel.core.errors import IrstlabelError, NotWritable
from irstlabel.gui.opening import open_project
from irstlabel.project.store import Project
from tests.helpers import write_mask_file
from tests.datasets import make_generic


@pytest.mark.parametrize("damage", ["truncated", "wrong size"])
def test_a_damaged_mask_file_flags_its_frame_and_the_rest_stays_editable(tmp_path, damage):
    dataset = make_generic(tmp_path / "data")
    with Project.open(dataset) as project:
        bad, good = project.frame_ids[0], project.frame_ids[1]
        mask = project.load_mask(bad)
        mask[-1, -1] = True  # not in the dataset's label: the edit is kept as a file
        project.save_mask(bad, mask)
        path = project.masks_folder / f"{bad}.png"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:20])
    else:
        write_mask_file(path, np.ones((5, 7), bool))
    with Project.open(dataset) as project:
        assert project.frame_state(bad) == "flagged"
        problem = project.damaged(bad)
        assert problem.startswith(str(path)) and "\n" not in problem
        with pytest.raises(IrstlabelError):
            project.load_mask(bad)
        other = project.load_mask(good)
        other[2, 2] = True
        project.save_mask(good, other)  # everything else editable
        assert project.damaged(good) is None
    with Project.open(dataset) as project:  # opening again does not flag it twice
        assert [e["action"] for e in project.edit_log(bad)].count("damaged") == 1
        fixed = np.zeros_like(other)
        project.save_mask(bad, fixed)  # saving a good mask over it clears the flag's reason
        assert project.damaged(bad) is None


def test_an_existing_project_on_a_read_only_disk_opens_read_only(tmp_path, small_disk):
    dataset = make_generic(tmp_path / "data")
    with Project.open(dataset, small_disk / "project") as project:
        mask = project.load_mask(project.frame_ids[0])
        mask[-1, -1] = True
        project.save_mask(project.frame_ids[0], mask)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(NotWritable, match="Read-only file system"):
        Project.open(dataset, small_disk / "project")
    with Project.open(dataset, small_disk / "project", readonly=True) as project:
        assert project.load_mask(project.frame_ids[0])[-1, -1]
        assert len(project.edit_log()) == 1
    project, note = open_project(dataset, str(small_disk / "project"))  # what the GUI does
    try:
        assert project.readonly and note.startswith("Read-only: ") and "Read-only file system" in note
    finally:
        project.close()
