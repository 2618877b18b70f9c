"""Overlay images (RGBA) built from masks and maps; numpy and OpenCV only."""

from __future__ import annotations

import cv2
import numpy as np

COLOURS = {
    "mask": (255, 70, 70),
    "original": (255, 210, 0),
    "edges": (0, 200, 255),
    "proposal": (0, 255, 160),
}


def fill_rgba(mask: np.ndarray, colour, alpha: int, out: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros(mask.shape + (4,), np.uint8) if out is None else out
    out[...] = 0
    out[mask] = (*colour, alpha)
    return out


def outline(mask: np.ndarray) -> np.ndarray:
    """The inner boundary pixels of a mask (8-connected)."""
    u8 = mask.view(np.uint8)
    return mask & ~(cv2.erode(u8, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0)


def mask_rgba(mask: np.ndarray, colour, *, fill_alpha: int, line_alpha: int = 255, out=None) -> np.ndarray:
    """Fill plus outline of a mask in one RGBA image."""
    out = fill_rgba(mask, colour, fill_alpha, out)
    out[outline(mask)] = (*colour, line_alpha)
    return out


def update_mask_rgba(rgba: np.ndarray, mask: np.ndarray, box, colour, *, fill_alpha: int, line_alpha: int = 255) -> None:
    """Redraw `rgba` inside `box` (grown by one pixel for the outline) after `mask` changed there."""
    h, w = mask.shape
    r0, c0, r1, c1 = max(box[0] - 2, 0), max(box[1] - 2, 0), min(box[2] + 2, h), min(box[3] + 2, w)
    sub = mask[r0:r1, c0:c1]
    mask_rgba(np.ascontiguousarray(sub), colour, fill_alpha=fill_alpha, line_alpha=line_alpha, out=rgba[r0:r1, c0:c1])


def heat_rgba(probability: np.ndarray, *, alpha: int = 200) -> np.ndarray:
    """A probability map as an orange heat overlay whose opacity follows the probability."""
    p = np.clip(probability.astype(np.float32), 0, 1)
    out = np.zeros(p.shape + (4,), np.uint8)
    out[..., 0] = 255
    out[..., 1] = (140 * (1 - p)).astype(np.uint8)
    out[..., 3] = (alpha * p).astype(np.uint8)
    return out
