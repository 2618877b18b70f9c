"""The source dataset is never modified: every output inside it is refused in one line, nothing written."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from irstlabel.core.errors import IrstlabelError
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.jobs.runner import run_job
from irstlabel.jobs.spec import JobSpec
from irstlabel.project.store import Project


def tree_digest(root: Path) -> str:
    """Every file's path and bytes under `root`, the project folder left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if ".irstlabel" not in p.parts):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def dataset(tmp_path):
    return make_demo_dataset(tmp_path / "data", frames=3, size=(32, 40), seed=3)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "irstlabel", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args, option", [
    (["curate", "unify", "{d}", "--out", "{d}/u", "--size", "32", "40"], "--out"),
    (["curate", "split", "{d}", "--out", "{d}/masks"], "--out"),
    (["curate", "dedup", "{d}", "--keep-list", "{d}/masks/keep.txt"], "--keep-list"),
    (["curate", "sample", "{d}", "--keep-list", "{d}/keep.txt"], "--keep-list"),
    (["curate", "merge", "{d}", "--out", "{d}/merged"], "--out"),
    (["curate", "stats", "{d}", "--plots", "{d}/plots"], "--plots"),
    (["export", "{d}", "--out", "{d}/masks"], "--out"),
    (["export", "{d}", "--out", "{d}"], "--out"),
    (["train", "{d}", "--out", "{d}/masks", "--epochs", "1", "--device", "cpu"], "--out"),
])
def test_commands_refuse_outputs_inside_the_source_dataset(dataset, args, option):
    before = tree_digest(dataset)
    result = _cli(*[a.format(d=dataset) for a in args])
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{option} is inside the source dataset {dataset.resolve()}, which irstlabel never modifies" in result.stderr
    assert tree_digest(dataset) == before


def test_a_symlink_leading_into_the_dataset_is_seen_through(dataset, tmp_path):
    (tmp_path / "innocent").symlink_to(dataset / "masks")
    before = tree_digest(dataset)
    result = _cli("curate", "split", str(dataset), "--out", str(tmp_path / "innocent"))
    assert result.returncode == 2 and "--out is inside the source dataset" in result.stderr
    assert tree_digest(dataset) == before


def test_the_project_folder_inside_the_dataset_is_allowed_only_where_it_belongs(dataset):
    Project.open(dataset).close()  # <dataset>/.irstlabel: the default place
    with pytest.raises(IrstlabelError, match="the project folder is inside the source dataset"):
        Project.open(dataset, dataset / "masks" / "project")
    assert not (dataset / "masks" / "project").exists()


def test_a_job_writing_into_the_dataset_is_refused_before_it_starts(dataset, tmp_path):
    before = tree_digest(dataset)
    spec = JobSpec("curate", str(dataset), str(tmp_path / "project"), {"step": "unify", "out": str(dataset / "u")})
    with pytest.raises(IrstlabelError, match="the job's out is inside the source dataset"):
        run_job(spec, lambda event: None, lambda: False)
    spec = JobSpec("evaluate", str(dataset), str(dataset / "images"), {"splits": ["all"]})
    with pytest.raises(IrstlabelError, match="the project folder is inside the source dataset"):
        run_job(spec, lambda event: None, lambda: False)
    assert tree_digest(dataset) == before


def test_outputs_beside_the_dataset_still_work(dataset, tmp_path):
    result = _cli("curate", "split", str(dataset), "--out", str(tmp_path / "splits"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "splits").iterdir()) == ["test.txt", "train.txt", "val.txt"]


def test_outputs_that_cannot_be_written_are_one_line(dataset, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args in (["curate", "split", str(dataset), "--out", str(blocker / "splits")],
                 ["curate", "unify", str(dataset), "--out", str(blocker), "--size", "32", "40"],
                 ["curate", "stats", str(dataset), "--plots", str(blocker / "plots")],
                 ["demo-data", str(blocker / "demo")]):
        result = _cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert str(blocker) in result.stderr


def test_a_failing_command_leaves_no_partial_output_and_a_rerun_works(dataset, tmp_path):
    broken = dataset / "images" / "frame_0003.png"
    good = broken.read_bytes()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    for args in (["curate", "unify", str(dataset), "--out", str(tmp_path / "u"), "--size", "32", "40"],
                 ["curate", "merge", str(dataset), "--out", str(tmp_path / "m")],
                 ["export", str(dataset), "--out", str(tmp_path / "e"), "--layout", "generic"]):
        result = _cli(*args)
        assert result.returncode == 2 and "frame_0003.png" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"], "partial output left behind"
    broken.write_bytes(good)
    assert _cli("curate", "unify", str(dataset), "--out", str(tmp_path / "u"), "--size", "32", "40").returncode == 0
    assert len(list((tmp_path / "u" / "images").iterdir())) == 3


def test_outputs_go_into_new_or_empty_folders_only(dataset, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.png").write_bytes(b"from an earlier run")
    result = _cli("curate", "unify", str(dataset), "--out", str(tmp_path / "used"), "--size", "32", "40")
    assert result.returncode == 2 and "output folder is not empty" in result.stderr
    (tmp_path / "empty").mkdir()
    assert _cli("export", str(dataset), "--out", str(tmp_path / "empty"), "--layout", "generic").returncode == 0
