"""Training settings (:class:`TrainConfig`): the paper's defaults, validated, stored in every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..core.errors import IrstlabelError
from .inference import SCALES, THRESHOLDS
from .inference_sweep import SELECTIONS

__all__ = ["TrainConfig", "BEST_METRICS", "VAL_WEIGHTINGS"]

VAL_WEIGHTINGS = ("pooled", "per-set")
BEST_METRICS = ("mean", "target.f1", "pixel.iou", "pixel.niou", "target.pd", "target.pa")  # mean: of F1-T, IoU, nIoU


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults are the paper's (Section V-A)."""

    epochs: int = 200
    batch: int = 8
    size: tuple[int, int] = (1024, 1280)
    lr: float = 0.01
    min_lr: float = 1e-5
    warmup_epochs: int = 5
    loss: str = "fsiou"
    alpha: float = 2.0
    gamma: float = 2.0
    smooth: float = 1e-6
    augment: bool = True
    seed: int = 0
    workers: int = 2
    device: str = "auto"
    amp: bool = True
    cpu_amp: bool = True  # bf16 autocast on CPUs with native bf16 (~2x per step, docs/benchmarks.md)
    channels_last: bool = True
    threshold: float = 0.5
    distance: float = 2.0
    best_metric: str = "target.f1"
    max_steps: int | None = None  # stop after this many optimiser steps (smoke runs)
    # how samples are made (model/data.py): crops at the inference scale, or the paper's fill resize of whole frames
    sampling: str = "scale"
    scale: float | None = None  # the inference scale crops are cut at; None: the init checkpoint's, else 1
    epoch_samples: int = 0  # crops per epoch (0: one per training frame); frames repeat
    background_crops: float = 0.0  # share of crops cut anywhere, not around a target (scale sampling)
    minutes: float | None = None  # a time budget: training ends when it is spent (lr follows it)
    patience: int | None = None  # stop after this many validations without a better best_metric
    # after training: the inference scale and threshold chosen on the validation split (empty: keep the size)
    sweep_scales: tuple[float, ...] = SCALES
    sweep_thresholds: tuple[float, ...] = THRESHOLDS
    sweep_select: str = "iou+niou+f1"
    # how validation frames from several sets ("<set>:<id>" keys) are weighed: "pooled" (every frame counts once)
    # or "per-set" (each set scored alone, the sets' figures averaged: a big cluttered set cannot outvote the others)
    val_weighting: str = "pooled"

    def __post_init__(self):
        problems = []
        if self.epochs < 1:
            problems.append(f"epochs must be >= 1, got {self.epochs}")
        if self.batch < 1:
            problems.append(f"batch must be >= 1, got {self.batch}")
        if len(self.size) != 2 or min(self.size) < 32:
            problems.append(f"size must be two sides of at least 32 pixels, got {self.size}")
        if not 0 < self.min_lr <= self.lr:
            problems.append(f"need 0 < min_lr <= lr, got {self.min_lr} and {self.lr}")
        if self.best_metric not in BEST_METRICS:
            problems.append(f"best_metric must be one of {', '.join(BEST_METRICS)}")
        if self.sampling not in ("scale", "fill"):
            problems.append(f"sampling must be 'scale' or 'fill', got {self.sampling!r}")
        if self.scale is not None and not 0.1 <= float(self.scale) <= 8:
            problems.append(f"scale must be from 0.1 to 8, got {self.scale}")
        if self.minutes is not None and not self.minutes > 0:
            problems.append(f"minutes must be > 0, got {self.minutes}")
        if self.patience is not None and self.patience < 1:
            problems.append(f"patience must be >= 1, got {self.patience}")
        if not 0 <= self.background_crops <= 1:
            problems.append(f"background_crops must be from 0 to 1, got {self.background_crops}")
        if self.epoch_samples < 0:
            problems.append(f"epoch_samples must be >= 0, got {self.epoch_samples}")
        if self.val_weighting not in VAL_WEIGHTINGS:
            problems.append(f"val_weighting must be one of {', '.join(VAL_WEIGHTINGS)}, got {self.val_weighting!r}")
        if self.sweep_select not in SELECTIONS:
            problems.append(f"sweep_select must be one of {', '.join(SELECTIONS)}")
        if any(not 0.1 <= float(v) <= 8 for v in self.sweep_scales):
            problems.append(f"sweep_scales must be from 0.1 to 8, got {list(self.sweep_scales)}")
        if any(not 0 < float(v) < 1 for v in self.sweep_thresholds) or (self.sweep_scales and not self.sweep_thresholds):
            problems.append(f"sweep_thresholds must be in (0, 1), got {list(self.sweep_thresholds)}")
        if problems:
            raise IrstlabelError(None, "; ".join(problems))

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Settings from JSON; an unknown field is an error (a typo would otherwise train at the defaults)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise IrstlabelError(None, f"unknown training settings: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        except TypeError as exc:  # a comparison of a wrong type in __post_init__
            raise IrstlabelError(None, f"training settings have a wrong type ({exc})") from None
