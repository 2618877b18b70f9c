"""Running a job in the current process, reporting through plain callbacks.

The worker process and the CLI both call :func:`run_job`. Settings per kind:

``train``
    ``model`` (``name``, ``channels``, ``variant``), ``train`` (TrainConfig
    fields), ``init_checkpoint`` (fine-tune from it), ``run_dir`` (default
    ``<project>/runs/<job_id>``), ``train_split`` and ``val_split``.
``predict``
    ``checkpoint``, ``set`` (cache name), ``frames`` (default all), ``first``
    (a frame to do first: the one on screen), ``device``.
``evaluate``
    ``set`` (a cached prediction set), ``split`` (default ``test``, else all),
    ``options`` (MetricOptions fields).
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
    return handler(spec, emit, should_stop)


def _progress(emit: Emit, step: int, total: int, message: str = "", **metrics) -> None:
    emit({"event": "progress", "step": step, "total": total, "message": message, "metrics": metrics})


def _train(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..model.factory import model_config
    from ..model.splits import training_splits
    from ..model.train import TrainConfig, train

    settings = spec.settings
    model = dict(settings.get("model", {}))
    try:
        config = model_config(model.pop("name", "ispanet"), **model)
    except ValueError as exc:
        raise IrstlabelError(None, str(exc)) from None
    train_config = TrainConfig.from_dict(settings.get("train", {}))
    source = ProjectPairs(spec.dataset, spec.project)
    train_ids, val_ids = training_splits(source.dataset, settings.get("train_split"), settings.get("val_split"),
                                         seed=train_config.seed)
    run_dir = Path(settings.get("run_dir") or Path(spec.project) / "runs" / spec.job_id)
    steps_total = {"value": 0}

    def relay(event: dict) -> None:
        if event["event"] == "started":
            steps_total["value"] = event["epochs"] * event["steps_per_epoch"]
            emit({"event": "log", "message": f"training on {event['device']}: {len(train_ids)} frames, "
                                             f"{len(val_ids)} for validation"})
        elif event["event"] == "step":
            done = (event["epoch"] - 1) * event["steps"] + event["step"]
            _progress(emit, done, steps_total["value"], f"epoch {event['epoch']}, step {event['step']}/{event['steps']}",
                      loss=event["loss"], lr=event["lr"])
        elif event["event"] == "epoch":
            emit({"event": "epoch", "epoch": event["epoch"], "epochs": event["epochs"], "metrics": event["metrics"]})

    with TrainingLock(spec.project):
        summary = train(config, train_config, source, train_ids, val_ids, run_dir, on_event=relay,
                        should_stop=should_stop, init_checkpoint=settings.get("init_checkpoint"))
    return {"status": summary["status"], "checkpoint": summary["best"], "last": summary["last"],
            "name": settings.get("name") or f"run-{spec.job_id}", "run_dir": str(run_dir),
            "model": config.to_dict(), "train": train_config.to_dict(), "summary": summary}


def _frames_in_order(all_ids, frames, first):
    ids = list(frames) if frames else list(all_ids)
    if first is not None and first in ids:
        ids.remove(first)
        ids.insert(0, first)
    return ids


def _predict(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..model.checkpoint import model_from_checkpoint
    from ..model.predict import Predictor

    settings = spec.settings
    checkpoint = settings["checkpoint"]
    model, _ = model_from_checkpoint(checkpoint)
    predictor = Predictor(model, device=settings.get("device", "auto"))
    source = ProjectPairs(spec.dataset, spec.project)
    ids = _frames_in_order(source.frame_ids, settings.get("frames"), settings.get("first"))
    name = settings.get("set") or Path(checkpoint).stem
    from ..project.cache import PredictionCache

    cache = PredictionCache(Path(spec.project) / "predictions")
    written = 0
    started = time.perf_counter()
    with cache.writer(name, checkpoint=str(checkpoint)) as writer:
        for k, frame_id in enumerate(ids, 1):
            if should_stop():
                raise _Cancelled()
            writer.write(frame_id, predictor(source.dataset.read_frame(frame_id)))
            written += 1
            _progress(emit, k, len(ids), frame_id)
    seconds = time.perf_counter() - started
    return {"status": "finished", "set": name, "frames": written, "fps": written / max(seconds, 1e-9)}


def _evaluate(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.metrics import Evaluator, MetricOptions
    from ..project.cache import PredictionCache

    settings = spec.settings
    name = settings["set"]
    source = ProjectPairs(spec.dataset, spec.project)
    dataset = source.dataset
    split = settings.get("split", "test")
    try:
        ids = list(dataset.split(split))
    except IrstlabelError:
        if split != "test":
            raise
        from ..model.splits import seeded_split

        # no test split in the dataset: the test part of the seeded 6:2:2 split training used
        ids, split = seeded_split(dataset.frame_ids, seed=settings.get("seed", 0))[2], "test (seeded 6:2:2)"
    cache = PredictionCache(Path(spec.project) / "predictions")
    evaluator = Evaluator(MetricOptions(**settings.get("options", {})))
    missing = []
    for k, frame_id in enumerate(ids, 1):
        if should_stop():
            raise _Cancelled()
        levels = cache.read_levels(name, frame_id)
        if levels is None:
            missing.append(frame_id)
            continue
        evaluator.add(source.read_mask(frame_id), levels, frame_id=frame_id)
        _progress(emit, k, len(ids), frame_id)
    if missing:
        raise IrstlabelError(cache.path_of(name), f"no cached prediction for {len(missing)} frame(s), e.g. '{missing[0]}'")
    result = evaluator.result()
    per_frame = [{"frame_id": c.frame_id, "targets": c.targets, "predicted": c.predicted, "hits": c.true_detections,
                  "misses": c.missed, "false_alarms": c.false_alarms} for c in result.per_frame]
    return {"status": "finished", "set": name, "split": split, "metrics": result.as_dict(curves=True),
            "per_frame": per_frame}


def _propose(spec: JobSpec, emit: Emit, should_stop) -> dict:
    from ..core.proposals import propose_target
    from ..core.targets import find_targets
    from ..project.cache import PredictionCache

    settings = spec.settings
    source = ProjectPairs(spec.dataset, spec.project)
    ids = _frames_in_order(source.frame_ids, settings.get("frames"), settings.get("first"))
    name = settings.get("set", "canny")
    cache = PredictionCache(Path(spec.project) / "predictions")
    proposed = 0
    with cache.writer(name, method="canny") as writer:
        for k, frame_id in enumerate(ids, 1):
            if should_stop():
                raise _Cancelled()
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
    from ..core.predictions import index_folder, read_prediction, require_ids
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
                raise _Cancelled()
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
    from ..core.datasets import Dataset

    settings = spec.settings
    dataset = Dataset.open(spec.dataset)
    step = settings.get("step")

    def progress(done, total):
        if should_stop():
            raise _Cancelled()
        _progress(emit, done, total, step)

    if step == "unify":
        from ..core.merge import merge_datasets

        summary = merge_datasets([(dataset.root.name, dataset, dataset.frame_ids)], settings["out"],
                                 size=tuple(settings.get("size", (1024, 1280))), method=settings.get("method", "fill"),
                                 progress=progress)
        return {"status": "finished", "step": step, **summary}
    if step == "dedup":
        from ..core.dedup import dedup_summary

        summary = dedup_summary(dataset.frame_ids, dataset.read_frame, threshold=settings.get("threshold"),
                                progress=progress)
        return {"status": "finished", "step": step, **summary}
    if step == "stats":
        from ..core.stats import dataset_statistics

        summary = dataset_statistics(dataset, dataset.frame_ids, progress=progress, keep_records=bool(settings.get("plots")))
        if settings.get("plots"):
            from ..reports import statistics_plots

            statistics_plots({dataset.root.name: summary}, settings["plots"])
            summary.pop("records")
            summary.pop("frame_shares")
        return {"status": "finished", "step": step, **summary}
    raise IrstlabelError(None, f"unknown curation step '{step}'; use unify, dedup or stats")


class _Cancelled(Exception):
    """Raised inside a job loop when cancel was asked; the runner reports it."""
