"""Merging datasets into one generic-layout dataset with provenance, and group-preserving splits."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .steps import crop_resize, fill_resize, fill_resize_mask
from ..errors import IrstlabelError
from ..io.paths import staged_folder
from ..io.files import write_bytes_atomic, write_mask
from ..io.jsonio import to_json

__all__ = ["merge_datasets", "group_split", "sequence_of"]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def merge_datasets(sources, out, *, size: tuple[int, int] | None = None, method: str = "fill",
                   progress: Callable[[int, int], None] | None = None) -> dict:
    """Write the frames of several datasets into `out` (images/, masks/, provenance.csv).

    Parameters
    ----------
    sources : sequence of (name, dataset, frame_ids)
        `dataset` is an opened :class:`irstlabel.core.datasets.dataset.Dataset`.
    size : (H, W), keyword-only
        Unify every frame to this size by `method` ("fill" or "crop"); None
        keeps the sizes. Frames of different bit depths are refused (mixing
        8- and 16-bit data in one dataset silently changes what a grey level means).
    """
    out = Path(out)
    if method not in ("fill", "crop"):
        raise IrstlabelError(None, f"unknown method '{method}'; use fill or crop")
    total = sum(len(ids) for _, _, ids in sources)
    if total == 0:
        raise IrstlabelError(out, "nothing to merge: the sources have no frames")
    with staged_folder(out) as stage:
        _write_merged(sources, stage, size, method, progress, total)
    return {"frames": total, "sources": [s[0] for s in sources], "out": str(out)}


def _write_merged(sources, out: Path, size, method, progress, total) -> None:
    (out / "images").mkdir()
    (out / "masks").mkdir()
    rows, dtype, done = [], None, 0
    for name, dataset, frame_ids in sources:
        for frame_id in frame_ids:
            image = dataset.read_frame(frame_id)
            mask = dataset.read_mask(frame_id).mask
            if dtype is None:
                dtype = image.dtype
            elif image.dtype != dtype:
                raise IrstlabelError(dataset.record(frame_id).image_path,
                                     f"frame is {image.dtype} but earlier frames are {dtype}; convert the sources to one bit depth first")
            transform = {"kind": "none"}
            if size is not None:
                if method == "fill":
                    image, fill = fill_resize(image, size)
                    mask = fill_resize_mask(mask, size)
                    transform = {"kind": "fill", "padded": list(fill.padded), "scale": fill.scale}
                else:
                    try:
                        image, mask, crop = crop_resize(image, mask, size)
                    except ValueError as exc:
                        raise IrstlabelError(dataset.record(frame_id).image_path, str(exc)) from None
                    transform = {"kind": "crop", "box": list(crop.box), "scale": crop.scale}
            new_id = f"{_safe(name)}__{_safe(frame_id)}"
            ok, png = cv2.imencode(".png", image)
            write_bytes_atomic(out / "images" / f"{new_id}.png", png.tobytes())
            write_mask(out / "masks" / f"{new_id}.png", mask)
            rows.append({"frame": new_id, "source": name, "original_id": frame_id,
                         "original_image": os.fspath(dataset.record(frame_id).image_path), "transform": to_json(transform)})
            done += 1
            if progress is not None:
                progress(done, total)
    with (out / "provenance.csv").open("w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def sequence_of(frame_id: str) -> str:
    """The sequence a frame belongs to, from its name: the id without its trailing frame number."""
    match = re.match(r"^(.*?)[_-]?\d+$", frame_id)
    return match.group(1) if match and match.group(1) else frame_id


def group_split(frame_ids, *, groups: dict[str, str] | None = None, ratios=(0.6, 0.2, 0.2), seed: int = 0):
    """Seeded train/val/test split that keeps every group (sequence) in one split.

    Groups are shuffled with `seed` and dealt to the split furthest below its
    share; `groups` maps frame id -> group (default :func:`sequence_of`).
    """
    ids = list(frame_ids)
    if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-6 or min(ratios) < 0:
        raise ValueError(f"ratios must be three non-negative numbers summing to 1, got {ratios}")
    members: dict[str, list[str]] = {}
    for frame_id in ids:
        members.setdefault((groups or {}).get(frame_id) or sequence_of(frame_id), []).append(frame_id)
    order = np.random.default_rng(seed).permutation(len(members))
    names = list(members)
    splits = ([], [], [])
    for k in order:
        group = members[names[k]]
        deficits = [ratios[i] * len(ids) - len(splits[i]) for i in range(3)]
        splits[int(np.argmax(deficits))].extend(group)
    return splits
