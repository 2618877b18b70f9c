"""The annotation session: which frame is open, its working mask, what is selected. No Qt here.

Views subscribe to its events (plain callbacks, in the spirit of napari's
models); widgets never hold the data themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..core.errors import IrstlabelError
from ..core.quality import lpd
from ..core.targets import Targets, find_targets


class Signal:
    """A list of callbacks: ``connect(fn)``, ``emit(*args)``."""

    def __init__(self):
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


@dataclass
class Patch:
    """A rectangle of a mask before and after an edit (what undo needs)."""

    frame_id: str
    box: tuple[int, int, int, int]
    before: np.ndarray
    after: np.ndarray | None = None


@dataclass
class FrameState:
    frame_id: str
    image: np.ndarray
    original: np.ndarray
    mask: np.ndarray
    dirty: bool = False
    targets: Targets | None = None
    selected: int | None = None
    save_failed: str | None = None
    extra: dict = field(default_factory=dict)


class AnnotationSession:
    """Open frames of a :class:`irstlabel.project.store.Project` and edit their masks."""

    def __init__(self, project):
        self.project = project
        self.frame: FrameState | None = None
        self.frame_changed = Signal()  # (FrameState)
        self.mask_changed = Signal()  # (box)
        self.targets_changed = Signal()  # ()
        self.selection_changed = Signal()  # (index or None)
        self.saved = Signal()  # (frame_id, ok, message)

    @property
    def frame_ids(self):
        return self.project.frame_ids

    def open_frame(self, frame_id: str) -> FrameState:
        """Save the current frame if it changed, then load `frame_id` (IrstlabelError if unreadable)."""
        if self.frame is not None and self.frame.frame_id != frame_id:
            self.save()
        image = self.project.dataset.read_frame(frame_id)
        original = self.project.original_mask(frame_id)
        mask = self.project.load_mask(frame_id)
        self.frame = FrameState(frame_id, image, original, mask)
        self._refresh_targets()
        self.frame_changed.emit(self.frame)
        return self.frame

    # --- editing --------------------------------------------------------------------

    def begin_edit(self, box) -> Patch:
        r0, c0, r1, c1 = box
        return Patch(self.frame.frame_id, box, self.frame.mask[r0:r1, c0:c1].copy())

    def end_edit(self, patch: Patch) -> Patch:
        r0, c0, r1, c1 = patch.box
        patch.after = self.frame.mask[r0:r1, c0:c1].copy()
        self.frame.dirty = True
        self._refresh_targets()
        return patch

    def edit(self, operation: Callable[[np.ndarray], tuple]) -> Patch | None:
        """Run ``operation(mask) -> box`` on the working mask as one undoable edit."""
        before = self.frame.mask.copy()
        box = operation(self.frame.mask)
        r0, c0, r1, c1 = box
        if r0 >= r1 or c0 >= c1:
            return None
        patch = Patch(self.frame.frame_id, box, before[r0:r1, c0:c1].copy())
        self.end_edit(patch)
        self.mask_changed.emit(box)
        return patch

    def apply_patch(self, patch: Patch, *, undo: bool) -> None:
        """Put a patch's before (undo) or after (redo) state back, opening its frame if needed."""
        if self.frame is None or self.frame.frame_id != patch.frame_id:
            self.open_frame(patch.frame_id)
        r0, c0, r1, c1 = patch.box
        self.frame.mask[r0:r1, c0:c1] = patch.before if undo else patch.after
        self.frame.dirty = True
        self._refresh_targets()
        self.mask_changed.emit(patch.box)

    def notify_stroke(self, box) -> None:
        """A stroke is under way: views repaint `box`; targets are recomputed at its end."""
        self.mask_changed.emit(box)

    def lpd_at(self, x: float, y: float, *, reach: int = 48) -> float | None:
        """LPD of the target under ``(x, y)`` in the working mask, from a crop (cheap during strokes)."""
        frame = self.frame
        h, w = frame.mask.shape
        col, row = int(round(x)), int(round(y))
        r0, c0, r1, c1 = max(row - reach, 0), max(col - reach, 0), min(row + reach + 1, h), min(col + reach + 1, w)
        if not (r0 <= row < r1 and c0 <= col < c1) or not frame.mask[row, col]:
            return None
        crop = frame.mask[r0:r1, c0:c1]
        labels = find_targets(crop).labels
        own = labels == labels[row - r0, col - c0]
        if own[0].any() or own[-1].any() or own[:, 0].any() or own[:, -1].any():
            return None  # the target runs off the crop: wait for the stroke's end
        return lpd(frame.image[r0:r1, c0:c1], own)

    # --- targets --------------------------------------------------------------------

    def _refresh_targets(self) -> None:
        self.frame.targets = find_targets(self.frame.mask)
        if self.frame.selected is not None and self.frame.selected >= len(self.frame.targets):
            self.frame.selected = None
        self.targets_changed.emit()

    def select(self, index: int | None) -> None:
        self.frame.selected = index
        self.selection_changed.emit(index)

    # --- saving ---------------------------------------------------------------------

    def save(self) -> bool:
        """Save the working mask if it changed; False (and the message kept) on failure."""
        frame = self.frame
        if frame is None or not frame.dirty:
            return True
        try:
            self.project.save_mask(frame.frame_id, frame.mask, source=frame.extra.get("source", "manual"))
        except IrstlabelError as exc:
            first = frame.save_failed is None
            frame.save_failed = str(exc)
            self.saved.emit(frame.frame_id, False, str(exc) if first else None)
            return False
        frame.dirty = False
        frame.save_failed = None
        self.saved.emit(frame.frame_id, True, None)
        return True

    def set_state(self, state: str) -> None:
        self.save()
        self.project.set_frame_state(self.frame.frame_id, state)


def target_rows(frame: FrameState, records: list[dict] | None = None, *, scr_margin: int = 20) -> list[dict]:
    """Rows of the target table for the working mask, computed on crops around each target.

    `records` are the project's saved target records of the frame (status and
    source are taken from the one whose centroid is nearest).
    """
    from ..core.quality import scr

    targets = frame.targets
    rows = []
    h, w = frame.mask.shape
    for k in range(len(targets)):
        r0, c0, r1, c1 = (int(v) for v in targets.bbox[k])
        g0, h0, g1, h1 = max(r0 - scr_margin, 0), max(c0 - scr_margin, 0), min(r1 + scr_margin, h), min(c1 + scr_margin, w)
        labels = targets.labels[g0:g1, h0:h1]
        own = labels == k + 1
        image = frame.image[g0:g1, h0:h1]
        near = np.zeros(own.shape, bool)
        near[max(r0 - g0 - 2, 0) : r1 - g0 + 2, max(c0 - h0 - 2, 0) : c1 - h0 + 2] = True
        original = frame.original[g0:g1, h0:h1] & near
        reference = original if original.any() else None
        lpd_new = lpd(image, own, mask_reference=reference)
        lpd_old = lpd(image, original, mask_reference=own) if reference is not None else None
        x, y = targets.centroid[k]
        record = _nearest(records, x, y)
        rows.append({
            "index": k, "area": int(targets.area[k]), "x": float(x), "y": float(y),
            "size": (r1 - r0, c1 - c0), "origin": (c0, r0),
            "scr": scr(image, own, margin=scr_margin, mask_exclude=(labels > 0) & ~own),
            "lpd_old": lpd_old, "lpd_new": lpd_new,
            "status": record["status"] if record else ("pending" if not frame.dirty else "edited"),
            "source": record["source"] if record else "dataset",
        })
    return rows


def _nearest(records, x, y, reach: float = 3.0):
    best, best_d = None, reach
    for record in records or ():
        d = float(np.hypot(record["x"] - x, record["y"] - y))
        if d <= best_d:
            best, best_d = record, d
    return best
