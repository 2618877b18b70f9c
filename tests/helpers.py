"""Small helpers for writing fixture images in tests."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np


def write_image(path: Path, array: np.ndarray) -> Path:
    """Write `array` with OpenCV (RGB order in, as irstlabel reads it back)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., [2, 1, 0, 3][: array.shape[2]]]
    ok, data = cv2.imencode(path.suffix, array)
    assert ok, path
    path.write_bytes(data.tobytes())
    return path


def write_mask_file(path: Path, mask: np.ndarray) -> Path:
    return write_image(path, np.where(mask, 255, 0).astype(np.uint8))


def blob_mask(shape=(32, 40), boxes=((5, 6, 8, 9),)) -> np.ndarray:
    """A bool mask with a filled rectangle (r0, c0, r1, c1) per box."""
    mask = np.zeros(shape, bool)
    for r0, c0, r1, c1 in boxes:
        mask[r0:r1, c0:c1] = True
    return mask


def strict_loads(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity (not JSON, RFC 8259)."""

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def png_claiming(width: int, height: int) -> bytes:
    import struct

    ok, data = cv2.imencode(".png", np.zeros((4, 4), np.uint8))
    data = bytearray(data.tobytes())
    data[16:24] = struct.pack(">II", width, height)  # IHDR's size; the CRC no longer matches, never read
    return bytes(data)
