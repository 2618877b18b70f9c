"""Retraining on a project's current labels, declared once: train -> predict -> evaluate -> compare -> adopt.

:class:`RetrainPipeline` knows the steps and what each needs from the ones
before; it does not run anything. The CLI drives it in a loop with jobs run
in-process (:func:`run_retrain`); the GUI drives it from job events, one
worker process per step. Either way the same specs run and the same results
are recorded, by the one writer of job results (:mod:`.registry`), so the
table, the store and the CLI show the same numbers.

One evaluation pass scores both the held-out frames of the plan (the figures
of the Results table) and every frame (per-frame misses and false alarms that
sort the frame list). The model the project used before (its default set, or
the shipped starter) is scored on the same held-out frames, and the new model
becomes the default only when its held-out score (the sweep's selection: the
mean of F1-T, IoU and nIoU) is at least the previous one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import registry
from .spec import JobSpec

__all__ = ["Step", "RetrainPipeline", "run_retrain", "SUMMARY_FIGURES", "previous_model", "held_out_score"]

# (group, key, label) of the figures the end-of-retrain summary compares
SUMMARY_FIGURES = (("target", "f1", "F1-T"), ("target", "pd", "Pd"), ("target", "pa", "Pa"),
                   ("pixel", "iou", "IoU"), ("pixel", "niou", "nIoU"))


def held_out_score(metrics: dict) -> float:
    """The adoption score: the mean of F1-T, IoU and nIoU (what the inference sweep selects by)."""
    return (metrics["target"]["f1"] + metrics["pixel"]["iou"] + metrics["pixel"]["niou"]) / 3


def previous_model(project) -> dict | None:
    """The model in use now, as ``{"set", "checkpoint"}``: the default set if a model made it, else the newest
    model's set, else the shipped starter (None when there is none)."""
    from ..core.models.starter import STARTER_NAME, starter_available

    models = {s["name"]: s["source"] for s in project.registry.prediction_sets() if s["kind"] == "checkpoint"}
    default = project.registry.default_prediction_set()
    if default in models:
        return {"set": default, "checkpoint": STARTER_NAME if default == STARTER_NAME else models[default]}
    if models:
        name = list(models)[-1]
        return {"set": name, "checkpoint": STARTER_NAME if name == STARTER_NAME else models[name]}
    return {"set": STARTER_NAME, "checkpoint": STARTER_NAME} if starter_available() else None


STAGE_NAMES = {"training": "training", "predicting": "predicting the frames",
               "evaluating": "evaluating", "baseline_predicting": "predicting the held-out frames with the model in use",
               "baseline_evaluating": "scoring the model in use"}


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
        The train job's settings (see :mod:`irstlabel.jobs.runner`), with the plan's frames.
    first : sequence of str
        Frames to predict before the rest (the one on screen, then its neighbours).
    previous : dict, optional
        The model in use before this run (:func:`previous_model`): scored on the same held-out frames.
    """

    STAGES = ("training", "predicting", "evaluating", "baseline_predicting", "baseline_evaluating")

    def __init__(self, dataset: str, project: str, train_settings: dict, *, first=(), previous: dict | None = None):
        self.dataset, self.project = str(dataset), str(project)
        self.train_settings, self.first, self.previous = train_settings, list(first), previous
        self.results: dict[str, dict] = {}
        self.status = "running"  # running, finished, cancelled
        self.adopted: bool | None = None

    # --- what runs next -----------------------------------------------------------------

    def next_step(self) -> Step | None:
        """The next job to run, or None when the pipeline is over."""
        if self.status != "running":
            return None
        for stage in self.STAGES:
            if stage not in self.results:
                step = getattr(self, f"_{stage}_step")()
                if step is not None:
                    return step
                self.results[stage] = {"status": "skipped"}
        return None

    def _spec(self, kind: str, settings: dict) -> JobSpec:
        return JobSpec(kind=kind, dataset=self.dataset, project=self.project, settings=settings)

    @property
    def _device(self) -> str:
        return self.train_settings.get("train", {}).get("device", "auto")

    @property
    def held_out(self) -> dict:
        """The plan's held-out frames, as an evaluate job's split: ``{"split": label, "frames": ids}``."""
        trained = self.results["training"]
        return {"split": trained.get("plan", {}).get("test_label", "test"), "frames": trained.get("test", [])}

    def _training_step(self) -> Step:
        return Step("training", self._spec("train", self.train_settings), 10)

    def _predicting_step(self) -> Step:
        trained = self.results["training"]
        settings = {"checkpoint": trained["checkpoint"], "set": self.name, "first": self.first, "device": self._device}
        return Step("predicting", self._spec("predict", settings), 0)  # jumps the queue: the user waits for it

    def _evaluating_step(self) -> Step:
        splits = ([self.held_out] if self.held_out["frames"] else []) + ["all"]
        return Step("evaluating", self._spec("evaluate", {"set": self.name, "splits": splits}), 5)

    def _baseline_predicting_step(self) -> Step | None:
        if not self._compares:
            return None
        settings = {"checkpoint": self.previous["checkpoint"], "set": self.previous["set"],
                    "frames": self.held_out["frames"], "resume": True, "device": self._device}
        return Step("baseline_predicting", self._spec("predict", settings), 5)

    def _baseline_evaluating_step(self) -> Step | None:
        if not self._compares:
            return None
        return Step("baseline_evaluating", self._spec("evaluate", {"set": self.previous["set"],
                                                                    "splits": [self.held_out]}), 5)

    @property
    def _compares(self) -> bool:
        return bool(self.previous and self.held_out["frames"] and self.previous["set"] != self.name)

    # --- what results become ------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The prediction set and checkpoint name of this run, once trained."""
        trained = self.results.get("training")
        return None if trained is None else trained["name"]

    def _pin_previous(self, project) -> None:
        """The model in use stays the default while the new set appears (the default is otherwise the newest set)."""
        if self.previous and self.previous["set"] in {s["name"] for s in project.registry.prediction_sets()}:
            registry.make_default(project, self.previous["set"])

    def record(self, step: Step, result: dict, project) -> None:
        """Take a finished step's result (already recorded by :func:`.registry.record_result`); the last one
        records the run's verdict in `project`.

        `project` is held open for writing by the caller (the GUI or the CLI).
        """
        if (result or {}).get("status") == "cancelled":
            self.status = "cancelled"
            return
        self.results[step.stage] = result
        if step.stage == "training":
            self._pin_previous(project)
        if self.next_step() is None and self.status == "running":
            self._register(project)
            self.status = "finished"

    def _register(self, project) -> None:
        trained, predicted = self.results["training"], self.results["predicting"]
        held_out = self._held_out_evaluation()
        recorded = {"test": None if held_out is None else {k: held_out["metrics"].get(k) for k in ("pixel", "target", "legacy")},
                    "split": None if held_out is None else held_out["split"],
                    "parameters": trained.get("parameters"), "fps": predicted.get("fps"),
                    "device": predicted.get("device")}
        baseline = self._baseline_evaluation()
        self.adopted = baseline is None or held_out is None or \
            held_out_score(held_out["metrics"]) >= held_out_score(baseline["metrics"])
        registry.record_retrain(project, name=self.name, trained=trained, metrics=recorded,
                                default=self.name if self.adopted else self.previous["set"])

    def salvage(self, project, stage: str, error: str) -> str | None:
        """A step after training failed: keep the trained model in the registry; returns what to tell the user.

        The checkpoint is registered (without figures) so nothing trained is lost;
        the default model does not change.
        """
        trained = self.results.get("training")
        self.status = "failed"
        if trained is None or trained.get("status") != "finished":
            return None
        registry.record_salvaged(project, name=self.name, trained=trained, stage=stage, error=error)
        return (f"{self.name} was trained and kept ({trained['checkpoint']}), but {STAGE_NAMES.get(stage, stage)} failed; "
                "the model in use stays the default")

    def _held_out_evaluation(self) -> dict | None:
        evaluations = self.results["evaluating"]["evaluations"]
        return evaluations[0] if self.held_out["frames"] else None

    def _baseline_evaluation(self) -> dict | None:
        result = self.results.get("baseline_evaluating") or {}
        return (result.get("evaluations") or [None])[0]

    def summary(self) -> dict:
        """What the run did, each figure before -> after on the held-out frames, and whether it was adopted."""
        if self.status != "finished":
            return {"status": self.status, "stage": next((s for s in self.STAGES if s not in self.results), None)}
        held_out, baseline = self._held_out_evaluation(), self._baseline_evaluation()
        lines = []
        if held_out is not None:
            for group, key, label in SUMMARY_FIGURES:
                value = held_out["metrics"][group][key]
                if baseline is not None:
                    before = baseline["metrics"][group][key]
                    word = "better" if value > before else "worse" if value < before else "same"
                    lines.append(f"{label} {100 * before:.2f} -> {100 * value:.2f} ({word})")
                else:
                    lines.append(f"{label} {100 * value:.2f}")
        trained = self.results["training"]
        out = {"status": "finished", "name": self.name, "checkpoint": trained["checkpoint"],
               "run_dir": trained["run_dir"], "split": None if held_out is None else held_out["split"],
               "lines": lines, "test": None if held_out is None else held_out["metrics"],
               "adopted": self.adopted, "previous": None if self.previous is None else self.previous["set"],
               "score": None if held_out is None else held_out_score(held_out["metrics"]),
               "previous_score": None if baseline is None else held_out_score(baseline["metrics"]),
               "counts": trained.get("plan", {}).get("counts"),
               "stopped_because": trained.get("summary", {}).get("stopped_because"),
               "inference_error": trained.get("summary", {}).get("inference_error")}
        out["verdict"] = verdict(out)
        return out


def verdict(summary: dict) -> str:
    """One sentence: which model is now the default, and the two held-out scores behind it (each the mean of
    F1-T, IoU and nIoU: :func:`held_out_score`)."""
    new, old = summary.get("score"), summary.get("previous_score")
    if new is None:
        return f"{summary['name']} is now the default model (no held-out frames to compare it on)"
    if old is None:
        return f"{summary['name']} is now the default model (held-out score {100 * new:.2f})"
    figures = f"held-out score {100 * old:.2f} -> {100 * new:.2f}"
    if summary["adopted"]:
        return f"{summary['name']} is now the default model ({figures})"
    return f"{summary['name']} scored worse than {summary['previous']}, which stays the default ({figures})"


def run_retrain(project, train_settings: dict, run: Callable[[JobSpec], dict]) -> dict:
    """Run every step with ``run(spec) -> result`` (in-process for the CLI); returns the summary."""
    pipeline = RetrainPipeline(str(project.dataset.root), str(project.folder), train_settings,
                               previous=previous_model(project))
    while (step := pipeline.next_step()) is not None:
        try:
            result = run(step.spec)
        except Exception as exc:  # a late failure keeps the trained model, then is reported as it was
            kept = pipeline.salvage(project, step.stage, str(exc))
            if kept is not None:
                import sys

                print(f"irstlabel: {kept}", file=sys.stderr)
            raise
        registry.record_result(project, step.spec, result)
        pipeline.record(step, result, project)
    return pipeline.summary()
