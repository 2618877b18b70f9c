"""The walk over what needs a decision: Tab, Shift+Tab, the move after a decision, N over every target.

The stops of a frame (:mod:`irstlabel.project.stops`) are its pending labels
and, while the prediction is shown, the predicted targets no label covers.
Tab goes to the next stop, on to the next frame (in the frame list's order,
so a sorted or filtered list -- the review queue -- is the walk) that has
one; a decision goes to the next stop of the frame, else one frame on,
never further (a frame with nothing to decide is where an unlabelled
dataset is labelled next). Standing on a predicted target selects no label:
the walk holds it (``stop``) and the canvas rings it.
"""

from __future__ import annotations

from ..project.stops import Stop, frame_stops, position_of

CONTEXT_PX = 20  # the least half-size of the region shown around a stop: its surroundings, not only itself


class DecisionWalk:
    def __init__(self, session, canvas, state, view, status, frames):
        self.session, self.canvas, self.state = session, canvas, state
        self.view, self.status, self.frames = view, status, frames
        self.stop: Stop | None = None  # the predicted target stood on (None on a label, or nowhere)
        session.frame_changed.connect(lambda frame: self._leave())
        session.selection_changed.connect(lambda target_id: target_id is None or self._leave())
        state.visibility_changed.connect(lambda key, shown: key == "prediction" and not shown and self._leave())

    @property
    def frame(self):
        return self.session.frame

    def _leave(self) -> None:
        if self.stop is not None:
            self.stop = None
            self.canvas.select_marker(None)

    # --- where the user is, and what needs a decision --------------------------------------------

    def stops(self) -> list[Stop]:
        frame = self.frame
        if frame is None:
            return []
        predicted = self.view.prediction_mask() if self.state.shown("prediction") else None
        return frame_stops(frame.records(), frame.mask, predicted)

    def position(self):
        """Where the walk stands: the predicted target, else the selected label, else None (before the first)."""
        if self.stop is not None:
            return self.stop.key
        frame = self.frame
        record = None if frame is None else frame.targets.get(frame.selected)
        return None if record is None else position_of(record.bbox, record.id)

    # --- moving -----------------------------------------------------------------------------

    def step(self, step: int) -> None:
        """Tab (+1) / Shift+Tab (-1): the next stop, on through the frames in the list's order."""
        if self.frame is None:
            return
        at = self.position()
        here = [s for s in self.stops() if at is None or (s.key > at if step > 0 else s.key < at)]
        if here:
            self.go(here[0] if step > 0 else here[-1])
            return
        start, selected = self.frame.frame_id, self.frame.selected
        while self.frames.step(step):
            stops = self.stops()
            if stops:
                self.go(stops[0] if step > 0 else stops[-1])
                return
        if self.frame.frame_id != start and self.frames.open(start):  # nothing further: back where it began
            self.select(selected)
        self.status.say(f"Nothing {'after' if step > 0 else 'before'} this needs a decision (N walks every target)",
                        5000)

    def after_decision(self, at) -> None:
        """A decision was made at `at`: the frame's next stop, else one frame on (and its first stop)."""
        later = [s for s in self.stops() if at is None or s.key > at]
        if later:
            self.go(later[0])
        elif self.frames.step(1):
            stops = self.stops()
            if stops:
                self.go(stops[0])

    def every_target(self, step: int) -> None:
        """N / Shift+N: every label, decided or not, on past a frame's last to the next frame's first."""
        frame = self.frame
        if frame is None:
            return
        records = frame.targets.records
        position = frame.targets.index(frame.selected)
        k = (-1 if step > 0 else len(records)) if position is None else position
        if 0 <= k + step < len(records):
            self.select(records[k + step].id)
            return
        while self.frames.step(step):
            records = self.frame.targets.records
            if records:
                self.select(records[0 if step > 0 else -1].id)
                return

    def review_queue(self) -> None:
        """The frame list as the review queue (most disagreements first), the prediction shown, its first stop."""
        ids = self.frames.frame_list.show_review_queue()
        if not ids:
            self.status.say("Review queue: the model agrees with the labels on every frame (its last scoring)", 6000)
            return
        self.state.set_visible("prediction", True)
        if self.frames.open(ids[0]):
            self.session.select(None)
            stops = self.stops()
            if stops:
                self.go(stops[0])
        self.status.say(f"Review queue: {len(ids)} frames where the model disagrees with the labels, most first; "
                        "Tab walks them target by target", 8000)

    def go(self, stop: Stop) -> None:
        if stop.target_id is not None:
            self.select(stop.target_id)
            return
        self.session.select(None)
        self.stop = stop
        self._centre(stop.centroid, stop.bbox)
        self.canvas.select_marker(stop.centroid)
        self.view.follow_levels(stop.bbox)
        self.status.say("A predicted target without a label: Shift+A takes it, A takes its Canny proposal, "
                        "R or Enter marks a false alarm, Tab passes it", 8000)

    def select(self, target_id: int | None, *, centre: bool = True) -> None:
        """Select a label (None: none, as a click on nothing), centred at a zoom that shows its surroundings.

        Either way the walk no longer stands on a predicted target."""
        frame = self.frame
        if frame is None:
            return
        self._leave()
        self.session.select(target_id)
        record = frame.targets.get(frame.selected)
        if record is not None and centre:
            self._centre(record.centroid, record.bbox)

    def _centre(self, centroid, bbox) -> None:
        r0, c0, r1, c1 = bbox
        self.canvas.centre_on(centroid[0] + 0.5, centroid[1] + 0.5,
                              half_size=max(CONTEXT_PX, 2 * max(r1 - r0, c1 - c0)))
