"""The annotation session: the open frame, its working mask, its targets by id, the selection. No Qt.

Views subscribe to its events (plain callbacks, in the spirit of napari's
models); widgets never hold the data themselves. Targets are identified by
id (:mod:`irstlabel.core.labels.target_records`): the selection is an id, so an edit
that adds a target earlier in raster order never moves it to another target.

The session owns every target's status and source while a frame is open
(``FrameState.decisions``) and the store persists exactly the records the
session computed, so the table and the database agree on every number and a
frame is labelled once per edit. A frame whose save fails stays in
``AnnotationSession.unsaved`` with its pixels, statuses and sources until a
later save works: changing frames never drops it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ..core.errors import IrstlabelError
from ..core.labels.target_records import FrameTargets, SavedTargets, changed_ids, frame_targets

__all__ = ["Signal", "Patch", "FrameState", "AnnotationSession"]


class Signal:
    """A list of callbacks: ``connect(fn)``, ``emit(*args)``."""

    def __init__(self):
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


Decision = tuple[str, str]  # (status, source) of a target
UNDECIDED: Decision = ("pending", "dataset")


@dataclass
class Patch:
    """What undo needs: the mask and the id image inside boxes, and the decisions, before and after an edit.

    A status change has no `box`: only its decisions change.
    """

    frame_id: str
    box: tuple[int, int, int, int] | None
    before: np.ndarray | None
    after: np.ndarray | None = None
    ids_box: tuple[int, int, int, int] | None = None
    ids_before: np.ndarray | None = None
    ids_after: np.ndarray | None = None
    decisions_before: dict[int, Decision] = field(default_factory=dict)
    decisions_after: dict[int, Decision] = field(default_factory=dict)


@dataclass
class FrameState:
    frame_id: str
    image: np.ndarray
    original: np.ndarray
    mask: np.ndarray
    saved_mask: np.ndarray  # the mask as the project has it: "changed" means changed since this
    targets: FrameTargets = None
    saved: SavedTargets = field(default_factory=SavedTargets)  # the store's records of saved_mask
    decisions: dict[int, Decision] = field(default_factory=dict)  # id -> (status, source), saved or not
    next_id: int = 1
    selected: int | None = None  # a target id
    dirty: bool = False  # the mask differs from the saved one
    decisions_dirty: bool = False  # a status changed and is not saved yet
    save_failed: str | None = None

    @property
    def unsaved(self) -> bool:
        return self.dirty or self.decisions_dirty

    def decision(self, target_id: int) -> Decision:
        return self.decisions.get(target_id, UNDECIDED)

    def current(self) -> FrameTargets:
        """The targets with their statuses and sources: what the table shows and the store saves."""
        records = tuple(replace(r, status=self.decision(r.id)[0], source=self.decision(r.id)[1])
                        for r in self.targets.records)
        return FrameTargets(self.targets.ids, records)

    def records(self):
        return self.current().records


def _changed_box(before: np.ndarray, after: np.ndarray):
    rows = np.flatnonzero((before != after).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((before[rows[0]:rows[-1] + 1] != after[rows[0]:rows[-1] + 1]).any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


class AnnotationSession:
    """Open frames of a :class:`irstlabel.project.store.Project` and edit their masks.

    ``counts`` tallies the expensive steps (``labelled``: masks labelled into
    targets) so tests and benchmarks can check that an action does each once.
    """

    def __init__(self, project, *, counts: Counter | None = None):
        self.project = project
        self.frame: FrameState | None = None
        self.unsaved: dict[str, FrameState] = {}  # frames left while their save failed, by id
        self.counts: Counter = Counter() if counts is None else counts
        self.frame_changed = Signal()  # (FrameState), once its targets are known
        self.mask_changed = Signal()  # (box)
        self.targets_changed = Signal()  # ()
        self.selection_changed = Signal()  # (id or None)
        self.saved = Signal()  # (frame_id, ok, message)

    @property
    def frame_ids(self):
        return self.project.frame_ids

    @property
    def readonly(self) -> bool:
        return self.project.readonly

    def open_frame(self, frame_id: str) -> FrameState:
        """Save the current frame if it changed, then show `frame_id` (IrstlabelError if unreadable).

        A frame whose save fails is kept, unsaved, in :attr:`unsaved`; opening
        it again shows its unsaved state, not the file's.
        """
        previous = self.frame
        if previous is not None and previous.frame_id == frame_id:
            return previous
        frame = self.unsaved.get(frame_id) or self._load(frame_id)
        if previous is not None and not self.save():
            self.unsaved[previous.frame_id] = previous
        self.unsaved.pop(frame_id, None)
        self.frame = frame
        self.frame_changed.emit(frame)
        return frame

    def _load(self, frame_id: str) -> FrameState:
        image, original, mask = self.project.load_frame(frame_id)
        saved = self.project.saved_targets(frame_id)
        frame = FrameState(frame_id, image, original, mask, saved_mask=mask.copy(), saved=saved,
                           decisions=dict(saved.statuses))
        frame.targets = self._label(frame, known=list(saved.known), next_id=saved.next_id)
        frame.next_id = frame.targets.next_id
        return frame

    def _label(self, frame: FrameState, **identity) -> FrameTargets:
        self.counts["labelled"] += 1
        return frame_targets(frame.image, frame.original, frame.mask, **identity)

    # --- editing --------------------------------------------------------------------

    def edit(self, operation: Callable[[np.ndarray], tuple], *, source: str = "manual") -> Patch | None:
        """Run ``operation(mask) -> box`` on the working mask as one undoable edit."""
        before = self.frame.mask.copy()
        box = operation(self.frame.mask)
        r0, c0, r1, c1 = box
        if r0 >= r1 or c0 >= c1:
            return None
        return self.finish_edit(box, before[r0:r1, c0:c1], source=source)

    def finish_edit(self, box, before: np.ndarray, *, source: str = "manual") -> Patch | None:
        """An edit has changed the mask inside `box` (`before`: that box's pixels before): carry ids, record it."""
        frame = self.frame
        r0, c0, r1, c1 = box
        if np.array_equal(before, frame.mask[r0:r1, c0:c1]):
            return None
        ids_before = frame.targets.ids
        decisions_before = dict(frame.decisions)
        frame.targets = self._label(frame, ids_before=ids_before, next_id=frame.next_id)
        frame.next_id = max(frame.next_id, frame.targets.next_id)
        ids_box = _changed_box(ids_before, frame.targets.ids)
        self._decide_edited(frame, _touched_ids(ids_before, frame.targets.ids, before != frame.mask[r0:r1, c0:c1],
                                                box), source)
        if frame.selected is not None and frame.targets.get(frame.selected) is None:
            frame.selected = None
        frame.dirty = True
        patch = Patch(frame.frame_id, box, before.copy(), frame.mask[r0:r1, c0:c1].copy(), ids_box,
                      decisions_before=decisions_before, decisions_after=dict(frame.decisions))
        if ids_box is not None:
            a0, b0, a1, b1 = ids_box
            patch.ids_before, patch.ids_after = ids_before[a0:a1, b0:b1].copy(), frame.targets.ids[a0:a1, b0:b1].copy()
        self.mask_changed.emit(box)
        self.targets_changed.emit()
        return patch

    def _decide_edited(self, frame: FrameState, touched: set[int], source: str) -> None:
        """Targets an edit touched become ``edited`` from `source`, unless their pixels are back to the saved ones."""
        present = {r.id for r in frame.targets.records}
        for target_id in list(frame.decisions):
            if target_id not in present:
                del frame.decisions[target_id]
        touched &= present
        if not touched:
            return
        back = touched - changed_ids(FrameTargets(frame.targets.ids, tuple(frame.targets.get(i) for i in sorted(touched))),
                                     frame.saved_mask, frame.mask, frame.saved.by_id)
        for target_id in touched:
            if target_id in back:
                frame.decisions[target_id] = frame.saved.statuses.get(target_id, UNDECIDED)
            else:
                frame.decisions[target_id] = ("edited", source)

    def apply_patch(self, patch: Patch, *, undo: bool) -> None:
        """Put a patch's before (undo) or after (redo) state back, ids and decisions included, opening its frame if needed."""
        if self.frame is None or self.frame.frame_id != patch.frame_id:
            self.open_frame(patch.frame_id)
        frame = self.frame
        frame.decisions = dict(patch.decisions_before if undo else patch.decisions_after)
        if patch.box is None:  # a status change
            frame.decisions_dirty = True
            self.targets_changed.emit()
            return
        r0, c0, r1, c1 = patch.box
        frame.mask[r0:r1, c0:c1] = patch.before if undo else patch.after
        ids = frame.targets.ids.copy()
        if patch.ids_box is not None:
            a0, b0, a1, b1 = patch.ids_box
            ids[a0:a1, b0:b1] = patch.ids_before if undo else patch.ids_after
        frame.targets = self._label(frame, ids_before=ids, next_id=frame.next_id)
        if frame.selected is not None and frame.targets.get(frame.selected) is None:
            frame.selected = None
        frame.dirty = not np.array_equal(frame.mask, frame.saved_mask)
        frame.decisions_dirty = True
        self.mask_changed.emit(patch.box)
        self.targets_changed.emit()

    def notify_stroke(self, box) -> None:
        """A stroke is under way: views repaint `box`; targets are recomputed at its end."""
        self.mask_changed.emit(box)

    def lpd_at(self, x: float, y: float, *, reach: int = 48) -> float | None:
        """LPD (current label) of the target under ``(x, y)`` while a stroke is drawn.

        The same function as the records, on a crop: the same number the table
        shows after the stroke, or None while the target (or its original
        label) runs off the crop.
        """
        frame = self.frame
        h, w = frame.mask.shape
        col, row = int(round(x)), int(round(y))
        if not (0 <= row < h and 0 <= col < w) or not frame.mask[row, col]:
            return None
        r0, c0, r1, c1 = max(row - reach, 0), max(col - reach, 0), min(row + reach + 1, h), min(col + reach + 1, w)
        crop = frame_targets(frame.image[r0:r1, c0:c1], frame.original[r0:r1, c0:c1], frame.mask[r0:r1, c0:c1])
        target_id = int(crop.ids[row - r0, col - c0])
        record = crop.get(target_id)
        b0, bc0, b1, bc1 = record.bbox
        inner = (b0 > 1 or r0 == 0) and (bc0 > 1 or c0 == 0) and (b1 < r1 - r0 - 1 or r1 == h) and (bc1 < c1 - c0 - 1 or c1 == w)
        return record.lpd_new if inner else None

    # --- targets --------------------------------------------------------------------

    def target_near(self, x: float, y: float, *, reach: int = 3) -> int | None:
        """The id of the target at ``(x, y)``, or of the nearest one within `reach` pixels."""
        ids = self.frame.targets.ids
        col, row = int(round(x)), int(round(y))
        h, w = ids.shape
        r0, c0, r1, c1 = max(row - reach, 0), max(col - reach, 0), min(row + reach + 1, h), min(col + reach + 1, w)
        if r0 >= r1 or c0 >= c1:
            return None
        rows, cols = np.nonzero(ids[r0:r1, c0:c1])
        if rows.size == 0:
            return None
        k = int(np.argmin((rows + r0 - row) ** 2 + (cols + c0 - col) ** 2))
        return int(ids[rows[k] + r0, cols[k] + c0])

    def select(self, target_id: int | None) -> None:
        if target_id is not None and self.frame.targets.get(target_id) is None:
            target_id = None
        self.frame.selected = target_id
        self.selection_changed.emit(target_id)

    def set_status(self, target_id: int, status: str) -> Patch | None:
        """Decide a target (``accepted``, ``rejected``, ...): an undoable change of its status alone.

        The source stays (who drew the pixels). The caller saves (a decision
        is worth saving at once: with the mask unchanged it is a status-only
        write). Returns the patch (None when nothing changed or there is no
        such target).
        """
        frame = self.frame
        if frame.targets.get(target_id) is None or frame.decision(target_id)[0] == status:
            return None
        before = dict(frame.decisions)
        frame.decisions[target_id] = (status, frame.decision(target_id)[1])
        frame.decisions_dirty = True
        self.targets_changed.emit()
        return Patch(frame.frame_id, None, None, decisions_before=before, decisions_after=dict(frame.decisions))

    # --- saving ---------------------------------------------------------------------

    def save(self) -> bool:
        """Save the open frame and retry every unsaved one; False when one still fails (its message kept)."""
        ok = self._save_frame(self.frame) if self.frame is not None else True
        for frame_id, frame in list(self.unsaved.items()):
            if self._save_frame(frame):
                del self.unsaved[frame_id]
            else:
                ok = False
        return ok

    def unsaved_frames(self) -> list[str]:
        """Ids of the frames holding changes the project does not have yet."""
        current = [self.frame.frame_id] if self.frame is not None and self.frame.unsaved else []
        return current + list(self.unsaved)

    def _save_frame(self, frame: FrameState) -> bool:
        if not frame.unsaved:
            return True
        try:
            if frame.dirty:
                self.project.save_mask(frame.frame_id, frame.mask, targets=frame.current())
            else:
                self.project.save_statuses(frame.frame_id, frame.current())
        except IrstlabelError as exc:
            first = frame.save_failed is None
            frame.save_failed = str(exc)
            self.saved.emit(frame.frame_id, False, str(exc) if first else None)
            return False
        if frame.dirty:
            frame.saved_mask = frame.mask.copy()
        frame.saved = SavedTargets(tuple(r.known() for r in frame.targets.records), dict(frame.decisions))
        frame.dirty = frame.decisions_dirty = False
        frame.save_failed = None
        self.saved.emit(frame.frame_id, True, None)
        return True

    def set_state(self, state: str) -> None:
        self.save()
        self.project.set_frame_state(self.frame.frame_id, state)


def _touched_ids(ids_before: np.ndarray, ids_after: np.ndarray, changed: np.ndarray, box) -> set[int]:
    """Ids of the targets an edit touched: under its changed pixels before or after, as they are after.

    A target that only lost pixels is touched too (a shrinking Canny accept is
    still ``canny``); an id under removed pixels counts when it still exists.
    """
    r0, c0, r1, c1 = box
    found = set(np.unique(ids_after[r0:r1, c0:c1][changed]).tolist())
    found |= set(np.unique(ids_before[r0:r1, c0:c1][changed]).tolist())
    found.discard(0)
    return {int(i) for i in found}
