"""Moving between frames: opening, stepping in the list's order, go-to, resuming, the frame list's rows.

A frame that cannot be read never strands the user: opening it says why once
and the list goes back to the frame on screen; stepping walks past it.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.errors import IrstlabelError, display_path
from ..core.io.files import read_mask
from ..core.labels.targets import count_targets


PREFETCH_DELAY_MS = 40


class _Counts(QObject):
    """Carries target counts from the helper thread to the GUI thread (a queued signal)."""

    ready = Signal(dict)


class FrameController:
    def __init__(self, session, frame_list, status, settings, *, show_error):
        self.session, self.project = session, session.project
        self.frame_list, self.status, self.settings = frame_list, status, settings
        self.show_error = show_error
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self._counter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="count-targets")  # never delays prefetch
        self._counts = _Counts()
        self._counting: list = []
        self._prefetch_timer = QTimer(self._counts)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(PREFETCH_DELAY_MS)
        self._prefetch_timer.timeout.connect(self._prefetch_current)
        self._counts.ready.connect(frame_list.set_target_counts)
        session.frame_changed.connect(self._frame_changed)
        session.saved.connect(self._saved)
        frame_list.frame_activated.connect(self.open)
        frame_list.not_found.connect(lambda text: status.say(f"No frame name holds '{text}'"))
        frame_list.set_rows(self.project.frame_summary())
        self._count_unedited()

    # --- opening and stepping -----------------------------------------------------------

    def open(self, frame_id: str) -> bool:
        """Open a frame; on failure say why (once), keep the one on screen and its row selected."""
        problem = self._try_open(frame_id)
        if problem is not None:
            self.show_error("Cannot open this frame", problem)
        return problem is None

    def _try_open(self, frame_id: str) -> str | None:
        """Open a frame quietly; the one-line reason when it cannot be read (the one on screen stays)."""
        frame = self.session.frame
        if frame is not None and frame.frame_id == frame_id:
            return None
        try:
            self.session.open_frame(frame_id)
        except IrstlabelError as exc:
            if frame is not None:
                self.frame_list.select(frame.frame_id)
            return str(exc)
        return None

    def walk_order(self) -> list[str]:
        """The frames in the order the list shows them (filtered and sorted), else the dataset's."""
        return self.frame_list.visible_ids() or list(self.project.frame_ids)

    def step(self, step: int) -> bool:
        """Open the next (or previous) readable frame in the list's order; unreadable ones are passed by."""
        ids = self.walk_order()
        current = self.session.frame.frame_id if self.session.frame else None
        k = ids.index(current) if current in ids else -1
        skipped = []
        while 0 <= k + step < len(ids):
            k += step
            problem = self._try_open(ids[k])
            if problem is None:
                if skipped:
                    self.status.say(f"Passed {len(skipped)} unreadable frame{'s' if len(skipped) > 1 else ''}: "
                                    + "; ".join(skipped), 10000)
                return True
            skipped.append(f"{display_path(ids[k])} ({problem})")
        if skipped:
            self.status.say("No readable frame further on: " + "; ".join(skipped), 10000)
        return False

    def go_to(self) -> None:
        self.frame_list.search.setFocus()
        self.frame_list.search.selectAll()

    def set_state_and_next(self, state: str) -> None:
        """D / F: mark the frame, then go on to the next one."""
        frame = self.session.frame
        if frame is None:
            return
        try:
            self.session.set_state(state)
        except IrstlabelError as exc:
            self.show_error("Cannot change the state", str(exc))
            return
        self._refresh_row(frame.frame_id)
        if not self.step(1):
            self.status.show_frame(frame, self.project.frame_state(frame.frame_id))
            self.status.say(f"{display_path(frame.frame_id)} marked {state}; it is the last frame")

    # --- resuming -----------------------------------------------------------------------

    def _resume_key(self) -> str:
        path = str(self.project.dataset.root.resolve())
        return "resume/" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def open_first(self) -> None:
        """The frame this dataset was left on, else the first readable one."""
        last = self.settings.value(self._resume_key())
        if last in self.project.dataset and self._try_open(last) is None:
            return
        ids = self.walk_order()
        if ids and self._try_open(ids[0]) is not None:
            self.step(1)

    # --- the frame list -----------------------------------------------------------------

    def _frame_changed(self, frame) -> None:
        self.frame_list.select(frame.frame_id)
        self.status.show_frame(frame, self.project.frame_state(frame.frame_id))
        self.status.saved(frame.save_failed is None, elsewhere=len(self.session.unsaved))
        self.settings.setValue(self._resume_key(), frame.frame_id)
        # after the frame is on screen: decoding the next one meanwhile would slow this frame's paint
        self._prefetch_timer.start()

    def _saved(self, frame_id: str, ok: bool, message: str | None) -> None:
        current = self.session.frame
        on_screen = current is not None and current.frame_id == frame_id
        failing = {f for f in self.session.unsaved if f != frame_id or not ok}  # a retried frame leaves it next
        self.status.saved(ok if on_screen else current is None or current.save_failed is None, elsewhere=len(failing))
        if not ok:
            self.frame_list.mark_unsaved(frame_id)
            if message:
                self.show_error("The mask could not be saved", message + "\nThe edit is kept in memory; it is saved "
                                "as soon as writing works again.")
            return
        self._refresh_row(frame_id)
        frame = self.session.frame
        if frame is not None and frame.frame_id == frame_id:
            self.status.show_frame(frame, self.project.frame_state(frame_id))

    def _refresh_row(self, frame_id: str) -> None:
        for row in self.project.frame_summary(frame_id):
            self.frame_list.update_row(row)

    def refresh_rows(self) -> None:
        current = self.session.frame.frame_id if self.session.frame else None
        self.frame_list.set_rows(self.project.frame_summary(), current)
        self._count_unedited()

    def _prefetch_current(self) -> None:
        if self.session.frame is not None:
            self._prefetch_neighbours(self.session.frame.frame_id)

    def _prefetch_neighbours(self, frame_id: str) -> None:
        """Decode the next and previous frames on a helper thread, so stepping finds them cached."""
        ids = self.walk_order()
        if frame_id not in ids:
            return
        k = ids.index(frame_id)
        for neighbour in (ids[k + 1] if k + 1 < len(ids) else None, ids[k - 1] if k > 0 else None):
            if neighbour is not None:
                self._helper.submit(self.project.prefetch, neighbour)

    def _count_unedited(self) -> None:
        """Count the dataset's targets of every unedited frame on the helper thread, in batches."""
        unedited = [row["frame_id"] for row in self.project.frame_summary() if not row["edited"]]
        self._counting = [self._counter.submit(self._count_batch, unedited[start:start + 64])
                          for start in range(0, len(unedited), 64)]

    @property
    def counting(self) -> bool:
        """Whether target counts of unedited frames are still being computed."""
        return any(not future.done() for future in self._counting)

    def _count_batch(self, frame_ids: list[str]) -> None:
        counts = {}
        for frame_id in frame_ids:
            path = self.project.dataset.record(frame_id).mask_path
            try:  # the mask file alone: decoding the frame for its size would fill the frame cache for nothing
                counts[frame_id] = 0 if path is None else count_targets(read_mask(path).mask)
            except IrstlabelError:
                continue
        self._counts.ready.emit(counts)

    def shutdown(self) -> None:
        self._prefetch_timer.stop()
        for pool in (self._helper, self._counter):
            pool.shutdown(wait=True, cancel_futures=True)
