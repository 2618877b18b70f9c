"""At what scale a training run shows targets, and how its inference scale and threshold are chosen.

A run samples crops at one inference scale (with jitter around it: the scales
it *covers*); validation predicts at that scale; after training the sweep
tries only the covered scales (:func:`choose_inference_scale`) on the
validation frames and records the best in the checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .checkpoint import load_checkpoint, load_weights, record_inference
from .data import Augment, PairSource
from .inference import InferenceSettings, scales_within
from .inference_sweep import choose_inference, sweep_inference, sweep_summary, write_sweep
from .ispanet import ISPANet
from .train_config import TrainConfig
from .predict import Predictor


__all__ = ["run_settings", "covered_scales", "sweep_scales_for", "choose_inference_scale"]


def run_settings(config: TrainConfig) -> InferenceSettings:
    """How a run predicts while it trains (validation) and what it records: its scale, or its fill size."""
    if config.sampling == "fill":
        return InferenceSettings(size=tuple(config.size), threshold=config.threshold)
    return InferenceSettings(scale=float(config.scale or 1.0), threshold=config.threshold)


def covered_scales(config: TrainConfig) -> tuple[float, float] | None:
    """The inference scales a scale-sampled run trained at (its scale x the augmentation range)."""
    if config.sampling != "scale":
        return None
    low, high = Augment().scale_range if config.augment else (1.0, 1.0)
    scale = float(config.scale or 1.0)
    return scale * low, scale * high


def sweep_scales_for(config: TrainConfig, recorded: dict | None = None) -> tuple[float, ...]:
    """The sweep's candidate scales: those the run trained at (scale sampling), else the configured ones."""
    covered = (recorded or {}).get("trained_scales") or covered_scales(config)
    if not covered or not config.sweep_scales:
        return tuple(config.sweep_scales)
    return scales_within(float(covered[0]), float(covered[1]), config.sweep_scales)


def choose_inference_scale(checkpoint, source: PairSource, val_ids, config: TrainConfig, device, *,
                           emit: Callable[[dict], None] = lambda e: None, should_stop: Callable[[], bool] | None = None,
                           out_dir=None) -> dict | None:
    """Sweep scales and thresholds on validation frames with `checkpoint`'s weights; record the best in it.

    The candidate scales are those the checkpoint trained at (its recorded
    ``trained_scales``), so the sweep never picks a scale the network has not
    seen targets at. Writes ``inference_sweep.csv`` beside the checkpoint (or
    in `out_dir`) and the chosen settings into the checkpoint and, when there,
    into ``last.pt`` beside it. Returns the recorded ``inference`` section
    (None if stopped).
    """
    checkpoint = Path(checkpoint)
    state = load_checkpoint(checkpoint)
    model = ISPANet(state["model_config"])
    load_weights(model, state, checkpoint)
    scales = sweep_scales_for(config, state.get("inference"))
    # the default prediction path (OpenVINO on a CPU where installed): the settings fit how frames will be predicted
    runner = Predictor(model, device=str(device), amp=config.amp, cpu_amp=config.cpu_amp).runner
    rows = sweep_inference(runner, source.read, list(val_ids), scales=scales,
                           thresholds=config.sweep_thresholds, distance=config.distance, should_stop=should_stop,
                           weighting=config.val_weighting,
                           progress=lambda done, total: emit({"event": "sweep", "step": done, "steps": total}))
    if len(rows) < len(scales) * len(config.sweep_thresholds):
        return None
    settings, chosen = choose_inference(rows, select=config.sweep_select)
    folder = Path(out_dir) if out_dir is not None else checkpoint.parent
    write_sweep(folder / "inference_sweep.csv", rows, chosen, config.sweep_select)
    trained = (state.get("inference") or {}).get("trained_scales")
    inference = {**settings.to_dict(), **sweep_summary(chosen, config.sweep_select, "val"),
                 "weighting": config.val_weighting,
                 **({"trained_scales": trained} if trained else {})}
    record_inference(checkpoint, inference)
    last = checkpoint.parent / "last.pt"
    if last.exists() and last != checkpoint:
        record_inference(last, inference)
    emit({"event": "inference_chosen", "inference": inference})
    return inference
