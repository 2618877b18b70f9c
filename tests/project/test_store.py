import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.errors import IrstlabelError
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.project.store import Project


@pytest.fixture
def dataset(tmp_path):
    return make_demo_dataset(tmp_path / "data", frames=4, size=(48, 64), seed=2)


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and ".irstlabel" not in p.parts}


def test_edits_never_touch_the_dataset_and_load_back(dataset):
    before = _files(dataset)
    with Project.open(dataset) as project:
        frame_id = project.frame_ids[1]
        original = project.load_mask(frame_id)
        edited = original.copy()
        edited[:4, :4] = True
        result = project.save_mask(frame_id, edited, source="canny")
        np.testing.assert_array_equal(project.load_mask(frame_id), edited)
        np.testing.assert_array_equal(project.original_mask(frame_id), original)
        assert project.frame_state(frame_id) == "in_progress"
        assert any(t["change"] == "added" for t in result.targets)
        log = project.edit_log(frame_id)
        assert log[-1]["action"] == "save" and log[-1]["source"] == "canny"
        assert log[-1]["mask_sha256"] == hashlib.sha256((project.masks_folder / f"{frame_id}.png").read_bytes()).hexdigest()
    assert _files(dataset) == before
    with Project.open(dataset, readonly=True) as again:
        np.testing.assert_array_equal(again.load_mask(frame_id), edited)


def test_review_states_targets_and_registry(dataset):
    with Project.open(dataset) as project:
        frame_id = project.frame_ids[0]
        project.set_frame_state(frame_id, "flagged")
        assert project.frame_state(frame_id) == "flagged"
        with pytest.raises(IrstlabelError, match="unknown frame state 'finished'"):
            project.set_frame_state(frame_id, "finished")
        changed = project.load_mask(frame_id)
        changed[-1, -1] = True
        project.save_mask(frame_id, changed)
        project.set_target_status(frame_id, 1, "accepted")
        assert project.targets(frame_id)[0]["status"] == "accepted"
        with pytest.raises(IrstlabelError, match="no recorded target 99"):
            project.set_target_status(frame_id, 99, "accepted")
        with pytest.raises(IrstlabelError, match="unknown mask source"):
            project.save_mask(frame_id, project.load_mask(frame_id), source="magic")
        project.registry.register_checkpoint("run-1", "/x/best.pt", config={"channels": 16}, metrics={"iou": 0.5})
        project.registry.register_checkpoint("run-1", "/y/best.pt")
        assert [c["path"] for c in project.registry.checkpoints()] == ["/y/best.pt"]
        project.registry.add_evaluation("run-1", "test", {"pixel": {"iou": 0.4}})
        assert project.registry.evaluations()[0]["result"]["pixel"]["iou"] == 0.4
        summary = {row["frame_id"]: row for row in project.frame_summary()}
        assert summary[frame_id]["state"] == "flagged" and summary[frame_id]["edited"]


def test_wrong_size_mask_is_refused_and_nothing_changes(dataset):
    with Project.open(dataset) as project:
        frame_id = project.frame_ids[0]
        with pytest.raises(IrstlabelError, match="mask is 10x10 but the frame is 64x48"):
            project.save_mask(frame_id, np.zeros((10, 10), bool))
        assert not project.is_edited(frame_id) and project.edit_log() == []


def test_a_failed_write_keeps_the_last_good_mask_and_says_so(dataset, monkeypatch):
    with Project.open(dataset) as project:
        frame_id = project.frame_ids[0]
        first = project.load_mask(frame_id)
        first[0, 0] = True
        project.save_mask(frame_id, first)
        path = project.masks_folder / f"{frame_id}.png"
        good = path.read_bytes()
        log_before = project.edit_log()

        def disk_full(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", disk_full)
        with pytest.raises(IrstlabelError, match=r"No space left on device\); the previous file is kept"):
            project.save_mask(frame_id, ~first)
        monkeypatch.undo()
        assert path.read_bytes() == good and project.edit_log() == log_before
        import tempfile

        def read_only(*args, **kwargs):
            raise OSError(30, "Read-only file system")

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
        with pytest.raises(IrstlabelError, match="Read-only file system"):
            project.save_mask(frame_id, ~first)
        assert path.read_bytes() == good


HOLDER = textwrap.dedent("""
    import sys, time
    from irstlabel.project.store import Project
    project = Project.open(sys.argv[1])
    print("open", flush=True)
    time.sleep(60)
""")


def test_a_second_writer_is_refused_and_a_dead_writers_lock_is_taken_over(dataset):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(dataset)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(IrstlabelError, match=rf"open for writing by another process \(pid {holder.pid} on "):
            Project.open(dataset)
        with Project.open(dataset, readonly=True) as reader:  # reading is still allowed
            assert reader.frame_ids
    finally:
        holder.kill()
        holder.wait()
    with Project.open(dataset) as project:  # the killed holder's lock is gone with it
        assert project.frame_ids


SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    from irstlabel.project.store import Project
    project = Project.open(sys.argv[1])
    rng = np.random.default_rng(int(sys.argv[2]))
    ids = project.frame_ids
    print("ready", flush=True)
    k = 0
    while True:
        frame_id = ids[k % len(ids)]
        mask = np.zeros((48, 64), bool)
        r, c = rng.integers(0, 40, 2)
        mask[r:r + 1 + k % 7, c:c + 1 + k % 5] = True
        project.save_mask(frame_id, mask, source="manual")
        k += 1
""")


def test_kill_9_while_saving_leaves_complete_files_a_sound_database_and_a_matching_log(dataset):
    import random
    import time

    from irstlabel.core.io.files import read_mask

    rng = random.Random(0)
    for attempt in range(6):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(dataset), str(attempt)], stdout=subprocess.PIPE, text=True)
        assert saver.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        saver.kill()  # SIGKILL: no cleanup of any kind
        saver.wait()
        project_dir = dataset / ".irstlabel"
        for png in (project_dir / "masks").glob("*.png"):
            assert read_mask(png, shape=(48, 64)).mask.shape == (48, 64)  # complete, decodable
        db = sqlite3.connect(project_dir / "project.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        with Project.open(dataset) as project:  # reconciles a save cut between file and commit
            for png in (project_dir / "masks").glob("*.png"):
                frame_id = png.stem
                log = project.edit_log(frame_id)
                assert log and log[-1]["mask_sha256"] == hashlib.sha256(png.read_bytes()).hexdigest()
            assert not list((project_dir / "masks").glob(".*.tmp"))


def test_non_utf8_frame_ids_round_trip(tmp_path):
    from tests.helpers import write_image, write_mask_file

    root = tmp_path / "d"
    odd = os.fsdecode(b"vol\xe9 1")
    write_image(root / "images" / f"{odd}.png", np.zeros((20, 20), np.uint8))
    write_mask_file(root / "masks" / f"{odd}.png", np.zeros((20, 20), bool))
    with Project.open(root) as project:
        mask = np.zeros((20, 20), bool)
        mask[5:8, 5:8] = True
        project.save_mask(odd, mask)
        with project.predictions.writer("p") as writer:
            writer.write(odd, mask.astype(float))
    with Project.open(root) as project:
        np.testing.assert_array_equal(project.load_mask(odd), mask)
        assert Dataset.open(root).frame_ids == (odd,)
        assert project.edit_log(odd)[-1]["frame_id"] == odd
        assert project.predictions.frame_ids("p") == [odd]
        np.testing.assert_array_equal(project.predictions.read("p", odd) > 0.5, mask)


def test_a_version_1_project_keeps_its_statuses_under_stable_ids(dataset):
    """Version 1 stored list positions (0-based) and no anchors: targets are found again by box and area."""
    import sqlite3

    from irstlabel.project.schema import MIGRATIONS

    with Project.open(dataset) as project:
        frame_id = project.frame_ids[0]
        mask = project.load_mask(frame_id)
        mask[0:2, 0:2] = True  # a second target, first in raster order
        result = project.save_mask(frame_id, mask)
        records, sha, folder = result.targets, result.sha256, project.folder
    db = sqlite3.connect(folder / "project.sqlite", isolation_level=None)
    db.executescript("DROP TABLE targets; DROP TABLE meta; DROP TABLE frames; DROP TABLE edits; "
                     "DROP TABLE checkpoints; DROP TABLE prediction_sets; DROP TABLE evaluations;")
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO frames (frame_id, edited, mask_sha256) VALUES (?, 1, ?)", (frame_id, sha))
    for k, r in enumerate(records):  # as version 1 wrote them: 0-based positions, the second one rejected
        db.execute("INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (frame_id, k, r["area"], r["x"], r["y"], r["r0"], r["c0"], r["r1"], r["c1"], r["lpd_old"],
                    r["lpd_new"], r["change"], "rejected" if k == 1 else "pending", "dataset"))
    db.execute("PRAGMA user_version = 1")
    db.close()
    with Project.open(dataset) as project:
        migrated = project.targets(frame_id)
        assert [t["target"] for t in migrated] == list(range(1, len(records) + 1)) and migrated[0]["anchor_r"] is None
        more = project.load_mask(frame_id)
        more[-2:, -2:] = True  # an edit elsewhere
        saved = {t["target"]: t for t in project.save_mask(frame_id, more).targets}
        assert saved[2]["status"] == "rejected" and saved[1]["status"] == "pending"
        assert saved[len(records) + 1]["status"] == "edited" and saved[2]["anchor_r"] is not None
