"""Worker job files are checked against a schema: a malformed one is a user error (exit 2), never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from irstlabel.core.errors import IrstlabelError
from irstlabel.jobs.spec import JobSpec
from tests.helpers import strict_loads

GOOD = {"kind": "evaluate", "dataset": "/data", "project": "/data/.irstlabel", "settings": {"set": "s"}}


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a job file"),
    ("[" * 100_000 + "]" * 100_000, "not a job file"),
    (json.dumps([1, 2]), "not a job file (keys must be"),
    (json.dumps({**GOOD, "extra": 1}), "not a job file (keys must be"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "dataset"}), "not a job file (keys must be"),
    (json.dumps({**GOOD, "kind": 7}), "unknown job kind 7"),
    (json.dumps({**GOOD, "dataset": ["a"]}), "job dataset must be a non-empty string"),
    (json.dumps({**GOOD, "settings": "fast"}), "job settings must be a mapping, got str"),
    (json.dumps({**GOOD, "settings": {"set": "s", "treshold": 0.5}}), "unknown setting(s) for a evaluate job: treshold"),
    (json.dumps({**GOOD, "settings": {"set": 3}}), "evaluate job setting 'set' must be str, got int"),
    (json.dumps({**GOOD, "kind": "curate", "settings": {"step": "dedup", "threshold": True}}),
     "curate job setting 'threshold' must be int/float/null, got bool"),
])
def test_malformed_job_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "job.json"
    path.write_text(content)
    with pytest.raises(IrstlabelError) as caught:
        JobSpec.read(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value), str(caught.value)


def test_unknown_training_fields_are_refused_not_ignored():
    from irstlabel.model.train import TrainConfig

    with pytest.raises(IrstlabelError, match="unknown training settings: epoch; known: "):
        TrainConfig.from_dict({"epoch": 3})
    with pytest.raises(IrstlabelError, match="wrong type"):
        TrainConfig.from_dict({"epochs": "3"})


def test_the_worker_reports_a_bad_job_file_as_a_user_error(tmp_path):
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "bad.json").write_text(json.dumps({**GOOD, "settings": {"oops": 1}}))
    for job in ("folder.json", "bad.json"):
        result = subprocess.run([sys.executable, "-m", "irstlabel", "worker", str(tmp_path / job)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        event = strict_loads(result.stdout.strip().splitlines()[-1])
        assert event["event"] == "error" and event["user_error"] and str(tmp_path / job) in event["message"]
