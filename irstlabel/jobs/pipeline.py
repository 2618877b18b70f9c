"""Retraining on a project's current labels, declared once: train -> predict -> evaluate -> register.

:class:`RetrainPipeline` knows the steps and what each needs from the ones
before; it does not run anything. The CLI drives it in a loop with jobs run
in-process (:func:`run_retrain`); the GUI drives it from job events, one
worker process per step. Either way the same specs run and the same results
are registered, so the table, the store and the CLI show the same numbers.

One evaluation pass scores both the held-out split (the figures of the
Results table) and every frame (per-frame misses and false alarms that sort
the frame list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .spec import JobSpec

__all__ = ["Step", "RetrainPipeline", "run_retrain", "register_evaluation", "latest_test_metrics", "SUMMARY_FIGURES"]

# (group, key, label) of the figures the end-of-retrain summary compares
SUMMARY_FIGURES = (("target", "f1", "F1-T"), ("target", "pd", "Pd"), ("target", "pa", "Pa"),
                   ("pixel", "iou", "IoU"), ("pixel", "niou", "nIoU"))


@dataclass(frozen=True)
class Step:
    """One job of the pipeline: the stage it is, the spec to run, its queue priority (lower first)."""

    stage: str
    spec: JobSpec
    priority: int


class RetrainPipeline:
    """The retraining steps of one run, and what their results become in the project.

    Parameters
    ----------
    dataset, project : str
        The dataset folder and the project folder.
    train_settings : dict
        The train job's settings (see :mod:`irstlabel.jobs.runner`).
    first : sequence of str
        Frames to predict before the rest (the one on screen, then its neighbours).
    previous : dict, optional
        Test metrics of the model before this run, for the summary's "better / worse".
    """

    STAGES = ("training", "predicting", "evaluating")

    def __init__(self, dataset: str, project: str, train_settings: dict, *, first=(), previous: dict | None = None,
                 split: str = "test"):
        self.dataset, self.project = str(dataset), str(project)
        self.train_settings, self.first, self.previous, self.split = train_settings, list(first), previous, split
        self.results: dict[str, dict] = {}
        self.status = "running"  # running, finished, cancelled

    # --- what runs next -----------------------------------------------------------------

    def next_step(self) -> Step | None:
        """The next job to run, or None when the pipeline is over."""
        if self.status != "running":
            return None
        stage = next((s for s in self.STAGES if s not in self.results), None)
        if stage is None:
            return None
        return getattr(self, f"_{stage}_step")()

    def _spec(self, kind: str, settings: dict) -> JobSpec:
        return JobSpec(kind=kind, dataset=self.dataset, project=self.project, settings=settings)

    def _training_step(self) -> Step:
        return Step("training", self._spec("train", self.train_settings), 10)

    def _predicting_step(self) -> Step:
        trained = self.results["training"]
        device = self.train_settings.get("train", {}).get("device", "auto")
        settings = {"checkpoint": trained["checkpoint"], "set": self.name, "first": self.first, "device": device}
        return Step("predicting", self._spec("predict", settings), 0)  # jumps the queue: the user waits for it

    def _evaluating_step(self) -> Step:
        return Step("evaluating", self._spec("evaluate", {"set": self.name, "splits": [self.split, "all"]}), 5)

    # --- what results become ------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The prediction set and checkpoint name of this run, once trained."""
        trained = self.results.get("training")
        return None if trained is None else trained["name"]

    def frames_ready(self, project) -> None:
        """The predict job published its first frames: make the set visible (registered) now."""
        project.register_prediction_set(self.name, "checkpoint", self.results["training"]["checkpoint"])

    def record(self, step: Step, result: dict, project) -> None:
        """Take a finished step's result; the last one registers everything in `project`.

        `project` is held open for writing by the caller (the GUI or the CLI).
        """
        if (result or {}).get("status") == "cancelled":
            self.status = "cancelled"
            return
        self.results[step.stage] = result
        if step.stage == "predicting":
            self.frames_ready(project)
        if step.stage == "evaluating":
            self._register(project)
            self.status = "finished"

    def _register(self, project) -> None:
        trained, predicted, evaluated = (self.results[s] for s in self.STAGES)
        test = evaluated["evaluations"][0]
        recorded = {"test": {k: test["metrics"].get(k) for k in ("pixel", "target", "legacy")},
                    "parameters": trained.get("parameters"), "fps": predicted.get("fps"),
                    "device": predicted.get("device")}
        project.register_checkpoint(self.name, trained["checkpoint"], config=trained.get("model"), metrics=recorded)
        for evaluation in evaluated["evaluations"]:
            register_evaluation(project, self.name, evaluation)

    def summary(self) -> dict:
        """What the run did, and each figure before -> after on the held-out split."""
        if self.status != "finished":
            return {"status": self.status, "stage": next((s for s in self.STAGES if s not in self.results), None)}
        test = self.results["evaluating"]["evaluations"][0]
        lines = []
        for group, key, label in SUMMARY_FIGURES:
            value = test["metrics"][group][key]
            if self.previous:
                before = self.previous[group][key]
                word = "better" if value > before else "worse" if value < before else "same"
                lines.append(f"{label} {100 * before:.2f} -> {100 * value:.2f} ({word})")
            else:
                lines.append(f"{label} {100 * value:.2f}")
        return {"status": "finished", "name": self.name, "checkpoint": self.results["training"]["checkpoint"],
                "run_dir": self.results["training"]["run_dir"], "split": test["split"], "lines": lines,
                "test": test["metrics"]}


def register_evaluation(project, prediction_set: str, evaluation: dict) -> None:
    """Store one split's evaluation (as an evaluate job reports it) in the project."""
    project.add_evaluation(prediction_set, evaluation["split"],
                           {**evaluation["metrics"], "per_frame": evaluation["per_frame"]})


def latest_test_metrics(project) -> dict | None:
    """The newest held-out (not all-frames) evaluation's metrics, the "before" of a retrain."""
    for evaluation in reversed(project.evaluations()):
        if evaluation["split"] != "all":
            return evaluation["result"]
    return None


def run_retrain(project, train_settings: dict, run: Callable[[JobSpec], dict]) -> dict:
    """Run every step with ``run(spec) -> result`` (in-process for the CLI); returns the summary."""
    pipeline = RetrainPipeline(str(project.dataset.root), str(project.folder), train_settings,
                               previous=latest_test_metrics(project))
    while (step := pipeline.next_step()) is not None:
        pipeline.record(step, run(step.spec), project)
    return pipeline.summary()
