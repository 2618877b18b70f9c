"""Overlay layers as 8-bit index images plus colour tables; numpy and OpenCV only.

An overlay is a ``uint8`` image of small indices and a lookup table of RGBA
colours, which pyqtgraph maps in C when it paints (an indexed QImage): no
full-frame RGBA array is built in Python, so switching frames and repainting
strokes stay cheap at 1280x1024.
"""

from __future__ import annotations

import cv2
import numpy as np

COLOURS = {
    "mask": (255, 70, 70),
    "original": (255, 210, 0),
    "edges": (0, 200, 255),
    "proposal": (0, 255, 160),
}


def mask_lut(colour, *, fill_alpha: int, line_alpha: int = 255) -> np.ndarray:
    """Index 0: transparent, 1: inside the mask, 2: on its outline."""
    return np.array([(0, 0, 0, 0), (*colour, fill_alpha), (*colour, line_alpha)], np.uint8)


def outline(mask: np.ndarray) -> np.ndarray:
    """The inner boundary pixels of a mask (8-connected)."""
    u8 = np.ascontiguousarray(mask).view(np.uint8)
    return mask & ~(cv2.erode(u8, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0)


def mask_index(mask: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """0 outside, 1 inside, 2 on the outline (worked out only around the mask's pixels)."""
    mask = np.ascontiguousarray(mask)
    index = np.zeros(mask.shape, np.uint8) if out is None else out
    if out is not None:
        out[...] = 0
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    if w:
        part = mask[y:y + h, x:x + w]
        index[y:y + h, x:x + w] = part.view(np.uint8) + outline(part).view(np.uint8)
    return index


def proposal_index(mask: np.ndarray) -> np.ndarray:
    """1 inside, 2 on the ring of pixels just outside (8-connected): drawn around a target, not over it.

    A small target is all outline, so an inner outline would cover the current
    mask under it; the outer ring leaves every target pixel visible.
    """
    u8 = np.ascontiguousarray(mask).view(np.uint8)
    ring = cv2.dilate(u8, np.ones((3, 3), np.uint8)) > 0
    return u8 + (2 * (ring & ~mask)).astype(np.uint8)


def update_mask_index(index: np.ndarray, mask: np.ndarray, box) -> None:
    """Redraw `index` inside `box` (grown for the outline) after `mask` changed there."""
    h, w = mask.shape
    r0, c0, r1, c1 = max(box[0] - 2, 0), max(box[1] - 2, 0), min(box[2] + 2, h), min(box[3] + 2, w)
    index[r0:r1, c0:c1] = mask_index(mask[r0:r1, c0:c1])


def heat_lut(alpha: int = 200) -> np.ndarray:
    """256 entries for 8-bit probability levels: orange, more opaque as probability grows."""
    p = np.arange(256) / 255.0
    lut = np.zeros((256, 4), np.uint8)
    lut[:, 0] = 255
    lut[:, 1] = (140 * (1 - p)).astype(np.uint8)
    lut[:, 3] = (alpha * p).astype(np.uint8)
    return lut




def centroids(mask: np.ndarray) -> np.ndarray:
    """(x, y) centroids of a mask's 8-connected components (where markers go)."""
    count, _, _, points = cv2.connectedComponentsWithStats(np.ascontiguousarray(mask).view(np.uint8), connectivity=8)
    return points[1:count].astype(float)
