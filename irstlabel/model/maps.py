"""Frames to probability maps around any network runner: numpy and OpenCV only, no deep-learning framework.

A runner takes a float32 ``(1, 1, H, W)`` array and returns logits of that
shape (eager PyTorch or OpenVINO, :mod:`irstlabel.model.predict`). Keeping
this part free of torch lets a command that predicts through OpenVINO start
without importing torch (about a second of every ``irstlabel predict``).
"""

from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np
from scipy.special import expit

from ..core.curation.steps import fill_resize, unfill_mask
from .inference import MAX_INFERENCE_PIXELS, InferenceSettings

__all__ = ["normalize_frame", "probability_map", "run_tiled", "tile_spans", "tile_shape", "TILE_MARGIN"]


def normalize_frame(image: np.ndarray) -> np.ndarray:
    """Frame -> float32, scaled to [0, 1] by its dtype, standardised per frame."""
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        x = image.astype(np.float32) / float(np.iinfo(image.dtype).max)
    else:
        x = image.astype(np.float32)
    return (x - x.mean()) / (x.std() + 1e-6)


def _to_network(x: np.ndarray, settings: InferenceSettings):
    """The standardised frame as the network sees it, and how to bring a map back to the frame."""
    h, w = x.shape
    if settings.size is not None:
        resized, transform = fill_resize(x, tuple(settings.size))
        return resized, lambda out: unfill_mask(out, transform)
    nh, nw = settings.network_shape((h, w))
    if (nh, nw) == (h, w):
        return x, lambda out: out
    resized = cv2.resize(x, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return resized, lambda out: cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)


TILE_MARGIN = 96  # network-input pixels of context each tile predicts but does not keep


def probability_map(run: Callable[[np.ndarray], np.ndarray], frame: np.ndarray, settings: InferenceSettings, *,
                    max_pixels: int = MAX_INFERENCE_PIXELS, margin: int = TILE_MARGIN) -> np.ndarray:
    """Probability map (float32, the frame's own shape) of a network runner on `frame`.

    `run` takes a float32 (1, 1, H, W) array and returns logits of that
    shape (:class:`EagerRunner`, or the OpenVINO runner). The frame is
    standardised as a whole, resized as `settings` say, and run in one pass
    when that is at most `max_pixels`; a larger input is run in overlapping
    tiles of at most `max_pixels` each, every tile keeping only the part at
    least `margin` pixels from its inner edges (docs/choices.md, "Frames of
    any size"). No pass of the network ever exceeds `max_pixels`.
    """
    x, restore = _to_network(normalize_frame(frame), settings)
    logits = run_tiled(run, np.ascontiguousarray(x, np.float32), max_pixels=max_pixels, margin=margin)
    return restore(expit(logits))


def tile_spans(length: int, tile: int, margin: int) -> list[tuple[int, int, int, int]]:
    """(start, stop, keep_start, keep_stop) of overlapping tiles of `tile` pixels covering `length`.

    Kept parts abut and cover ``[0, length)``; each lies at least `margin`
    from its tile's edges except at the frame's own edges.

    Examples
    --------
    >>> tile_spans(10, 10, 2)
    [(0, 10, 0, 10)]
    >>> tile_spans(10, 6, 1)
    [(0, 6, 0, 5), (4, 10, 5, 10)]
    """
    if length <= tile:
        return [(0, length, 0, length)]
    if tile <= 2 * margin:
        raise ValueError(f"a tile of {tile} pixels cannot keep a margin of {margin} on both sides")
    spans, keep_start = [], 0
    while True:
        start = max(0, min(keep_start - margin, length - tile))
        stop = start + tile
        keep_stop = length if stop >= length else stop - margin
        spans.append((start, stop, keep_start, keep_stop))
        if keep_stop >= length:
            return spans
        keep_start = keep_stop


def tile_shape(shape: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """The tile (H, W) for an input of `shape`: the whole input if it fits, else tiles of at most `max_pixels`."""
    h, w = shape
    if h * w <= max_pixels:
        return h, w
    side = math.isqrt(max_pixels)
    side = side // 32 * 32 if side >= 64 else side  # whole cells of the network's stride-32 level where it can
    th = min(h, side)
    return th, min(w, max_pixels // th)


def run_tiled(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *, max_pixels: int = MAX_INFERENCE_PIXELS,
              margin: int = TILE_MARGIN) -> np.ndarray:
    """Logits (H, W) of `run` over the 2-D input `x`, in one pass or in overlapping tiles of <= `max_pixels`."""
    th, tw = tile_shape(x.shape, max_pixels)
    if (th, tw) == x.shape:
        return np.asarray(run(x[None, None]), np.float32)[0, 0]
    margin = min(margin, (min(th, tw) - 1) // 2)
    out = np.empty(x.shape, np.float32)
    for r0, r1, kr0, kr1 in tile_spans(x.shape[0], th, margin):
        for c0, c1, kc0, kc1 in tile_spans(x.shape[1], tw, margin):
            tile = np.asarray(run(np.ascontiguousarray(x[None, None, r0:r1, c0:c1])), np.float32)[0, 0]
            out[kr0:kr1, kc0:kc1] = tile[kr0 - r0 : kr1 - r0, kc0 - c0 : kc1 - c0]
    return out
