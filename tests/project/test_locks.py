"""Lock files are never followed through links, and never written through them."""

from __future__ import annotations

import os

import pytest

from irstlabel.core.errors import IrstlabelError
from irstlabel.jobs.locks import TrainingLock
from irstlabel.project.store import Project
from tests.datasets import make_generic


@pytest.fixture
def project_folder(tmp_path):
    root = make_generic(tmp_path / "data")
    Project.open(root).close()
    return root / ".irstlabel"


def test_a_symlinked_project_lock_is_refused_and_its_target_untouched(project_folder, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (project_folder / "lock").unlink()
    (project_folder / "lock").symlink_to(victim)
    with pytest.raises(IrstlabelError, match=r"lock: is a symbolic link; a lock file must be a regular file"):
        Project.open(project_folder.parent)
    assert victim.read_text() == "precious"


def test_a_dangling_lock_symlink_creates_nothing(project_folder, tmp_path):
    target = tmp_path / "created-by-irstlabel"
    (project_folder / "lock").unlink()
    (project_folder / "lock").symlink_to(target)
    with pytest.raises(IrstlabelError, match="is a symbolic link"):
        Project.open(project_folder.parent)
    assert not target.exists()


def test_a_folder_or_a_hard_link_at_the_lock_is_one_line(project_folder, tmp_path):
    (project_folder / "lock").unlink()
    (project_folder / "lock").mkdir()
    with pytest.raises(IrstlabelError, match="lock: is a folder"):
        Project.open(project_folder.parent)
    (project_folder / "lock").rmdir()
    other = tmp_path / "other.txt"
    other.write_text("x")
    os.link(other, project_folder / "lock")
    with pytest.raises(IrstlabelError, match="lock: has other hard links"):
        Project.open(project_folder.parent)
    assert other.read_text() == "x"


def test_the_training_lock_refuses_links_too(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.lock").symlink_to(victim)
    with pytest.raises(IrstlabelError, match="train.lock: is a symbolic link"):
        with TrainingLock(project):
            pass
    assert victim.read_text() == "precious"
    (project / "train.lock").unlink()
    with TrainingLock(project):
        with pytest.raises(IrstlabelError, match=r"a training job is already running for this project \(pid "):
            with TrainingLock(project):
                pass
    with TrainingLock(project):  # released
        pass


def test_a_lock_held_elsewhere_names_its_holder_and_a_normal_lock_works(project_folder):
    with Project.open(project_folder.parent):
        with pytest.raises(IrstlabelError, match=rf"open for writing by another process \(pid {os.getpid()} on "):
            Project.open(project_folder.parent)


OPEN_ONCE = """
import sys
from irstlabel.core.errors import IrstlabelError
from irstlabel.project.store import Project
try:
    Project.open(sys.argv[1], readonly=sys.argv[2] == "ro").close()
    print("opened")
except IrstlabelError as exc:
    print("refused" if "open for writing by another process" in str(exc) else f"error: {exc}")
"""


def test_many_processes_opening_a_new_project_at_once_never_crash(tmp_path):
    import subprocess
    import sys

    root = make_generic(tmp_path / "data")
    processes = [subprocess.Popen([sys.executable, "-c", OPEN_ONCE, str(root), "ro" if k % 3 else "rw"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(24)]
    results = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in results if err][:1]
    outcomes = [out.strip() for out, _ in results]
    assert set(outcomes) <= {"opened", "refused"}, outcomes
    assert outcomes.count("opened") >= 16  # every read-only open, and at least one writer
    with Project.open(root) as project:
        assert project.frame_state(project.frame_ids[0]) == "todo"


def test_a_database_with_tables_but_no_version_is_repaired(tmp_path):
    import sqlite3

    from irstlabel.project.schema import MIGRATIONS, SCHEMA_VERSION

    root = make_generic(tmp_path / "data")
    (root / ".irstlabel").mkdir()
    db = sqlite3.connect(root / ".irstlabel" / "project.sqlite")
    db.executescript(MIGRATIONS[0])  # the tables, user_version left at 0
    db.close()
    with Project.open(root) as project:
        assert project.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert len(project.frame_summary()) == len(project.frame_ids)
