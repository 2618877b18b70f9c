"""Editing in the workspace: tools, strokes, clicks, proposals, predictions, statuses, undo.

Every edit goes through the session (ids carried, sources recorded) and is
pushed on the undo stack as one command. Dependencies are passed in; nothing
here reaches into the window.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand

from ..core.labels import editing
from ..core.labels.proposals import proposal_problem
from ..core.labels.targets import component_in_box, touching_ids
from ..project.display import BRUSH_TOOLS, STROKE_TOOLS

# what a stroke of each stroke tool paints: (value, radius in pixels; None: half the brush size)
STROKE_EFFECT = {"brush": (True, None), "eraser": (False, None), "merge": (True, 1.0), "split": (False, 0.75)}
STROKE_EFFECT = {tool: STROKE_EFFECT[tool] for tool in STROKE_TOOLS}  # one list of stroke tools: KeyError if not


class MaskEditCommand(QUndoCommand):
    """One stroke or action; the edit is already applied when the command is pushed."""

    def __init__(self, session, patch, text: str):
        super().__init__(text)
        self.session, self.patch, self._applied = session, patch, True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.session.apply_patch(self.patch, undo=False)

    def undo(self) -> None:
        self.session.apply_patch(self.patch, undo=True)


class EditController:
    """Tools, strokes and decisions; `walk` (:class:`~.walk.DecisionWalk`) moves on after each decision."""

    def __init__(self, session, canvas, state, undo_stack, view, status, walk, *, prediction_source):
        self.session, self.canvas, self.state = session, canvas, state
        self.undo_stack, self.view, self.status, self.walk = undo_stack, view, status, walk
        self._prediction_source = prediction_source  # () -> "prediction:<set>"
        self._stroke = None
        self._polygon: list[tuple[float, float]] = []
        self._override = None  # the refused proposal a second A accepts
        events = canvas.events
        events.stroke.connect(self._on_stroke)
        events.click.connect(self._on_click)
        events.double_click.connect(lambda x, y: self.close_polygon())
        events.moved.connect(self._on_moved)
        state.brush_changed.connect(lambda value: self._show_brush())
        state.tool_changed.connect(self._tool_changed)
        session.frame_changed.connect(lambda frame: self._frame_changed())

    @property
    def frame(self):
        return self.session.frame

    def _editable(self) -> bool:
        if self.frame is None:
            return False
        if self.session.readonly:
            self.status.say("This project is open read-only: edits cannot be saved here", 5000)
            return False
        return True

    def _frame_changed(self) -> None:
        self._polygon = []
        self._override = None
        self.canvas.show_polygon([])

    # --- tools --------------------------------------------------------------------------

    @property
    def tool(self) -> str:
        return self.state.tool

    def set_tool(self, tool: str) -> None:
        self.state.set_tool(tool)

    def _tool_changed(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        self._polygon = []
        self.canvas.show_polygon([])
        self._show_brush()

    def _show_brush(self) -> None:
        self.canvas.set_brush(self.state.brush if self.tool in BRUSH_TOOLS else None)

    def resize_brush(self, step: int) -> None:
        self.state.set_brush(self.state.brush + step)

    def _push(self, patch, text: str) -> None:
        if patch is not None:
            self.undo_stack.push(MaskEditCommand(self.session, patch, text))
            self.status.unsaved()

    # --- mouse --------------------------------------------------------------------------

    def _on_stroke(self, phase: str, x: float, y: float) -> None:
        if self.tool not in STROKE_EFFECT or (phase == "start" and not self._editable()) or self.frame is None:
            return
        frame = self.frame
        value, radius = STROKE_EFFECT[self.tool]
        radius = radius if radius is not None else self.state.brush / 2.0
        if phase == "start" or self._stroke is None:
            self._stroke = {"before": frame.mask.copy(), "last": (x, y), "box": None}
        box = editing.paint_stroke(frame.mask, [self._stroke["last"], (x, y)], radius=radius, value=value)
        self._stroke["last"] = (x, y)
        if box[0] < box[2]:
            old = self._stroke["box"]
            self._stroke["box"] = box if old is None else (min(old[0], box[0]), min(old[1], box[1]),
                                                           max(old[2], box[2]), max(old[3], box[3]))
            self.session.notify_stroke(box)
            value_lpd = self.session.lpd_at(x, y)
            if value_lpd is not None:
                self.status.say(f"LPD of the target under the brush: {value_lpd:.2f}", 3000)
        if phase == "end":
            stroke, self._stroke = self._stroke, None
            if stroke["box"] is not None:
                box = stroke["box"]
                if self.tool == "eraser":
                    box = self._without_debris(frame.mask, stroke["before"], box)
                r0, c0, r1, c1 = box
                self._push(self.session.finish_edit(box, stroke["before"][r0:r1, c0:c1]), self.tool)

    def _without_debris(self, mask, before, box):
        """Erasing never leaves a piece of a target smaller than half the eraser's dab (at least 2 px): such
        pieces go with the stroke (one undo step), and the status bar says so. Returns the edit's box."""
        smallest = max(2, editing.footprint_area(self.state.brush) // 2)
        removed = editing.drop_debris(mask, before, box, min_area=smallest)
        if removed[0] == removed[2]:
            return box
        self.status.say(f"Eraser: pieces of a target smaller than {smallest} px left by the stroke were removed "
                        "too (Ctrl+Z brings them back)", 6000)
        return (min(box[0], removed[0]), min(box[1], removed[1]), max(box[2], removed[2]), max(box[3], removed[3]))

    def _on_click(self, x: float, y: float, modifiers: int) -> None:
        if self.frame is None:
            return
        if self.tool == "polygon":
            if not self._editable():
                return
            self._polygon.append((x, y))
            self.canvas.show_polygon(self._polygon + [self._polygon[0]] if len(self._polygon) > 2 else self._polygon)
        elif self.tool == "wand":
            if not self._editable():
                return
            try:
                region, _ = editing.magic_wand(self.frame.image, (x, y), **self.state.wand_settings())
            except ValueError:
                return
            subtract = bool(modifiers & Qt.KeyboardModifier.ShiftModifier.value)
            self._edit(lambda m: _apply_region(m, region, not subtract), "magic wand")
        elif self.tool == "select":
            self.select(self.session.target_near(x, y, reach=4), centre=False)

    def _on_moved(self, x: float, y: float) -> None:
        frame = self.frame
        if frame is None:
            return
        col, row = int(round(x)), int(round(y))
        if 0 <= row < frame.image.shape[0] and 0 <= col < frame.image.shape[1]:
            target = int(frame.targets.ids[row, col])
            self.status.pixel(f"x={col} y={row} value={frame.image[row, col]:g}" + (f" target {target}" if target else ""))

    def close_polygon(self) -> None:
        if self.tool == "polygon" and len(self._polygon) >= 3:
            vertices, self._polygon = self._polygon, []
            self.canvas.show_polygon([])
            self._edit(lambda m: editing.fill_polygon(m, vertices), "polygon")

    def _edit(self, operation, text: str, source: str = "manual") -> bool:
        """Apply an edit through the session; whether it changed anything."""
        if not self._editable():
            return False
        patch = self.session.edit(operation, source=source)
        self._push(patch, text)
        return patch is not None

    # --- targets ------------------------------------------------------------------------

    def select(self, target_id: int | None, *, centre: bool = True) -> None:
        self.walk.select(target_id, centre=centre)

    def _selected(self, what: str):
        record = None if self.frame is None else self.frame.targets.get(self.frame.selected)
        if record is None:
            self.status.say(f"{what}: select a target first (click it, or Tab)", 4000)
        return record

    def delete_selected(self) -> None:
        record = self._selected("Delete")
        if record is None:
            return
        target = self.frame.targets.mask_of(record.id)
        self.session.select(None)
        self._edit(lambda m: _apply_region(m, target, False), "delete target")

    def reject_target(self) -> None:
        """R: not a target (a label) or a known false alarm (a predicted target); kept, left out of exports and
        training; then the next target that needs a decision."""
        if self.walk.stop is not None:
            self._take_predicted(self._predicted_target(), "known false alarm", status="rejected")
        elif self._decide("rejected", "Reject", "reject target"):
            self.walk.after_decision(self.walk.position())

    def label_is_right(self) -> None:
        """Enter: the selected label is right (accepted), or, on a predicted target without a label, the label
        is right that none is there (a known false alarm); then the next target that needs a decision."""
        if self.tool == "polygon" and len(self._polygon) >= 3:
            self.close_polygon()
            return
        if self.walk.stop is not None:
            self._take_predicted(self._predicted_target(), "known false alarm", status="rejected")
        elif self._decide("accepted", "Label is right", "label is right"):
            self.walk.after_decision(self.walk.position())

    def _decide(self, status: str, what: str, text: str) -> bool:
        record = self._selected(what)
        if record is None or not self._editable():
            return False
        self._push(self.session.set_status(record.id, status), text)
        self.status.say(f"Target {record.id} {status}", 3000)
        self.save()  # a decision is saved at once (status only, when the mask is unchanged)
        return True

    def accept_proposal(self) -> None:
        """A: replace the selected target with its Canny proposal, unless it looks wrong (then A again); on a
        predicted target without a label, its proposal becomes a label. Then the next target to decide."""
        if self.walk.stop is not None:
            self._take_proposal_of_predicted()
            return
        record = self._selected("Accept proposal")
        if record is None or not self._editable():
            return
        proposal = self.view.proposal()
        frame = self.frame
        target = frame.targets.mask_of(record.id)
        others = np.where(target, 0, frame.targets.ids)
        problem = proposal_problem(proposal.mask, target, others)
        key = (frame.frame_id, record.id, record.bbox, proposal.thresholds)
        if problem is not None and not proposal.mask.any():
            self.status.say(f"Proposal not accepted: {problem}", 8000)
            return
        if problem is not None and self._override != key:
            self._override = key
            self.status.say(f"Proposal for target {record.id} not accepted: {problem}. Press A again to accept it "
                            "anyway.", 15000)
            return
        self._override = None
        self._accept(record, target, proposal.mask, "accept proposal", "canny")

    def accept_prediction_target(self) -> None:
        """Shift+A: the selected target becomes the prediction around it; a predicted target without a label
        becomes one. Then the next target that needs a decision."""
        if self.walk.stop is not None:
            self._take_predicted(self._predicted_target(), "accept prediction")
            return
        record = self._selected("Accept prediction")
        probability = self.view.prediction()
        if record is None:
            return
        if probability is None:
            self.status.say("Accept prediction: there is no prediction for this frame", 4000)
            return
        frame = self.frame
        target = frame.targets.mask_of(record.id)
        r0, c0, r1, c1 = record.bbox
        near = np.zeros(target.shape, bool)
        near[max(r0 - 3, 0):r1 + 3, max(c0 - 3, 0):c1 + 3] = True
        predicted = self.view.prediction_mask() & near
        self._accept(record, target, predicted, "accept prediction", self._prediction_source())

    def _accept(self, record, target: np.ndarray, new: np.ndarray, text: str, source: str) -> None:
        """The target becomes `new`; a `new` equal to it accepts the label as it is. Then on to the next."""
        at = self.walk.position()
        if np.array_equal(target, new):
            if self._decide("accepted", text.capitalize(), text):
                self.status.say(f"Target {record.id} accepted: the {text.split()[-1]} equals its label", 3000)
                self.walk.after_decision(at)
            return
        if self._edit(lambda m: _replace(m, target, new), text, source=source):
            self.save()
            self.walk.after_decision(at)

    # --- a predicted target without a label (the walk stands on it) ------------------------------------

    def _predicted_target(self) -> np.ndarray | None:
        """The pixels of the predicted target the walk stands on (None if the prediction changed under it)."""
        stop, predicted = self.walk.stop, self.view.prediction_mask()
        if stop is None or predicted is None:
            return None
        try:
            return component_in_box(predicted, stop.bbox, stop.area)
        except ValueError:
            return None

    def _take_proposal_of_predicted(self) -> None:
        component = self._predicted_target()
        if component is None:
            self._prediction_changed("accept proposal")
            return
        stop = self.walk.stop
        proposal = self.view.proposal_for(lambda: component, key=("prediction", stop.bbox, stop.area))
        problem = proposal_problem(proposal.mask, component, self.frame.targets.ids)
        if problem is not None:
            self.status.say(f"Proposal not accepted: {problem} (Shift+A takes the prediction itself)", 8000)
            return
        self._take_predicted(proposal.mask, "accept proposal", source="canny")

    def _prediction_changed(self, text: str) -> None:
        self.status.say(f"{text.capitalize()}: the prediction changed here; Tab to go on", 5000)

    def _take_predicted(self, new: np.ndarray | None, text: str, *, source: str | None = None,
                        status: str | None = None) -> None:
        """`new` (a predicted target, or its proposal) becomes a label from `source` -- with `status`
        ("rejected": a known false alarm) in the same undo step -- then on to the next target to decide."""
        if new is None:
            self._prediction_changed(text)
            return
        if not self._editable():
            return
        touching = touching_ids(self.frame.targets.ids, new)
        if touching:
            self.status.say(f"{text.capitalize()}: it touches target {touching[0]}; decide that target instead "
                            "(click it)", 6000)
            return
        at = self.walk.position()
        self.undo_stack.beginMacro(text)
        try:
            added = self._edit(lambda m: _apply_region(m, new, True), text,
                               source=source or self._prediction_source())
            if added and status is not None:
                r, c = np.argwhere(new)[0]
                self._push(self.session.set_status(int(self.frame.targets.ids[r, c]), status), text)
        finally:
            self.undo_stack.endMacro()
        if added:
            self.status.say(f"{text.capitalize()}: a new target", 3000)
            self.save()
            self.walk.after_decision(at)

    def accept_prediction_frame(self, no_prediction_reason) -> None:
        probability = self.view.prediction()
        if probability is None:
            self.status.say(no_prediction_reason(), 5000)
            return
        predicted = self.view.prediction_mask()
        self._edit(lambda m: _replace(m, m.copy(), predicted), "accept prediction (frame)",
                   source=self._prediction_source())

    def save(self) -> None:
        if self.session.save():
            self.status.saved(True)


def _apply_region(mask: np.ndarray, region: np.ndarray, value: bool):
    mask[region] = value
    rows, cols = np.nonzero(region)
    if rows.size == 0:
        return (0, 0, 0, 0)
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def _replace(mask: np.ndarray, old: np.ndarray, new: np.ndarray):
    """Remove `old` pixels and add `new` ones; the box covers both."""
    changed = old | new
    mask[old] = False
    mask[new] = True
    rows, cols = np.nonzero(changed)
    if rows.size == 0:
        return (0, 0, 0, 0)
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1
