"""Running a job in the current process, reporting through plain callbacks.

The worker process and the CLI both call :func:`run_job`. Settings per kind:

``train``
    ``model`` (``name``, ``channels``, ``variant``), ``train`` (TrainConfig
    fields), ``init_checkpoint`` (fine-tune from it), ``run_dir`` (default
    ``<project>/runs/<job_id>``), ``plan`` (the frames, from
    :func:`irstlabel.jobs.plan.plan_training`; made here when absent, with
    ``train_on_test``, ``train_split`` and ``val_split``). The plan is
    written to ``split.json`` in the run folder.
``predict``
    ``checkpoint``, ``set`` (cache name), ``frames`` (default all), ``first``
    (a frame id or a list: the one on screen, then its neighbours, done
    first and published to the cache before the rest: a ``frames_ready``
    event says when), ``device``, ``size`` (default: the checkpoint's),
    ``resume`` (keep the frames the set holds, predict only the others,
    publish every few seconds, keep what is done when cancelled, and pass
    unreadable frames by: how the GUI fills the starter model's set on demand). ``checkpoint`` may be
    ``"starter"``: the shipped starter model.
``evaluate``
    ``set`` (a cached prediction set), ``splits`` (a list, default
    ``["test"]``; ``split`` names one), ``options`` (MetricOptions fields).
    One pass over the frames scores every split; the result holds one
    ``evaluations`` entry per split, in order. A split is a name or
    ``{"split": label, "frames": ids}`` (the retraining plan's held-out
    frames). "test" on a dataset without a test split is the plan's
    held-out part.
``propose``
    ``frames`` (default all), ``set`` (default ``canny``): a Canny proposal
    for every target of the current masks, written to the cache.
``import``
    ``folder`` of masks or probability maps from another method, ``set``:
    written to the cache so it can be reviewed beside ISPANet.
``curate``
    ``step``: ``unify`` (``out``, ``size``, ``method``), ``dedup``
    (``threshold``, else the paper's rule), ``stats`` (``plots`` folder), on
    the dataset (never modified: results go to new folders or the result).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.errors import IrstlabelError
from .locks import TrainingLock
from .sources import ProjectPairs
from .spec import JobSpec

Emit = Callable[[dict], None]


def run_job(spec: JobSpec, emit: Emit, should_stop: Callable[[], bool]) -> dict:
    """Run `spec`; returns its result (a JSON-able dict). Progress goes to `emit`."""
    handler = {"train": _train, "predict": _predict, "evaluate": _evaluate, "propose": _propose,
               "import": _import, "curate": _curate}[spec.kind]
    _refuse_outputs_inside_the_dataset(spec)
    return handler(spec, emit, should_stop)


def _refuse_outputs_inside_the_dataset(spec: JobSpec) -> None:
    """Every place a job writes (project, run folder, curation outputs) lies outside the source dataset."""
    from ..core.io.paths import refuse_inside

    refuse_inside(spec.project, spec.dataset, what="the project folder")
    for key in ("run_dir", "out", "plots"):
        if spec.settings.get(key):
            refuse_inside(spec.settings[key], spec.dataset, what=f"the job's {key}")


def _progress(emit: Emit, step: int, total: int, message: str = "", **metrics) -> None:
    emit({"event": "progress", "step": step, "total": total, "message": message, "metrics": metrics})


def _train(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.io.jsonio import to_json
    from ..model.factory import model_config
    from ..model.train import TrainConfig, train
    from .plan import plan_training

    settings = spec.settings
    model = dict(settings.get("model", {}))
    try:
        config = model_config(model.pop("name", "ispanet"), **model)
    except ValueError as exc:
        raise IrstlabelError(None, str(exc)) from None
    train_config = TrainConfig.from_dict(settings.get("train", {}))
    source = ProjectPairs(spec.dataset, spec.project)
    plan = settings.get("plan") or plan_training(
        source, seed=train_config.seed, train_on_test=bool(settings.get("train_on_test")),
        train_split=settings.get("train_split"), val_split=settings.get("val_split")).to_dict()
    train_ids, val_ids = list(plan["train"]), list(plan["val"])
    if not train_ids:
        raise IrstlabelError(spec.dataset, plan.get("problem") or "no labelled frame to train on")
    run_dir = Path(settings.get("run_dir") or Path(spec.project) / "runs" / spec.job_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "split.json").write_text(to_json(plan, indent=2))  # which frames trained: readable by anyone
    steps_total = {"value": 0}

    def relay(event: dict) -> None:
        if event["event"] == "started":
            steps_total["value"] = event["epochs"] * event["steps_per_epoch"]
            emit({"event": "log", "message": f"training on {event['device']}: {plan.get('counts') or ''}"})
        elif event["event"] == "step":
            done = (event["epoch"] - 1) * event["steps"] + event["step"]
            total, message = steps_total["value"], f"epoch {event['epoch']}, step {event['step']}/{event['steps']}"
            if train_config.minutes is not None:  # a time budget: progress is the share of it spent
                done, total = int(event.get("elapsed", 0)), int(60 * train_config.minutes)
                message = f"epoch {event['epoch']}, {done // 60}:{done % 60:02d} of {train_config.minutes:g} min"
            _progress(emit, min(done, total), total, message, loss=event["loss"], lr=event["lr"])
        elif event["event"] == "epoch":
            emit({"event": "epoch", "epoch": event["epoch"], "epochs": event["epochs"], "metrics": event["metrics"]})
        elif event["event"] == "sweep":
            if event["step"] == 1:  # a stage of its own: the bar must not sit at "training 100%" meanwhile
                emit({"event": "stage", "stage": "choosing_inference"})
            _progress(emit, event["step"], event["steps"], "choosing the inference scale on validation frames")
        elif event["event"] == "log":
            emit(event)

    with TrainingLock(spec.project):
        summary = train(config, train_config, source, train_ids, val_ids, run_dir, on_event=relay,
                        should_stop=should_stop, init_checkpoint=settings.get("init_checkpoint"))
    return {"status": summary["status"], "checkpoint": summary["best"], "last": summary["last"],
            "name": settings.get("name") or f"run-{spec.job_id}", "run_dir": str(run_dir),
            "model": config.to_dict(), "train": train_config.to_dict(), "parameters": summary["parameters"],
            "summary": summary, "plan": {k: plan[k] for k in ("test_label", "counts", "trains_on_test") if k in plan},
            "test": list(plan.get("test", []))}


def _frames_in_order(all_ids, frames, first) -> tuple[list[str], int]:
    """(the frames to do, how many lead): `first` (an id or a list of ids) at the front, in its order."""
    ids = list(frames) if frames else list(all_ids)
    known = set(ids)
    front = [f for f in dict.fromkeys([first] if isinstance(first, str) else first or []) if f in known]
    lead = set(front)
    return front + [frame_id for frame_id in ids if frame_id not in lead], len(front)


PUBLISH_EVERY = 5.0  # seconds between publications of a resumable run


def _predict(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..model.predict import Predictor
    from ..project.cache import PredictionCache

    settings = spec.settings
    predictor = Predictor.from_checkpoint(settings["checkpoint"], device=settings.get("device", "auto"),
                                          size=settings.get("size", "checkpoint"))
    source = ProjectPairs(spec.dataset, spec.project)
    ids, lead = _frames_in_order(source.frame_ids, settings.get("frames"), settings.get("first"))
    name = settings.get("set") or Path(settings["checkpoint"]).stem
    resume = bool(settings.get("resume"))
    cache = PredictionCache(Path(spec.project) / "predictions")
    started = time.perf_counter()
    with cache.writer(name, keep_existing=resume, checkpoint=str(settings["checkpoint"]),
                      threshold=predictor.threshold) as writer:
        if writer.kept:
            lead -= sum(1 for frame_id in ids[:lead] if frame_id in writer.kept)
            ids = [frame_id for frame_id in ids if frame_id not in writer.kept]
        publish_at = {1, lead} - {0, len(ids)}  # the frame on screen, then its neighbours, as soon as done
        published, skipped = time.perf_counter(), []
        for k, frame_id in enumerate(ids, 1):
            if should_stop():
                if resume and k > 1:
                    writer.publish()  # what is done stays done
                raise JobCancelled()
            try:
                frame = source.read_frame(frame_id)
            except IrstlabelError:
                if not resume:
                    raise
                skipped.append(frame_id)  # as the GUI passes unreadable frames by, the starter's fill does
                continue
            writer.write(frame_id, predictor(frame))
            if k in publish_at or (resume and time.perf_counter() - published > PUBLISH_EVERY):
                writer.publish()
                published = time.perf_counter()
                emit({"event": "frames_ready", "set": name, "frames": ids[:k]})
            _progress(emit, k, len(ids), frame_id)
    seconds = time.perf_counter() - started
    emit({"event": "frames_ready", "set": name, "frames": ids})
    done = len(ids) - len(skipped)
    return {"status": "finished", "set": name, "frames": done, "fps": done / max(seconds, 1e-9),
            "device": str(predictor.device), "backend": predictor.backend, "threads": predictor.threads,
            "inference": predictor.settings.to_dict(),
            "skipped": skipped,
            "size": None if predictor.size is None else list(predictor.size)}


def _evaluation_splits(source, names: list, seed: int) -> list[tuple[str, list[str]]]:
    """(label, frame ids) per asked split: a split's name, or ``{"split": label, "frames": ids}``.

    "test" on a dataset without a test split is the held-out part of the
    retraining plan (:func:`irstlabel.jobs.plan.plan_training`): the frames
    training never saw.
    """
    out = []
    for name in names:
        if isinstance(name, dict):
            out.append((str(name["split"]), list(name["frames"])))
            continue
        try:
            out.append((name, list(source.dataset.split(name))))
        except IrstlabelError:
            if name != "test":
                raise
            from .plan import plan_training

            plan = plan_training(source, seed=seed)
            out.append((plan.test_label, list(plan.test)))
    return out


def _evaluate(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.metrics.evaluation import Evaluator, MetricOptions, count_frame
    from ..project.cache import PredictionCache

    settings = spec.settings
    name = settings["set"]
    source = ProjectPairs(spec.dataset, spec.project)
    splits = _evaluation_splits(source, list(settings.get("splits") or [settings.get("split", "test")]),
                                settings.get("seed", 0))
    cache = PredictionCache(Path(spec.project) / "predictions")
    # the set's model threshold unless the job names one: the Results row equals `irstlabel evaluate`
    options = MetricOptions(**{"threshold": cache.threshold(name), **settings.get("options", {})})
    ids = list(dict.fromkeys(frame_id for _, split_ids in splits for frame_id in split_ids))
    counts, missing = {}, []
    for k, frame_id in enumerate(ids, 1):  # each frame is read and counted once, whatever the splits
        if should_stop():
            raise JobCancelled()
        mask = source.read_mask(frame_id)
        levels = cache.read_levels(name, frame_id, shape=mask.shape)
        if levels is None:
            missing.append(frame_id)
            continue
        counts[frame_id] = count_frame(mask, levels, options, frame_id=frame_id)
        _progress(emit, k, len(ids), frame_id)
    if missing:
        raise IrstlabelError(cache.path_of(name), f"no cached prediction for {len(missing)} frame(s), e.g. '{missing[0]}'")
    evaluations = []
    for label, split_ids in splits:
        evaluator = Evaluator(options)
        for frame_id in split_ids:  # in the split's own order: per-frame lists read as a separate pass's
            evaluator.add_counts(counts[frame_id])
        evaluations.append(_evaluation(label, evaluator.result()))
    return {"status": "finished", "set": name, "evaluations": evaluations}


def _evaluation(split: str, result) -> dict:
    per_frame = [{"frame_id": c.frame_id, "targets": c.targets, "predicted": c.predicted, "hits": c.true_detections,
                  "misses": c.missed, "false_alarms": c.false_alarms} for c in result.per_frame]
    return {"split": split, "metrics": result.as_dict(curves=True), "per_frame": per_frame}


def _propose(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.labels.proposals import propose_target
    from ..core.labels.targets import find_targets
    from ..project.cache import PredictionCache

    settings = spec.settings
    source = ProjectPairs(spec.dataset, spec.project)
    ids, _ = _frames_in_order(source.frame_ids, settings.get("frames"), settings.get("first"))
    name = settings.get("set", "canny")
    cache = PredictionCache(Path(spec.project) / "predictions")
    proposed = 0
    with cache.writer(name, method="canny") as writer:
        for k, frame_id in enumerate(ids, 1):
            if should_stop():
                raise JobCancelled()
            image, mask = source.read(frame_id)
            targets = find_targets(mask)
            union = np.zeros(mask.shape, bool)
            for index in range(len(targets)):
                union |= propose_target(image, targets.mask_of(index)).mask
                proposed += 1
            writer.write(frame_id, union.astype(np.uint8) * 255)
            _progress(emit, k, len(ids), frame_id)
    return {"status": "finished", "set": name, "frames": len(ids), "targets": proposed}


def _import(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.datasets.predictions import index_folder, read_prediction, require_ids
    from ..project.cache import PredictionCache

    settings = spec.settings
    folder = settings["folder"]
    source = ProjectPairs(spec.dataset, spec.project)
    ids = list(source.frame_ids)
    files = require_ids(index_folder(folder), ids, folder, "prediction")
    name = settings.get("set") or Path(folder).name
    cache = PredictionCache(Path(spec.project) / "predictions")
    with cache.writer(name, folder=str(folder)) as writer:
        for k, (frame_id, path) in enumerate(zip(ids, files), 1):
            if should_stop():
                raise JobCancelled()
            prediction = read_prediction(path)
            shape = source.dataset.read_frame(frame_id).shape
            if prediction.shape != shape:
                raise IrstlabelError(path, f"prediction is {prediction.shape[1]}x{prediction.shape[0]} but the frame is "
                                           f"{shape[1]}x{shape[0]}")
            if prediction.dtype == np.uint16:
                prediction = prediction.astype(np.float32) / 65535.0
            writer.write(frame_id, prediction.astype(np.uint8) * 255 if prediction.dtype == bool else prediction)
            _progress(emit, k, len(ids), frame_id)
    return {"status": "finished", "set": name, "frames": len(ids), "folder": str(folder)}


def _curate(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.datasets.dataset import Dataset

    settings = spec.settings
    dataset = Dataset.open(spec.dataset)
    step = settings.get("step")

    def progress(done, total):
        if should_stop():
            raise JobCancelled()
        _progress(emit, done, total, step)

    if step == "unify":
        from ..core.curation.merge import merge_datasets

        summary = merge_datasets([(dataset.root.name, dataset, dataset.frame_ids)], settings["out"],
                                 size=tuple(settings.get("size", (1024, 1280))), method=settings.get("method", "fill"),
                                 progress=progress)
        return {"status": "finished", "step": step, **summary}
    if step == "dedup":
        from ..core.curation.dedup import dedup_summary

        summary = dedup_summary(dataset.frame_ids, dataset.read_frame, threshold=settings.get("threshold"),
                                progress=progress)
        return {"status": "finished", "step": step, **summary}
    if step == "stats":
        from ..core.datasets.stats import dataset_statistics

        summary = dataset_statistics(dataset, dataset.frame_ids, progress=progress, keep_records=bool(settings.get("plots")))
        if settings.get("plots"):
            from ..reports import statistics_plots

            statistics_plots({dataset.root.name: summary}, settings["plots"])
            summary.pop("records")
            summary.pop("frame_shares")
        return {"status": "finished", "step": step, **summary}
    raise IrstlabelError(None, f"unknown curation step '{step}'; use unify, dedup or stats")


class JobCancelled(Exception):
    """Raised inside a job loop when cancel was asked; the runner reports it."""
