"""Adoption: a retrained model becomes the default only when its held-out score is at least the model in use's;
a step that fails after training keeps the trained model."""

from __future__ import annotations

import pytest

from irstlabel.core.errors import IrstlabelError
from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.jobs.pipeline import held_out_score, run_retrain
from irstlabel.project.store import Project


def _metrics(f1, iou, niou):
    return {"target": {"f1": f1, "pd": f1, "pa": f1}, "pixel": {"iou": iou, "niou": niou}, "legacy": {}}


def _fake_jobs(new, old, *, fail_at=None):
    """Job results as the runner reports them; `new` and `old` are the held-out metrics of the two models."""
    def run(spec):
        kind, settings = spec.kind, spec.settings
        if kind == fail_at or (fail_at == "baseline" and kind == "predict" and settings.get("resume")):
            raise IrstlabelError(None, f"the {kind} job failed")
        if kind == "train":
            return {"status": "finished", "checkpoint": "/runs/r1/best.pt", "name": "run-1", "run_dir": "/runs/r1",
                    "model": {"channels": 16}, "parameters": 1, "plan": {"test_label": "test"}, "test": ["f1", "f2"],
                    "summary": {"stopped_because": "time budget"}}
        if kind == "predict":
            return {"status": "finished", "fps": 10.0, "device": "cpu"}
        metrics = new if settings["set"] == "run-1" else old
        evaluations = [{"split": s if isinstance(s, str) else s["split"], "metrics": metrics, "per_frame": []}
                       for s in settings["splits"]]
        return {"status": "finished", "evaluations": evaluations}
    return run


@pytest.fixture
def project(tmp_path):
    root = make_demo_dataset(tmp_path / "d", frames=3, size=(32, 40))
    with Project.open(root) as opened:
        opened.registry.register_prediction_set("before", "checkpoint", "/runs/r0/best.pt")
        opened.registry.register_checkpoint("before", "/runs/r0/best.pt")
        yield opened


@pytest.mark.parametrize("new, old, adopted", [
    (_metrics(0.9, 0.6, 0.6), _metrics(0.8, 0.5, 0.5), True),
    (_metrics(0.8, 0.5, 0.5), _metrics(0.8, 0.5, 0.5), True),  # at least as good
    (_metrics(0.9, 0.3, 0.3), _metrics(0.8, 0.5, 0.5), False),  # better F1-T, worse mean: kept out
])
def test_the_new_model_is_the_default_only_when_not_worse(project, new, old, adopted):
    summary = run_retrain(project, {"train": {}}, _fake_jobs(new, old))
    assert summary["adopted"] is adopted
    assert project.registry.default_prediction_set() == ("run-1" if adopted else "before")
    assert summary["score"] == pytest.approx(held_out_score(new))
    assert summary["previous_score"] == pytest.approx(held_out_score(old))
    assert ("stays the default" in summary["verdict"]) is not adopted
    sets = [e["prediction_set"] for e in project.registry.evaluations() if e["split"] == "test"]
    assert sets == ["run-1", "before"]  # both scored on the same held-out frames, both in the Results table


@pytest.mark.parametrize("stage", ["predict", "evaluate", "baseline"])
def test_a_step_failing_after_training_keeps_the_trained_model_and_the_default(project, stage, capsys):
    with pytest.raises(IrstlabelError, match="job failed"):
        run_retrain(project, {"train": {}}, _fake_jobs(_metrics(1, 1, 1), _metrics(0, 0, 0), fail_at=stage))
    kept = {c["name"]: c for c in project.registry.checkpoints()}
    assert kept["run-1"]["path"] == "/runs/r1/best.pt" and "failed_at" in kept["run-1"]["metrics"]
    assert project.registry.default_prediction_set() == "before"
    assert "run-1 was trained and kept" in capsys.readouterr().err
