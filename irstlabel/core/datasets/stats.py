"""Dataset statistics in the form of the paper's Table V and Fig. 8.

Per target: pixel count, bounding-box height and width, SCR (with the other
targets of the frame kept out of its background), and its share of the frame.
Per frame: the share of the frame covered by targets.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..labels.quality import scr
from ..labels.targets import find_targets

__all__ = ["SHARE_BINS_PERCENT", "target_records", "summarize_targets", "dataset_statistics"]

# bin edges, in percent of the frame (Fig. 8c: "less than 0.005% of the entire image")
SHARE_BINS_PERCENT = (0.0, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, math.inf)


def target_records(image: np.ndarray, mask: np.ndarray, *, scr_margin: int = 20) -> list[dict]:
    """One record per target of a frame: area, height, width, scr, share (%)."""
    targets = find_targets(mask)
    records = []
    for k in range(len(targets)):
        r0, c0, r1, c1 = (int(v) for v in targets.bbox[k])
        # SCR needs only the target's neighbourhood: crop it instead of scanning the frame
        g0, h0 = max(r0 - scr_margin, 0), max(c0 - scr_margin, 0)
        g1, h1 = min(r1 + scr_margin, mask.shape[0]), min(c1 + scr_margin, mask.shape[1])
        labels = targets.labels[g0:g1, h0:h1]
        own = labels == k + 1
        value = scr(image[g0:g1, h0:h1], own, margin=scr_margin, mask_exclude=(labels > 0) & ~own)
        records.append(
            {
                "area": int(targets.area[k]),
                "height": r1 - r0,
                "width": c1 - c0,
                "scr": value,
                "share": 100.0 * int(targets.area[k]) / mask.size,
            }
        )
    return records


def _histogram(values, edges) -> list[dict]:
    counts = np.histogram(np.asarray(values, float), bins=np.asarray(edges))[0] if len(values) else [0] * (len(edges) - 1)
    total = max(len(values), 1)
    return [
        {"from": edges[i], "to": edges[i + 1], "count": int(c), "share": int(c) / total}
        for i, c in enumerate(counts)
    ]


def summarize_targets(records: list[dict], frame_shares: list[float], frames: int) -> dict:
    """Table V figures from per-target records and per-frame target shares (%)."""
    out = {"frames": frames, "targets": len(records)}
    if not records:
        return out
    area = np.array([r["area"] for r in records])
    height = np.array([r["height"] for r in records])
    width = np.array([r["width"] for r in records])
    scrs = np.array([r["scr"] for r in records], float)
    finite = scrs[np.isfinite(scrs)]
    out.update(
        {
            "pixels": {"min": int(area.min()), "max": int(area.max()), "mean": float(area.mean())},
            "size": {
                "min": [int(height.min()), int(width.min())],
                "max": [int(height.max()), int(width.max())],
                "mean": [float(height.mean()), float(width.mean())],
                "order": "height x width",
            },
            "scr": {
                "min": float(finite.min()) if finite.size else None,
                "max": float(finite.max()) if finite.size else None,
                "mean": float(finite.mean()) if finite.size else None,
                "infinite": int((~np.isfinite(scrs)).sum()),
            },
            "frame_share_bins": _histogram(frame_shares, SHARE_BINS_PERCENT),
            "target_share_bins": _histogram([r["share"] for r in records], SHARE_BINS_PERCENT),
        }
    )
    return out


def dataset_statistics(dataset, frame_ids, *, scr_margin: int = 20, progress: Callable[[int, int], None] | None = None,
                       keep_records: bool = False) -> dict:
    """Table V for the frames `frame_ids` of an opened dataset.

    With `keep_records`, the per-target records and per-frame shares are
    returned too (``records``, ``frame_shares``), for histograms.
    """
    records, shares = [], []
    for done, frame_id in enumerate(frame_ids, 1):
        image = dataset.read_frame(frame_id)
        mask = dataset.read_mask(frame_id).mask
        frame_records = target_records(image, mask, scr_margin=scr_margin)
        records.extend(frame_records)
        shares.append(sum(r["share"] for r in frame_records))
        if progress is not None:
            progress(done, len(frame_ids))
    summary = summarize_targets(records, shares, len(frame_ids))
    if keep_records:
        summary["records"], summary["frame_shares"] = records, shares
    return summary
