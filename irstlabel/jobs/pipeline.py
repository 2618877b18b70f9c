"""Retraining on a project's current labels: train, then predict into the cache, then evaluate.

The same three jobs the GUI's Retrain button runs in worker processes; here
they run one after the other through any runner (in-process for the CLI), and
the results are registered in the project by the caller that holds it open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .spec import JobSpec


def train_spec_for(dataset: str, project: str, train_settings: dict) -> JobSpec:
    return JobSpec(kind="train", dataset=str(dataset), project=str(project), settings=train_settings)


def follow_up_specs(train_spec: JobSpec, train_result: dict, *, split: str = "test", first: str | None = None):
    """The predict and evaluate jobs that follow a finished training job."""
    name = train_result["name"]
    predict = JobSpec(kind="predict", dataset=train_spec.dataset, project=train_spec.project,
                      settings={"checkpoint": train_result["checkpoint"], "set": name, "first": first,
                                "device": train_spec.settings.get("train", {}).get("device", "auto")})
    evaluate = JobSpec(kind="evaluate", dataset=train_spec.dataset, project=train_spec.project,
                       settings={"set": name, "split": split})
    return predict, evaluate


def register_results(project, train_result: dict, evaluate_result: dict | None, predict_result: dict | None = None) -> None:
    """Record a finished retraining in the project (the caller holds it open for writing).

    The checkpoint's metrics keep the test figures and, when known, the
    prediction speed (frames per second over the dataset, on the job's device).
    """
    name = train_result["name"]
    metrics = {} if evaluate_result is None else evaluate_result["metrics"]
    recorded = {"test": {k: metrics.get(k) for k in ("pixel", "target", "legacy")}}
    if predict_result is not None and "fps" in predict_result:
        recorded["fps"] = predict_result["fps"]
    project.register_checkpoint(name, train_result["checkpoint"], config=train_result.get("model"), metrics=recorded)
    project.register_prediction_set(name, "checkpoint", train_result["checkpoint"])
    if evaluate_result is not None:
        project.add_evaluation(name, evaluate_result["split"], {**metrics, "per_frame": evaluate_result["per_frame"]})


def review_spec(train_spec: JobSpec, train_result: dict) -> JobSpec:
    """An evaluation over every frame: per-frame misses and false alarms for sorting the frame list."""
    return JobSpec(kind="evaluate", dataset=train_spec.dataset, project=train_spec.project,
                   settings={"set": train_result["name"], "split": "all"})


def run_retrain(project, train_settings: dict, run: Callable[[JobSpec], dict]) -> dict:
    """Train, predict, evaluate with `run(spec) -> result`; register; return all three results."""
    train_spec = train_spec_for(str(project.dataset.root), str(project.folder), train_settings)
    trained = run(train_spec)
    if trained.get("status") != "finished":
        return {"train": trained}
    predict, evaluate = follow_up_specs(train_spec, trained)
    predicted = run(predict)
    evaluated = run(evaluate)
    register_results(project, trained, evaluated, predicted)
    reviewed = run(review_spec(train_spec, trained))
    project.add_evaluation(trained["name"], "all", {**reviewed["metrics"], "per_frame": reviewed["per_frame"]})
    return {"train": trained, "predict": predicted, "evaluate": evaluated, "checkpoint": trained["checkpoint"],
            "run_dir": str(Path(trained["run_dir"]))}
