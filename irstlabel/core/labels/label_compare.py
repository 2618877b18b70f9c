"""Comparing two label sets of a frame target by target (the paper's Table IV).

Targets of the old and the new label are paired by overlap: the connected
components of both masks that overlap one another (directly or through a
chain) form one group, so a target split into two, or two merged into one
(Fig. 6c), is compared as one target. A group with only new pixels is
``added``; one with only old pixels is ``removed``. For each group, LPD of the
old and of the new label is computed over the same rectangle (the one that
wraps both labels, :func:`irstlabel.core.labels.quality.lpd`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .quality import grown_box, lpd
from .targets import find_targets, occupied_regions

__all__ = ["LpdChange", "compare_labels", "summarize_changes", "CHANGE_KINDS"]

CHANGE_KINDS = ("increased", "constant", "decreased", "added", "removed")


@dataclass(frozen=True)
class LpdChange:
    """One target's LPD under the old and the new label."""

    frame_id: str | None
    centroid: tuple[float, float]  # (x, y) of the union of both labels
    bbox: tuple[int, int, int, int]  # (r0, c0, r1, c1) of the union
    old_parts: int
    new_parts: int
    lpd_old: float | None
    lpd_new: float | None
    change: str

    def as_dict(self) -> dict:
        return {
            "frame": self.frame_id,
            "x": self.centroid[0],
            "y": self.centroid[1],
            "bbox": list(self.bbox),
            "old_parts": self.old_parts,
            "new_parts": self.new_parts,
            "lpd_old": self.lpd_old,
            "lpd_new": self.lpd_new,
            "change": self.change,
        }


def overlap_groups(old, new) -> list[tuple[list[int], list[int]]]:
    """Components of the overlap graph: (old labels, new labels) per group, 1-based."""
    parent = list(range(len(old) + len(new) + 1))

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    both = (old.labels > 0) & (new.labels > 0)
    for a, b in set(zip(old.labels[both].tolist(), new.labels[both].tolist())):
        parent[find(a)] = find(len(old) + b)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for a in range(1, len(old) + 1):
        groups.setdefault(find(a), ([], []))[0].append(a)
    for b in range(1, len(new) + 1):
        groups.setdefault(find(len(old) + b), ([], []))[1].append(b)
    return list(groups.values())


def _status(old: float | None, new: float | None, tolerance: float) -> str:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if np.isnan(old) or np.isnan(new) or abs(new - old) <= tolerance:
        return "constant"
    return "increased" if new > old else "decreased"


def _group_mask(labels, ids, box, crop_box):
    """The pixels of components `ids` (labelled within `box`) over the frame window `crop_box`."""
    if not ids:
        return None
    b0, bc0, _, _ = box
    r0, c0, r1, c1 = crop_box
    out = np.zeros((r1 - r0, c1 - c0), bool)
    ir0, ic0 = max(r0, b0), max(c0, bc0)
    ir1, ic1 = min(r1, b0 + labels.shape[0]), min(c1, bc0 + labels.shape[1])
    out[ir0 - r0 : ir1 - r0, ic0 - c0 : ic1 - c0] = np.isin(labels[ir0 - b0 : ir1 - b0, ic0 - bc0 : ic1 - bc0], ids)
    return out


def compare_group(image, box, old, new, old_ids, new_ids, margin, tolerance, frame_id) -> LpdChange:
    b0, bc0 = box[0], box[1]
    boxes = [old.bbox[a - 1] for a in old_ids] + [new.bbox[b - 1] for b in new_ids]
    low, high = np.min(boxes, axis=0)[:2], np.max(boxes, axis=0)[2:]
    target_box = (int(low[0]) + b0, int(low[1]) + bc0, int(high[0]) + b0, int(high[1]) + bc0)
    # Work on the rectangle grown by the margin: LPD never looks further.
    crop_box = grown_box(target_box, margin, image.shape)
    r0, c0, r1, c1 = crop_box
    crop = image[r0:r1, c0:c1]
    old_mask = _group_mask(old.labels, old_ids, box, crop_box)
    new_mask = _group_mask(new.labels, new_ids, box, crop_box)
    lpd_old = None if old_mask is None else lpd(crop, old_mask, mask_reference=new_mask, margin=margin)
    lpd_new = None if new_mask is None else lpd(crop, new_mask, mask_reference=old_mask, margin=margin)
    union = np.zeros(crop.shape, bool)
    for part in (old_mask, new_mask):
        if part is not None:
            union |= part
    rows, cols = np.nonzero(union)
    return LpdChange(
        frame_id=frame_id,
        centroid=(float(cols.mean() + c0), float(rows.mean() + r0)),
        bbox=target_box,
        old_parts=len(old_ids),
        new_parts=len(new_ids),
        lpd_old=lpd_old,
        lpd_new=lpd_new,
        change=_status(lpd_old, lpd_new, tolerance),
    )


def compare_labels(
    image: np.ndarray,
    mask_old: np.ndarray,
    mask_new: np.ndarray,
    *,
    margin: int = 1,
    tolerance: float = 0.0,
    connectivity: int = 8,
    frame_id: str | None = None,
) -> list[LpdChange]:
    """LPD of every target under an old and a new label.

    Parameters
    ----------
    image : ndarray, (H, W)
    mask_old, mask_new : ndarray of bool, (H, W)
    margin : int, keyword-only
        See :func:`irstlabel.core.labels.quality.lpd`.
    tolerance : float, keyword-only
        Differences of at most this much count as ``constant`` (0: only
        identical LPDs do, which identical labels always give).

    Examples
    --------
    >>> img = np.zeros((9, 9)); img[4, 4] = 10.0; img[4, 5] = 2.0
    >>> old = np.zeros((9, 9), bool); old[4, 4:6] = True
    >>> new = np.zeros((9, 9), bool); new[4, 4] = True
    >>> [c.change for c in compare_labels(img, old, new)]
    ['increased']
    """
    mask_old = np.asarray(mask_old, bool)
    mask_new = np.asarray(mask_new, bool)
    if not (np.shape(image) == mask_old.shape == mask_new.shape):
        raise ValueError("image, mask_old and mask_new must have the same size")
    image = np.asarray(image)
    changes = []
    # Targets never span two occupied regions: each region is compared on its own, which
    # spares labelling whole 1280x1024 frames.
    for region in occupied_regions(mask_old, mask_new):
        old = find_targets(region.crop(mask_old), connectivity=connectivity)
        new = find_targets(region.crop(mask_new), connectivity=connectivity)
        for old_ids, new_ids in overlap_groups(old, new):
            changes.append(compare_group(image, region.box, old, new, old_ids, new_ids, margin, tolerance, frame_id))
    changes.sort(key=lambda c: (c.bbox[0], c.bbox[1]))
    return changes


def summarize_changes(changes) -> dict:
    """Counts per kind of change, and Table IV's two rows.

    In Table IV a label set's "increase" is the number of targets whose LPD is
    higher under that set than under the other.
    """
    counts = {kind: 0 for kind in CHANGE_KINDS}
    for change in changes:
        counts[change.change] += 1
    return {
        "targets": len(changes),
        **counts,
        "table": {
            "old": {"increase": counts["decreased"], "constant": counts["constant"], "decrease": counts["increased"]},
            "new": {"increase": counts["increased"], "constant": counts["constant"], "decrease": counts["decreased"]},
        },
    }
