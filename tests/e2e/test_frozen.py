"""The frozen one-folder app (PyInstaller): builds it, starts the GUI, runs a worker from it.

Slow (a build takes a few minutes and ~1.2 GB): kept out of the default run, run by .ci/run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.jobs.spec import JobSpec
from tests.helpers import strict_loads

REPO = Path(__file__).resolve().parents[2]
BINARY = REPO / "dist" / "irstlabel" / "irstlabel"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def frozen():
    if sys.platform != "linux":
        pytest.skip("the build is exercised on Linux")
    subprocess.run(["bash", "scripts/build_app.sh"], cwd=REPO, check=True, capture_output=True, timeout=1500)
    assert BINARY.exists()
    return BINARY


def test_frozen_app_answers_and_renders_the_demo(frozen, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "IRSTLABEL_DATA_DIR": str(tmp_path / "data")}
    version = subprocess.run([str(frozen), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("irstlabel ")
    shot = tmp_path / "shot.png"
    subprocess.run([str(frozen), "gui", "--screenshot", str(shot)], env=env, check=True, timeout=300)
    assert shot.stat().st_size > 10_000


def test_frozen_binary_runs_a_one_step_training_worker(frozen, tmp_path):
    dataset = make_demo_dataset(tmp_path / "d", frames=4, size=(48, 64), seed=1)
    (dataset / ".irstlabel").mkdir()
    spec = JobSpec(kind="train", dataset=str(dataset), project=str(dataset / ".irstlabel"), settings={
        "model": {"name": "ispanet", "channels": 16},
        "train": {"epochs": 1, "batch": 2, "size": [48, 64], "workers": 0, "device": "cpu", "max_steps": 1}})
    job = spec.write(tmp_path / "job.json")
    result = subprocess.run([str(frozen), "worker", str(job)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    events = [strict_loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["event"] == "result" and events[-1]["result"]["status"] == "finished"
    assert Path(events[-1]["result"]["checkpoint"]).exists()
