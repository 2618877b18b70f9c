"""A frame's target records, with identities that survive edits. The one place they are built.

The annotation session (the table on screen) and the project store (the
database) both call :func:`frame_targets` and :func:`merge_statuses`, so a
target's area, box, centroid, LPD and SCR are the same number wherever they
are read.

Identity
    Every target (8-connected component of the current mask) carries an id, a
    positive integer. After an edit, each new component takes the id of the
    earlier target it overlaps most (ties: the smaller id); an id goes to one
    component only, the one overlapping it most (ties: the first in raster order), so a split target keeps its id
    on its larger piece and the other piece gets a new id; merged targets keep
    the id of the one that contributes most pixels. A component overlapping no
    earlier target gets a new id, above every id used before. A frame opened
    for the first time numbers its targets 1, 2, ... in raster order of their
    first pixel; a saved frame takes its ids back from the records by each
    target's first pixel ("anchor").

LPD
    Targets of the original and the current label are paired by overlap, as in
    :func:`irstlabel.core.labels.label_compare.compare_labels` (Table IV): the pieces
    of a split target, or the targets merged into one, form a group, and every
    current target of a group shows the group's LPD under the original and
    under the current label.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .label_compare import compare_group, overlap_groups
from .quality import grown_box, scr
from .targets import find_targets, first_pixels, occupied_regions

__all__ = ["TargetRecord", "FrameTargets", "KnownTarget", "SavedTargets", "frame_targets", "merge_statuses",
           "changed_ids", "merge_with_saved"]


@dataclass(frozen=True)
class KnownTarget:
    """What a saved record says about a target: enough to find it again in the same mask."""

    id: int
    bbox: tuple[int, int, int, int]
    area: int
    anchor: tuple[int, int] | None = None  # (row, col) of its first pixel; None in records written before anchors


@dataclass(frozen=True)
class SavedTargets:
    """What a store holds about a frame's targets: their ids back for the same mask, and statuses."""

    known: tuple[KnownTarget, ...] = ()
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (status, source)

    @property
    def next_id(self) -> int:
        """An id above every id the frame has held (ids are not reused)."""
        return max((t.id for t in self.known), default=0) + 1

    @property
    def by_id(self) -> dict[int, KnownTarget] | None:
        """The known targets by id; None for a frame never saved (compare pixels only)."""
        return {t.id: t for t in self.known} or None


@dataclass(frozen=True)
class TargetRecord:
    """One target of the current mask, in frame coordinates."""

    id: int
    area: int
    bbox: tuple[int, int, int, int]  # (r0, c0, r1, c1), max exclusive
    centroid: tuple[float, float]  # (x, y)
    anchor: tuple[int, int]  # (row, col) of the first pixel in raster order
    lpd_old: float | None  # LPD of the original label of this target's group (None: an added target)
    lpd_new: float
    change: str  # increased, constant, decreased or added
    scr: float
    parts: int = 1  # current targets in this target's LPD group
    status: str = "pending"
    source: str = "dataset"

    def known(self) -> KnownTarget:
        return KnownTarget(self.id, self.bbox, self.area, self.anchor)


@dataclass(frozen=True)
class FrameTargets:
    """The records of a frame (raster order of their anchors) and the id image they were built with."""

    ids: np.ndarray  # int32 (H, W): 0 background, else the target's id
    records: tuple[TargetRecord, ...]

    def __len__(self) -> int:
        return len(self.records)

    def get(self, target_id: int | None) -> TargetRecord | None:
        return next((r for r in self.records if r.id == target_id), None)

    def index(self, target_id: int | None) -> int | None:
        return next((k for k, r in enumerate(self.records) if r.id == target_id), None)

    def mask_of(self, target_id: int) -> np.ndarray:
        return self.ids == target_id

    @property
    def next_id(self) -> int:
        return max((r.id for r in self.records), default=0) + 1


@dataclass
class _Part:
    """A component of the current mask while records are built."""

    bbox: tuple[int, int, int, int]
    pixels: np.ndarray  # bool, the bbox's shape
    area: int
    centroid: tuple[float, float]
    anchor: tuple[int, int]
    group: object  # the LpdChange of its overlap group
    parts: int
    id: int = 0


def frame_targets(
    image: np.ndarray,
    mask_original: np.ndarray,
    mask: np.ndarray,
    *,
    ids_before: np.ndarray | None = None,
    known: list[KnownTarget] | None = None,
    next_id: int = 1,
    scr_margin: int = 20,
    lpd_margin: int = 1,
    connectivity: int = 8,
) -> FrameTargets:
    """Label `mask` once and build every target's record.

    Parameters
    ----------
    image : ndarray, (H, W)
        The frame.
    mask_original : ndarray of bool, (H, W)
        The dataset's label (LPD "old").
    mask : ndarray of bool, (H, W)
        The current label.
    ids_before : ndarray of int, (H, W), keyword-only
        The id image before the edit that produced `mask`: ids are carried by
        overlap (see the module's docstring).
    known : list of KnownTarget, keyword-only
        Saved records of exactly this mask: ids are taken back by anchor (or,
        for records without one, by box and area).
    next_id : int, keyword-only
        The smallest id a new target may take (ids are never reused in a frame).
    scr_margin, lpd_margin : int, keyword-only
        See :func:`irstlabel.core.labels.quality.scr` and :func:`~irstlabel.core.labels.quality.lpd`.

    Examples
    --------
    >>> img = np.zeros((9, 12)); img[2, 2] = img[6, 9] = 10.0
    >>> old = np.zeros((9, 12), bool); old[2, 2] = old[6, 9] = True
    >>> first = frame_targets(img, old, old)
    >>> [(r.id, r.anchor) for r in first.records]
    [(1, (2, 2)), (2, (6, 9))]
    >>> new = old.copy(); new[2, 2] = False; new[0, 10] = True   # delete target 1, add one
    >>> [(r.id, r.anchor, r.change) for r in frame_targets(img, old, new, ids_before=first.ids, next_id=3).records]
    [(3, (0, 10), 'added'), (2, (6, 9), 'constant')]
    """
    image = np.asarray(image)
    mask_original = np.asarray(mask_original, bool)
    mask = np.asarray(mask, bool)
    if not (image.ndim == 2 and image.shape == mask_original.shape == mask.shape):
        raise ValueError(f"image {image.shape}, mask_original {mask_original.shape} and mask {mask.shape} "
                         "must be the same 2-D size")
    if ids_before is not None and np.shape(ids_before) != mask.shape:
        raise ValueError(f"ids_before {np.shape(ids_before)} must be the size of mask {mask.shape}")
    parts = _parts(image, mask_original, mask, lpd_margin, connectivity)
    _assign_ids(parts, ids_before, known, next_id)
    ids = np.zeros(mask.shape, np.int32)
    for part in parts:
        r0, c0, r1, c1 = part.bbox
        ids[r0:r1, c0:c1][part.pixels] = part.id
    records = tuple(_record(part, image, mask, ids, scr_margin) for part in parts)
    return FrameTargets(ids, records)


def _parts(image, mask_original, mask, lpd_margin, connectivity) -> list[_Part]:
    parts = []
    for region in occupied_regions(mask_original, mask):
        old = find_targets(region.crop(mask_original), connectivity=connectivity)
        new = find_targets(region.crop(mask), connectivity=connectivity)
        if not len(new):
            continue
        firsts = first_pixels(new)
        r_off, c_off = region.offset
        for old_ids, new_ids in overlap_groups(old, new):
            if not new_ids:
                continue  # a target of the original label that is gone
            group = compare_group(image, region.box, old, new, old_ids, new_ids, lpd_margin, 0.0, None)
            for b in new_ids:
                b0, bc0, b1, bc1 = (int(v) for v in new.bbox[b - 1])
                parts.append(_Part(
                    bbox=(b0 + r_off, bc0 + c_off, b1 + r_off, bc1 + c_off),
                    pixels=new.labels[b0:b1, bc0:bc1] == b,
                    area=int(new.area[b - 1]),
                    centroid=(float(new.centroid[b - 1][0] + c_off), float(new.centroid[b - 1][1] + r_off)),
                    anchor=(int(firsts[b - 1][0] + r_off), int(firsts[b - 1][1] + c_off)),
                    group=group, parts=len(new_ids)))
    parts.sort(key=lambda p: p.anchor)
    return parts


def _assign_ids(parts: list[_Part], ids_before, known, next_id: int) -> None:
    """Give each part an id: by overlap with `ids_before`, else by `known` anchors, else a new one."""
    candidates = []  # (overlap, -id, part index, id)
    if ids_before is not None:
        for k, part in enumerate(parts):
            r0, c0, r1, c1 = part.bbox
            values, counts = np.unique(np.asarray(ids_before)[r0:r1, c0:c1][part.pixels], return_counts=True)
            candidates += [(int(n), -int(v), k, int(v)) for v, n in zip(values, counts) if v > 0]
    elif known:
        by_anchor = {t.anchor: t.id for t in known if t.anchor is not None}
        by_shape = {(tuple(int(v) for v in t.bbox), int(t.area)): t.id for t in known if t.anchor is None}
        for k, part in enumerate(parts):
            found = by_anchor.get(part.anchor, by_shape.get((part.bbox, part.area)))
            if found is not None:
                candidates.append((part.area, -found, k, found))
    taken: set[int] = set()
    # the largest overlap first; ties: the smaller id, then the part first in raster order
    for _, _, k, target_id in sorted(candidates, key=lambda c: (-c[0], c[3], c[2])):
        if parts[k].id == 0 and target_id not in taken:
            parts[k].id = target_id
            taken.add(target_id)
    used = [int(np.max(ids_before))] if ids_before is not None and np.size(ids_before) else []
    used += [t.id for t in known or ()]
    fresh = max([next_id - 1, *used]) + 1
    for part in parts:
        if part.id == 0:
            part.id, fresh = fresh, fresh + 1


def _record(part: _Part, image, mask, ids, scr_margin: int) -> TargetRecord:
    window = grown_box(part.bbox, scr_margin, mask.shape)
    r0, c0, r1, c1 = window
    own = ids[r0:r1, c0:c1] == part.id
    contrast = scr(image[r0:r1, c0:c1], own, margin=scr_margin, mask_exclude=mask[r0:r1, c0:c1] & ~own)
    group = part.group
    return TargetRecord(
        id=part.id, area=part.area, bbox=part.bbox, centroid=part.centroid, anchor=part.anchor,
        lpd_old=group.lpd_old, lpd_new=group.lpd_new, change=group.change, scr=contrast, parts=part.parts)


def changed_ids(targets: FrameTargets, mask_before: np.ndarray | None, mask_after: np.ndarray,
                previous: dict[int, KnownTarget] | None = None) -> set[int]:
    """Ids of the targets whose pixels differ from `mask_before` (all of them when it is None).

    A target is unchanged when `mask_before` equals `mask_after` on its box
    grown by one pixel (so nothing joined it either) and, when `previous`
    records are given, its record there has the same box and area.
    """
    changed = set()
    h, w = mask_after.shape
    for record in targets.records:
        before = (previous or {}).get(record.id)
        if previous is not None and (before is None or tuple(before.bbox) != record.bbox or before.area != record.area):
            changed.add(record.id)
            continue
        if mask_before is None:
            if previous is None:
                changed.add(record.id)
            continue
        r0, c0, r1, c1 = grown_box(record.bbox, 1, (h, w))
        if not np.array_equal(mask_before[r0:r1, c0:c1], mask_after[r0:r1, c0:c1]):
            changed.add(record.id)
    return changed


def merge_statuses(targets: FrameTargets, changed: set[int], previous: dict[int, tuple[str, str]], *,
                   sources: dict[int, str] | None = None, source: str = "manual") -> FrameTargets:
    """Statuses and sources: kept for unchanged targets, ``edited`` with the edit's source for changed ones.

    `previous` maps an id to its saved ``(status, source)``; an unchanged
    target with no saved record is ``pending`` from the ``dataset``. A changed
    target's source is ``sources[id]`` when the editor knows which edit
    changed it, else `source`.
    """
    records = []
    for record in targets.records:
        if record.id in changed:
            status, origin = "edited", (sources or {}).get(record.id, source)
        else:
            status, origin = previous.get(record.id, ("pending", "dataset"))
        records.append(replace(record, status=status, source=origin))
    return FrameTargets(targets.ids, tuple(records))


def merge_with_saved(targets: FrameTargets, saved: SavedTargets, mask_before: np.ndarray | None,
                     mask_after: np.ndarray, *, sources: dict[int, str] | None = None,
                     source: str = "manual") -> FrameTargets:
    """:func:`changed_ids` against the saved mask and records, then :func:`merge_statuses` with the saved statuses."""
    changed = changed_ids(targets, mask_before, mask_after, saved.by_id)
    return merge_statuses(targets, changed, saved.statuses, sources=sources, source=source)
