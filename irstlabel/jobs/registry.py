"""The one writer of job results into a project's registry (checkpoints, prediction sets, evaluations, the default).

Wherever a job runs -- a worker process under the GUI, in-process for the
CLI, a step of a retraining, the starter's background predictions -- what it
made enters the project here and nowhere else:

* a ``train`` job's checkpoint (config, no figures yet);
* a ``predict`` job's set, as soon as its first frames are published
  (:func:`record_frames_ready`) and again when it ends;
* an ``import`` job's set (kind ``folder``);
* an ``evaluate`` job's evaluations, one per split.

A retraining adds its verdict (:func:`record_retrain`): the checkpoint's
held-out figures and which set is the default. Views only react to events.
The project passed in is the one held open for writing (the GUI's or the
CLI's); every write is one SQLite transaction.
"""

from __future__ import annotations

from ..core.models.starter import STARTER_NAME
from .spec import JobSpec

__all__ = ["record_result", "record_frames_ready", "record_evaluation", "record_retrain", "record_salvaged",
           "make_default", "set_source"]


def set_source(checkpoint: str) -> str:
    """What a prediction set made by `checkpoint` records as its source (the starter by its file)."""
    if checkpoint == STARTER_NAME:
        from ..core.models.starter import starter_path

        return str(starter_path())
    return str(checkpoint)


def record_frames_ready(project, spec: JobSpec, set_name: str) -> None:
    """A predict job published its first frames: its set is visible (registered) from now on."""
    project.registry.register_prediction_set(set_name, "checkpoint", set_source(spec.settings["checkpoint"]))


def record_result(project, spec: JobSpec, result: dict | None) -> None:
    """Record what a finished job made (nothing for jobs that make no registry entry)."""
    if not result or result.get("status") not in (None, "finished"):
        return
    set_name = result.get("set") or spec.settings.get("set")
    if spec.kind == "train" and result.get("checkpoint"):
        project.registry.register_checkpoint(result["name"], result["checkpoint"], config=result.get("model"))
    elif spec.kind == "predict":
        record_frames_ready(project, spec, set_name)
    elif spec.kind == "import":
        project.registry.register_prediction_set(set_name, "folder", result.get("folder") or spec.settings["folder"])
    elif spec.kind == "evaluate":
        for evaluation in result["evaluations"]:
            record_evaluation(project, set_name, evaluation)


def record_evaluation(project, prediction_set: str, evaluation: dict) -> None:
    """Store one split's evaluation (as an evaluate job reports it)."""
    project.registry.add_evaluation(prediction_set, evaluation["split"],
                           {**evaluation["metrics"], "per_frame": evaluation["per_frame"]})


def record_retrain(project, *, name: str, trained: dict, metrics: dict, default: str) -> None:
    """A retraining's verdict: the checkpoint with its held-out figures, and the default set."""
    project.registry.register_checkpoint(name, trained["checkpoint"], config=trained.get("model"), metrics=metrics)
    make_default(project, default)


def record_salvaged(project, *, name: str, trained: dict, stage: str, error: str) -> None:
    """A retraining failed after training: its checkpoint stays registered, with why it has no figures."""
    project.registry.register_checkpoint(name, trained["checkpoint"], config=trained.get("model"),
                                metrics={"failed_at": stage, "error": error.splitlines()[0] if error else ""})


def make_default(project, name: str) -> None:
    """`name` becomes the set Shift+A, the overlay and review use (a retrain's verdict, or the user's switch)."""
    project.registry.set_default_prediction_set(name)
