"""Training ISPANet (Section V-A): Adagrad, warm-up then cosine, validation every epoch.

The loop reports through a plain callback (``on_event(dict)``) and checks
``should_stop()`` after every batch, so a background job can relay progress
and cancel within one batch; the checkpoint written on the way out resumes
the run. Under ``torchrun`` with more than one process the same loop runs
with DistributedDataParallel (NCCL on GPUs, gloo on CPU); rank 0 validates
and writes files.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from ..core.errors import IrstlabelError
from ..core.metrics.evaluation import Evaluator, MetricOptions
from ..core.datasets.pairs import set_of
from ..core.datasets.predictions import to_levels
from .checkpoint import load_checkpoint, load_weights, save_checkpoint
from .config import ISPANetConfig
from .data import Augment, PairSource, TrainingSamples
from .inference import InferenceSettings
from .info import count_parameters
from .ispanet import ISPANet
from .losses import make_loss
from .predict import predict_probability
from .train_config import TrainConfig
from .run_scales import choose_inference_scale, covered_scales, run_settings, sweep_scales_for
from .starter import resolve_checkpoint
from .runtime import autocast, barrier, dist_env, init_distributed, resolve_device
from ..core.io.jsonio import to_json

__all__ = ["TrainConfig", "train", "lr_at", "weights_digest"]

def lr_at(step: int, steps_per_epoch: int, config: TrainConfig, *, elapsed: float | None = None) -> float:
    """Linear warm-up over `warmup_epochs`, then cosine from `lr` down to `min_lr`.

    With a time budget (``config.minutes``) the cosine follows the share of
    the budget spent (`elapsed` seconds) or of the epochs, whichever is further.
    """
    warmup = config.warmup_epochs * steps_per_epoch
    total = config.epochs * steps_per_epoch
    if step < warmup:
        return config.lr * (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    if config.minutes is not None and elapsed is not None:
        progress = max(progress, elapsed / (60.0 * config.minutes))
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * min(progress, 1.0)))


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 of the parameters, in name order (to compare ranks or runs)."""
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        if name.endswith(("running_mean", "running_var", "num_batches_tracked")):
            continue
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _metric(evaluation, name: str) -> float:
    if name == "mean":
        return (float(evaluation.target["f1"]) + float(evaluation.pixel["iou"]) + float(evaluation.pixel["niou"])) / 3
    group, key = name.split(".")
    return float(getattr(evaluation, group)[key])


def validate(model, source: PairSource, frame_ids, config: TrainConfig, device) -> dict:
    """Core metrics of the model on validation frames.

    Predicted exactly as ``irstlabel evaluate`` predicts with the settings the
    run records (its scale, or its fill size), every frame at its own size,
    and scored against the frames' own masks, so a validation figure means the
    same as a test figure. Frames from several sets (``"<set>:<id>"``) are also
    scored per set, under ``"sets"``.
    """
    options = MetricOptions(threshold=config.threshold, distance=config.distance, curve_bins=0)
    pooled = Evaluator(options, keep_frames=False)
    per_set: dict[str, Evaluator] = {}
    settings = run_settings(config)
    model.eval()
    for frame_id in frame_ids:
        image, mask = source.read(frame_id)
        probability = predict_probability(model, image, settings=settings, device=device, amp=config.amp,
                                          cpu_amp=config.cpu_amp)
        levels = to_levels(probability)
        pooled.add(mask, levels)
        per_set.setdefault(set_of(frame_id), Evaluator(options, keep_frames=False)).add(mask, levels)
    model.train()
    result = pooled.result()
    sets = {name: evaluator.result() for name, evaluator in per_set.items()}
    return {"pixel": result.pixel, "target": result.target,
            "sets": {name: {"pixel": r.pixel, "target": r.target} for name, r in sets.items()}}


def validation_score(metrics: dict, config: TrainConfig) -> float:
    """The figure the best epoch is chosen by: over all frames, or the mean over the sets (``val_weighting``)."""
    if config.val_weighting == "per-set" and metrics.get("sets"):
        scores = [_metric(_Namespace(values), config.best_metric) for values in metrics["sets"].values()]
        return float(np.mean(scores))
    return _metric(_Namespace(metrics), config.best_metric)


class _CsvLog:
    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.header = None
        if resume and path.exists():
            with path.open() as handle:
                self.header = next(csv.reader(handle), None)

    def write(self, row: dict) -> None:
        new = self.header is None
        if new:
            self.header = list(row)
        with self.path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.header, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)


def _batches(loader):
    """The loader's batches; a user error raised in a loader worker process comes back as itself.

    torch re-raises an exception from a worker as RuntimeError("Caught
    IrstlabelError in DataLoader worker process 0 ... Original Traceback ...");
    the original one-line message is its last line.
    """
    try:
        yield from loader
    except RuntimeError as exc:
        match = re.search(r"IrstlabelError: (.+)\s*$", str(exc))
        if "Caught IrstlabelError" in str(exc) and match:
            raise IrstlabelError(None, match.group(1)) from None
        raise


def epoch_seed(seed: int, epoch: int) -> int:
    """The global torch seed of an epoch (for dropout), from the run's seed and the epoch alone."""
    return int(np.random.default_rng([seed, epoch, 1]).integers(2**62))


class EpochShuffle(Sampler):
    """The order of an epoch's samples from the seed and the epoch alone.

    A loader's own shuffling draws from one generator across epochs (and the
    loader's worker seeding draws from it too), so a run resumed at epoch k
    would see another order than the run that never stopped; this one does not.
    """

    def __init__(self, n: int, *, seed: int):
        self.n, self.seed, self.epoch = int(n), int(seed), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self):
        return iter(np.random.default_rng([self.seed, self.epoch]).permutation(self.n).tolist())

    def __len__(self) -> int:
        return self.n


def train(
    model_config: ISPANetConfig,
    config: TrainConfig,
    source: PairSource,
    train_ids,
    val_ids,
    out_dir,
    *,
    on_event: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: bool = False,
    init_checkpoint: str | None = None,
) -> dict:
    """Train, validate every epoch, keep ``best.pt`` and ``last.pt`` in `out_dir`.

    Returns a summary: status (``"finished"``, ``"cancelled"``), epochs done,
    best metric and the checkpoint paths. `init_checkpoint` starts from other
    weights (fine-tuning); `resume` continues from ``out_dir/last.pt``.
    """
    emit = on_event or (lambda event: None)
    stop = should_stop or (lambda: False)
    out_dir = Path(out_dir)
    env = dist_env()
    device = resolve_device(config.device if not (env.distributed and config.device == "auto" and torch.cuda.is_available())
                            else f"cuda:{env.local_rank}")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    init_distributed(env, device)
    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
    if not train_ids:
        raise IrstlabelError(out_dir, "no training frames")
    torch.manual_seed(config.seed)

    model = ISPANet(model_config)
    start_epoch, best_score, optimizer_state, spent, stale = 0, -math.inf, None, 0.0, 0
    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    if resume:
        state = load_checkpoint(last_path)
        if state["model_config"] != model_config:
            raise IrstlabelError(last_path, "model settings differ from this run's; resume with the same settings")
        load_weights(model, state, last_path)
        start_epoch = int(state.get("epoch", 0))
        best_score = float(state.get("best_score", -math.inf))
        optimizer_state = state.get("optimizer")
        spent, stale = float(state.get("seconds_spent", 0.0)), int(state.get("stale_validations", 0))
        config = _with_scale(config, (state.get("train") or {}).get("scale"))
    elif init_checkpoint is not None:
        init_checkpoint = resolve_checkpoint(init_checkpoint)  # "starter": the shipped model
        state = load_checkpoint(init_checkpoint)
        if state["model_config"] != model_config:
            raise IrstlabelError(init_checkpoint, "model settings differ from the checkpoint's")
        load_weights(model, state, init_checkpoint)
        config = _with_scale(config, InferenceSettings.from_checkpoint(state, init_checkpoint).scale)
    config = _with_scale(config, 1.0)
    model.to(device)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    net = model
    if env.distributed:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.Adagrad(model.parameters(), lr=config.lr)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    loss_fn = make_loss(config.loss, alpha=config.alpha, gamma=config.gamma, smooth=config.smooth)

    augment = Augment(background_probability=config.background_crops) if config.augment else None
    samples = TrainingSamples(source, train_ids, config.size, augment=augment,
                              seed=config.seed, scale=config.scale, sampling=config.sampling,
                              samples=config.epoch_samples)
    sampler = (DistributedSampler(samples, num_replicas=env.world_size, rank=env.rank, shuffle=True, seed=config.seed)
               if env.distributed else EpochShuffle(len(samples), seed=config.seed))
    loader = DataLoader(
        samples,
        batch_size=config.batch,
        sampler=sampler,
        num_workers=config.workers,
        generator=torch.Generator().manual_seed(config.seed),
        drop_last=len(samples) >= config.batch * env.world_size * 2,
        pin_memory=device.type == "cuda",
        persistent_workers=False,  # workers hold a copy of the samples: new ones each epoch see its set_epoch
    )
    steps_per_epoch = max(len(loader), 1)
    step = start_epoch * steps_per_epoch
    csv_log = _CsvLog(out_dir / "metrics.csv", resume) if env.is_main else None
    if env.is_main:
        (out_dir / "config.json").write_text(to_json({"model": model_config.to_dict(), "train": config.to_dict()}, indent=2))
    emit({"event": "started", "epochs": config.epochs, "steps_per_epoch": steps_per_epoch, "device": str(device),
          "start_epoch": start_epoch, "world_size": env.world_size, "minutes": config.minutes})
    recorded = {**run_settings(config).to_dict(), "trained_scales": covered_scales(config)}
    clock = time.perf_counter()

    def elapsed() -> float:
        return spent + time.perf_counter() - clock

    def save(path, epoch, metrics, with_optimizer):
        extra = {"epoch": epoch, "metrics": metrics, "train": config.to_dict(), "best_score": best_score,
                 "inference": recorded, "seconds_spent": elapsed(), "stale_validations": stale}
        if with_optimizer:
            extra["optimizer"] = optimizer.state_dict()
        save_checkpoint(path, model_config=model_config, state_dict=model.state_dict(), **extra)

    status, epoch, why = "finished", start_epoch, "epochs"
    reserve = {"seconds": 0.0}  # of the time budget, kept for the last validation and the inference sweep
    net.train()
    try:
        for epoch in range(start_epoch, config.epochs):
            samples.set_epoch(epoch)
            sampler.set_epoch(epoch)
            torch.manual_seed(epoch_seed(config.seed, epoch))  # dropout's draws: the same whether resumed or not
            started, waited, losses = time.perf_counter(), 0.0, []
            fetch = time.perf_counter()
            out_of_time = False
            for batch_index, (x, m) in enumerate(_batches(loader)):
                waited += time.perf_counter() - fetch
                lr = lr_at(step, steps_per_epoch, config, elapsed=elapsed())
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, m = x.to(device, non_blocking=True), m.to(device, non_blocking=True)
                if config.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                with autocast(device, config.amp, cpu=config.cpu_amp):
                    logits = net(x)
                loss = loss_fn(logits.float(), m)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                losses.append(float(loss.detach()))
                emit({"event": "step", "epoch": epoch + 1, "step": batch_index + 1, "steps": steps_per_epoch,
                      "loss": losses[-1], "lr": lr, "elapsed": elapsed()})
                if stop() or (config.max_steps is not None and step >= config.max_steps):
                    raise _Stop("cancelled" if stop() else "finished")
                if config.minutes is not None and elapsed() + reserve["seconds"] >= 60.0 * config.minutes:
                    out_of_time = True  # the epoch so far is validated and kept, as a whole one would be
                    break
                fetch = time.perf_counter()
            seconds = time.perf_counter() - started
            metrics = {"loss": float(np.mean(losses)) if losses else float("nan"),
                       "lr": lr_at(step - 1, steps_per_epoch, config, elapsed=elapsed()),
                       "seconds": seconds, "data_wait": waited / max(seconds, 1e-9)}
            if env.is_main:
                if val_ids:
                    validating = time.perf_counter()
                    metrics["val"] = validate(model, source, val_ids, config, device)
                    # the budget holds the sweep too: it predicts the same frames once per candidate scale
                    reserve["seconds"] = (time.perf_counter() - validating) * (1 + len(sweep_scales_for(config)))
                    score = validation_score(metrics["val"], config)
                    metrics["val_score"] = score
                    if score > best_score:
                        best_score, stale = score, 0
                        save(best_path, epoch + 1, metrics, with_optimizer=False)
                    else:
                        stale += 1
                save(last_path, epoch + 1, metrics, with_optimizer=True)
                csv_log.write(_flat_row(epoch + 1, metrics))
            barrier(env)
            emit({"event": "epoch", "epoch": epoch + 1, "epochs": config.epochs, "metrics": metrics})
            if out_of_time:
                why = "time budget"
                break
            if config.patience is not None and stale >= config.patience:
                why = f"no better validation in {config.patience} epochs"
                break
    except _Stop as why_stopped:
        status = why_stopped.status
        why = "cancelled" if status == "cancelled" else "max_steps"
        if env.is_main:
            # the interrupted epoch is not complete: resuming starts it again
            save(last_path, epoch if status == "cancelled" else epoch + 1, {"stopped_at_step": step}, with_optimizer=True)
    except KeyboardInterrupt:
        status, why = "cancelled", "cancelled"
        if env.is_main:
            save(last_path, epoch, {"stopped_at_step": step}, with_optimizer=True)
    if env.is_main and not best_path.exists():
        save(best_path, epoch + 1, {}, with_optimizer=False)  # no validation: best is the latest
    training_seconds = elapsed()
    inference, inference_error = None, None
    if env.is_main and status == "finished" and val_ids and config.sweep_scales:
        try:
            inference = choose_inference_scale(best_path, source, val_ids, config, device, emit=emit, should_stop=stop)
        except (IrstlabelError, ValueError, RuntimeError, MemoryError) as exc:
            # the trained weights are kept and predict at the run's own settings; the failure is said
            inference_error = f"the inference sweep failed, so the run's own settings ({run_settings(config).describe()}) stay: {exc}"
            emit({"event": "log", "message": inference_error})
    summary = {"status": status, "epochs_done": epoch + 1 if status == "finished" else epoch,
               "best_metric": config.best_metric, "best_score": best_score if best_score > -math.inf else None,
               "best": str(best_path), "last": str(last_path), "weights_sha256": weights_digest(model), "rank": env.rank,
               "parameters": count_parameters(model), "inference": inference, "inference_error": inference_error,
               "stopped_because": why, "training_seconds": training_seconds, "scale": config.scale,
               "trained_scales": covered_scales(config)}
    if env.distributed:  # each rank records its own outcome, so runs can be compared across ranks
        (out_dir / f"rank{env.rank}.json").write_text(to_json(summary))
    emit({"event": "done", **summary})
    return summary


def _with_scale(config: TrainConfig, scale) -> TrainConfig:
    """`config` with its inference scale set to `scale` unless it has one (or `scale` is None)."""
    if config.scale is not None or scale is None:
        return config
    return replace(config, scale=float(scale))


class _Stop(Exception):
    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class _Namespace:
    def __init__(self, groups: dict):
        self.pixel, self.target = groups["pixel"], groups["target"]


def _flat_row(epoch: int, metrics: dict) -> dict:
    row = {"epoch": epoch, "loss": metrics["loss"], "lr": metrics["lr"], "seconds": round(metrics["seconds"], 3),
           "data_wait": round(metrics["data_wait"], 4)}
    val = metrics.get("val", {})
    _flatten_into(row, "val", {k: v for k, v in val.items() if k != "sets"})
    sets = val.get("sets", {})
    if len(sets) > 1:
        for name, values in sets.items():
            _flatten_into(row, f"val_{name}", values)
    if "val_score" in metrics:
        row["val_score"] = metrics["val_score"]
    return row


def _flatten_into(row: dict, prefix: str, groups: dict) -> None:
    for group, values in groups.items():
        for key, value in values.items():
            if isinstance(value, (int, float)):
                row[f"{prefix}_{group}_{key}"] = value
