"""Synthetic datasets of many frame sizes and scenes: the high-resolution and target-free sets.

Public infrared sets are small frames (256x256 to ~400x300); users bring
640x512 to 1920x1080 frames of sky, ground and sea. :func:`make_scene_set`
writes such frames with exact masks (generic layout), a share of them
target-free, so a model can be trained on and judged at those sizes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..io.files import write_bytes_atomic
from .synthetic import SCENES, synthetic_frame

__all__ = ["HR_SIZES", "make_scene_set"]

HR_SIZES = ((512, 640), (720, 1280), (1024, 1280), (1080, 1920))  # (H, W) of common sensors


def make_scene_set(
    out: str | os.PathLike,
    *,
    frames: int,
    seed: int,
    sizes: tuple[tuple[int, int], ...] = HR_SIZES,
    scenes: tuple[str, ...] = SCENES,
    target_free: float = 0.0,
    n_targets: tuple[int, int] = (1, 6),
    max_extent: int = 14,
    scr: tuple[float, float] = (2.0, 10.0),
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write `frames` synthetic frames (``images/``, ``masks/``) cycling through `sizes` and `scenes`.

    Parameters
    ----------
    out : path
        The dataset folder; existing files of the same names are replaced.
    frames : int, keyword-only
    seed : int, keyword-only
        Same seed, same set (frame k uses ``seed`` and ``k``).
    sizes, scenes : keyword-only
        Frame k has size ``sizes[k % len(sizes)]`` and scene
        ``scenes[(k // len(sizes)) % len(scenes)]``, so every size meets every scene.
    target_free : float, keyword-only
        Share of frames without targets (their masks are empty): every
        ``round(1 / target_free)``-th frame.
    n_targets, max_extent, scr : keyword-only
        As :func:`~irstlabel.core.datasets.synthetic.synthetic_frame`; small
        targets by default (at most 14 px long), as on high-resolution sensors.

    Returns
    -------
    Path
        The dataset folder.
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if not 0 <= target_free <= 1:
        raise ValueError(f"target_free must be from 0 to 1, got {target_free}")
    unknown = set(scenes) - set(SCENES)
    if unknown or not scenes or not sizes:
        raise ValueError(f"need sizes and scenes from {SCENES}, got {sizes} and {scenes}")
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    every = round(1 / target_free) if target_free > 0 else 0
    for k in range(frames):
        free = every > 0 and k % every == every - 1
        frame = synthetic_frame(sizes[k % len(sizes)], seed=np.random.default_rng([seed, k]), scene=scenes[(k // len(sizes)) % len(scenes)],
                                n_targets=0 if free else n_targets, max_extent=max_extent, scr=scr)
        name = f"{'free' if free else 'frame'}_{k + 1:04d}.png"
        write_bytes_atomic(out / "images" / name, cv2.imencode(".png", frame.image)[1].tobytes())
        write_bytes_atomic(out / "masks" / name, cv2.imencode(".png", frame.mask.astype(np.uint8) * 255)[1].tobytes())
        if progress is not None:
            progress(k + 1, frames)
    return out
