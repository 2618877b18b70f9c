"""Editing actions of the workspace: tools, strokes, clicks, proposals, predictions, undo.

A mixin of :class:`irstlabel.gui.main_window.MainWindow`: it uses the window's
session, canvas, tool panel and undo stack.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand

from ..core import editing
from .session import AnnotationSession

STROKE_TOOLS = {"brush": (True, None), "eraser": (False, None), "merge": (True, 1.0), "split": (False, 0.75)}


class MaskEditCommand(QUndoCommand):
    """One stroke or action; the edit is already applied when the command is pushed."""

    def __init__(self, session: AnnotationSession, patch, text: str):
        super().__init__(text)
        self.session, self.patch, self._applied = session, patch, True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.session.apply_patch(self.patch, undo=False)

    def undo(self) -> None:
        self.session.apply_patch(self.patch, undo=True)


class EditingActions:
    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.canvas.set_tool(tool)
        self.tool_actions[tool].setChecked(True)
        self._polygon = []
        self.canvas.show_polygon([])

    def _push(self, patch, text: str) -> None:
        if patch is not None:
            self.undo_stack.push(MaskEditCommand(self.session, patch, text))

    def _on_stroke(self, phase: str, x: float, y: float) -> None:
        frame = self.session.frame
        if frame is None or self.tool not in STROKE_TOOLS:
            return
        value, radius = STROKE_TOOLS[self.tool]
        radius = radius if radius is not None else self.tools.brush.value() / 2.0
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
                self.statusBar().showMessage(f"LPD of the target under the brush: {value_lpd:.2f}")
        if phase == "end":
            stroke, self._stroke = self._stroke, None
            if stroke["box"] is not None:
                r0, c0, r1, c1 = stroke["box"]
                patch = self.session.begin_edit(stroke["box"])
                patch.before = stroke["before"][r0:r1, c0:c1].copy()
                frame.extra["source"] = "manual"
                self._push(self.session.end_edit(patch), self.tool)

    def _on_click(self, x: float, y: float, modifiers: int) -> None:
        frame = self.session.frame
        if frame is None:
            return
        if self.tool == "polygon":
            self._polygon.append((x, y))
            self.canvas.show_polygon(self._polygon + [self._polygon[0]] if len(self._polygon) > 2 else self._polygon)
        elif self.tool == "wand":
            try:
                region, _ = editing.magic_wand(frame.image, (x, y), tolerance=self.tools.tolerance.value())
            except ValueError:
                return
            subtract = bool(modifiers & Qt.KeyboardModifier.ShiftModifier.value)
            self._edit(lambda m: _apply_region(m, region, not subtract), "magic wand")
        elif self.tool == "select":
            target = editing.target_at(frame.mask, (x, y), reach=4)
            if target is None:
                self.session.select(None)
                self.target_table.clearSelection()
                return
            index = int(frame.targets.labels[np.unravel_index(np.argmax(target), target.shape)]) - 1
            self.select_target(index, centre=False)

    def close_polygon(self) -> None:
        if self.tool == "polygon" and len(self._polygon) >= 3:
            vertices, self._polygon = self._polygon, []
            self.canvas.show_polygon([])
            self._edit(lambda m: editing.fill_polygon(m, vertices), "polygon")

    def _edit(self, operation, text: str, source: str = "manual") -> None:
        frame = self.session.frame
        frame.extra["source"] = source
        self._push(self.session.edit(operation), text)

    def delete_selected(self) -> None:
        frame = self.session.frame
        if frame is None or frame.selected is None:
            return
        target = frame.targets.mask_of(frame.selected)
        self.session.select(None)
        self._edit(lambda m: _apply_region(m, target, False), "delete target")

    def accept_proposal(self) -> None:
        frame = self.session.frame
        proposal = self.current_proposal()
        if proposal is None:
            self.statusBar().showMessage("Select a target first (click it, or Tab)", 3000)
            return
        if not proposal.mask.any():
            self.statusBar().showMessage("The Canny proposal is empty here; try other thresholds", 3000)
            return
        target = frame.targets.mask_of(frame.selected)
        self._edit(lambda m: _replace(m, target, proposal.mask), "accept proposal", source="canny")

    def accept_prediction_target(self) -> None:
        frame = self.session.frame
        probability = self.current_prediction()
        if probability is None or frame is None or frame.selected is None:
            self.statusBar().showMessage("Needs a selected target and a prediction for this frame", 3000)
            return
        target = frame.targets.mask_of(frame.selected)
        r0, c0, r1, c1 = (int(v) for v in frame.targets.bbox[frame.selected])
        near = np.zeros(target.shape, bool)
        near[max(r0 - 3, 0):r1 + 3, max(c0 - 3, 0):c1 + 3] = True
        predicted = (probability > 0.5) & near
        self._edit(lambda m: _replace(m, target, predicted), "accept prediction", source=self._prediction_source())

    def accept_prediction_frame(self) -> None:
        probability = self.current_prediction()
        if probability is None:
            self.statusBar().showMessage(self.no_prediction_reason(), 5000)
            return
        self._edit(lambda m: _replace(m, m.copy(), probability > 0.5), "accept prediction (frame)",
                   source=self._prediction_source())

    def _prediction_source(self) -> str:
        return f"prediction:{self.prediction_set or 'cache'}"

    def reject_target(self) -> None:
        frame = self.session.frame
        if frame is None or frame.selected is None:
            return
        x, y = frame.targets.centroid[frame.selected]
        frame.dirty = True
        if not self.session.save():
            return
        for record in self.project.targets(frame.frame_id):
            if np.hypot(record["x"] - x, record["y"] - y) <= 3:
                self.project.set_target_status(frame.frame_id, record["target"], "rejected")
                break
        self._targets_changed()


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


