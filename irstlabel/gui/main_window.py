"""The annotation workspace: frame list, canvas with overlays, target table, tools, undo, autosave."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox

from ..core.errors import IrstlabelError, display_path
from ..core.predictions import to_levels
from ..core.proposals import edge_map, propose_target
from .canvas import ImageCanvas
from .dialogs import choose_folder
from .help import HelpDialog
from .overlays import COLOURS, heat_lut, mask_index, mask_lut, update_mask_index
from .panels import FrameList, TargetTable, ToolPanel
from .editing_actions import EditingActions
from .resources import icon
from .review import ReviewActions
from .session import AnnotationSession, target_rows

AUTOSAVE_MS = 5000
_WINDOWS: list = []  # windows opened from the File menu, kept alive


TOOLS = (("select", "S", "select tool: click a target"), ("brush", "B", "brush: paint the mask"),
         ("eraser", "X", "eraser"), ("polygon", "G", "polygon: click vertices, Enter closes"),
         ("wand", "W", "magic wand: click a target (Shift+click subtracts)"),
         ("merge", "J", "merge: draw a line joining targets"), ("split", "L", "split: draw a line cutting a target"))


class MainWindow(EditingActions, ReviewActions, QMainWindow):
    def __init__(self, project, *, settings: QSettings | None = None, note: str | None = None):
        super().__init__()
        self.project = project
        self.session = AnnotationSession(project)
        self.settings = settings or QSettings()
        self.undo_stack = QUndoStack(self)
        self.canvas = ImageCanvas()
        self.frame_list = FrameList()
        self.target_table = TargetTable()
        self.tools = ToolPanel()
        self.results = None
        self.tool = "select"
        self._stroke = None
        self._polygon: list[tuple[float, float]] = []
        self._mask_index: np.ndarray | None = None
        self._luts = {"mask": mask_lut(COLOURS["mask"], fill_alpha=90), "original": mask_lut(COLOURS["original"], fill_alpha=0),
                      "edges": mask_lut(COLOURS["edges"], fill_alpha=255),
                      "proposal": np.array([(0, 0, 0, 0), (*COLOURS["proposal"], 40), (*COLOURS["proposal"], 255),
                                            (*COLOURS["edges"], 180)], np.uint8),
                      "prediction": heat_lut(), "prediction_outline": mask_lut((255, 150, 0), fill_alpha=0)}
        self._edges_for: str | None = None
        self._shown_errors: set[str] = set()
        self.prediction_set: str | None = None
        self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self.setWindowTitle(f"irstlabel - {display_path(project.dataset.root)}")
        self.setCentralWidget(self.canvas)
        self._status(note)
        self._actions()
        self._docks()
        self._connect()
        self._restore_settings()
        self._remember()
        self.frame_list.set_rows(project.frame_summary())
        self.autosave = QTimer(self)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.session.save)
        self.autosave.start()
        if project.frame_ids:
            self.open_frame(project.frame_ids[0])

    # --- construction ---------------------------------------------------------------

    def _docks(self) -> None:
        for title, widget, area in (("Frames", self.frame_list, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("Targets", self.target_table, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Tools", self.tools, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Results", self.results, Qt.DockWidgetArea.BottomDockWidgetArea),
                                    ("Compare", self.compare, Qt.DockWidgetArea.BottomDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{title.lower()}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)

    def _status(self, note: str | None) -> None:
        self.pixel_label = QLabel()
        self.save_label = QLabel()
        # what opening said (read-only, an absent split) stays visible: frame messages do not replace it
        self.note_label = QLabel()
        self.note_label.setObjectName("open-note")
        self.note_label.setToolTip(note or "")
        self.note_label.setText(self.fontMetrics().elidedText(note or "", Qt.TextElideMode.ElideMiddle, 520))
        self.note_label.setVisible(bool(note))
        self.statusBar().addPermanentWidget(self.note_label)
        self.statusBar().addPermanentWidget(self.pixel_label)
        self.statusBar().addPermanentWidget(self.save_label)
        if note:
            self.statusBar().showMessage(note)

    def _action(self, text, shortcut, slot, *, checkable=False, help: str | None = None) -> QAction:
        """A window action; its text (or `help`) and keys are also its line in the F1 list."""
        action = QAction(text, self)
        action.setStatusTip(help or text)
        if shortcut:
            action.setShortcuts([QKeySequence(s) for s in ([shortcut] if isinstance(shortcut, str) else shortcut)])
        action.setCheckable(checkable)
        # triggered(bool) would pass `checked` as the slot's first argument: slots take none
        action.triggered.connect(lambda checked=False, slot=slot: slot())
        self.addAction(action)
        return action

    def _menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self._action("Open dataset...", "Ctrl+O", self.choose_dataset, help="open another dataset folder"))
        menu.addAction(self._action("Import predictions folder...", None, self.import_predictions))
        self.recent_menu = menu.addMenu("Recent datasets")
        self._fill_recent()
        menu.addSeparator()
        menu.addAction(self._action("Quit", "Ctrl+Q", self.close, help="quit (asks first while a job runs)"))
        tools = self.menuBar().addMenu("&Tools")
        tools.addAction(self._action("Curate dataset...", None, self.show_curation))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("Keyboard shortcuts", "F1", self.show_help, help="this list"))

    def _recent(self) -> list[str]:
        value = self.settings.value("recent/datasets", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self) -> None:
        path = str(self.project.dataset.root.resolve())
        recent = [path] + [p for p in self._recent() if p != path]
        self.settings.setValue("recent/datasets", recent[:10])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_dataset(p))

    def choose_dataset(self) -> None:
        choose_folder(self, "Open a dataset folder", self.open_dataset)

    def open_dataset(self, folder: str) -> None:
        """Open another dataset in a new window and close this one (after saving; asks if a job runs)."""
        from pathlib import Path

        from .app import open_project

        if not self.confirm_leaving("Open another dataset", lambda: self.open_dataset(folder)):
            return

        try:
            project, note = open_project(Path(folder), None)
        except IrstlabelError as exc:
            self.show_error("Cannot open this dataset", str(exc))
            return
        window = MainWindow(project, settings=self.settings, note=note)
        _WINDOWS.append(window)
        window.resize(self.size())
        window.show()
        self.close()

    def _actions(self) -> None:
        self._menus()
        bar = self.addToolBar("Main")
        bar.setObjectName("toolbar-main")
        group = QActionGroup(self)
        self.tool_actions = {}
        for tool, key, what in TOOLS:
            action = self._action(tool.capitalize(), key, lambda checked=False, t=tool: self.set_tool(t), checkable=True,
                                  help=what)
            action.setIcon(icon(tool))
            action.setToolTip(f"{tool.capitalize()} ({key})")
            group.addAction(action)
            bar.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions["select"].setChecked(True)
        bar.addSeparator()
        undo = self.undo_stack.createUndoAction(self, "Undo")
        undo.setStatusTip("undo (one step per stroke)")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "Redo")
        redo.setStatusTip("redo")
        # Linux's standard Redo is Ctrl+Shift+Z: listing it twice made the shortcut ambiguous (it did nothing)
        keys = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"), *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
        redo.setShortcuts(list({key.toString(): key for key in keys}.values()))
        for action in (undo, redo):
            self.addAction(action)
            bar.addAction(action)
        bar.addSeparator()
        for text, key, slot, what in (
            ("Accept proposal", "A", self.accept_proposal, "accept the Canny proposal for the selected target"),
            ("Accept prediction (target)", "Shift+A", self.accept_prediction_target,
             "accept the model's prediction for the selected target"),
            ("Accept prediction (frame)", "Ctrl+Shift+A", self.accept_prediction_frame,
             "accept the model's prediction for the whole frame"),
            ("Reject target", "R", self.reject_target, "reject the selected target"),
            ("Delete target", ["Delete", "Backspace"], self.delete_selected, "delete the selected target"),
            ("Done", "D", lambda: self.set_state("done"), "mark the frame done"),
            ("Flag", "F", lambda: self.set_state("flagged"), "flag the frame"),
        ):
            bar.addAction(self._action(text, key, slot, help=what))
        for text, key, slot in (
            ("Next frame", ["PgDown", "."], lambda: self.step_frame(1)),
            ("Previous frame", ["PgUp", ","], lambda: self.step_frame(-1)),
            ("Next target", "Tab", lambda: self.step_target(1)),
            ("Previous target", "Shift+Tab", lambda: self.step_target(-1)),
            ("Fit", "Home", self.canvas.fit),
            ("One to one", "=", self.canvas.one_to_one),
            ("Bigger brush", "]", lambda: self.tools.brush.setValue(self.tools.brush.value() + 1)),
            ("Smaller brush", "[", lambda: self.tools.brush.setValue(self.tools.brush.value() - 1)),
            ("Close polygon", ["Return", "Enter"], self.close_polygon),
            ("Save", "Ctrl+S", self.session.save),
        ):
            self._action(text, key, slot)
        for key, label, shortcut in ToolPanel.OVERLAYS:
            self._action(f"Toggle {key}", shortcut, lambda k=key: self.toggle_overlay(k), help=f"show / hide the {label}")
        self._setup_review(bar)

    def _connect(self) -> None:
        s, events = self.session, self.canvas.events
        s.frame_changed.connect(self._frame_shown)
        s.mask_changed.connect(self._mask_changed)
        s.targets_changed.connect(self._targets_changed)
        s.selection_changed.connect(lambda index: self._selection_changed())
        s.saved.connect(self._saved)
        self.frame_list.frame_activated.connect(self.open_frame)
        self.target_table.target_selected.connect(self.select_target)
        self.tools.changed.connect(self._overlays_changed)
        events.stroke.connect(self._on_stroke)
        events.click.connect(self._on_click)
        events.double_click.connect(lambda x, y: self.close_polygon())
        events.moved.connect(self._on_moved)

    # --- frames ---------------------------------------------------------------------

    def open_frame(self, frame_id: str) -> None:
        if self.session.frame is not None and self.session.frame.frame_id == frame_id:
            return
        try:
            self.session.open_frame(frame_id)
        except IrstlabelError as exc:
            self.show_error("Cannot open this frame", str(exc))
            return
        self.frame_list.select(frame_id)
        self._prefetch_neighbours(frame_id)

    def _walk_order(self) -> list[str]:
        """The frames in the order the list shows them (filtered and sorted), else the dataset's."""
        return self.frame_list.visible_ids() or list(self.project.frame_ids)

    def _prefetch_neighbours(self, frame_id: str) -> None:
        """Decode the next and previous frames on a helper thread, so stepping finds them cached."""
        ids = self._walk_order()
        if frame_id not in ids:
            return
        k = ids.index(frame_id)
        for neighbour in (ids[k + 1] if k + 1 < len(ids) else None, ids[k - 1] if k > 0 else None):
            if neighbour is not None:
                self._prefetcher.submit(self.project.prefetch, neighbour)

    def step_frame(self, step: int) -> None:
        ids = self._walk_order()
        current = self.session.frame.frame_id if self.session.frame else None
        k = ids.index(current) if current in ids else -1
        if 0 <= k + step < len(ids):
            self.open_frame(ids[k + step])

    def set_state(self, state: str) -> None:
        if self.session.frame is None:
            return
        try:
            self.session.set_state(state)
        except IrstlabelError as exc:
            self.show_error("Cannot change the state", str(exc))
            return
        self._refresh_frame_row()
        self.statusBar().showMessage(f"{display_path(self.session.frame.frame_id)} marked {state}", 3000)

    def _frame_shown(self, frame) -> None:
        self._polygon = []
        self.canvas.show_polygon([])
        self.canvas.show_frame(frame.image)
        self._mask_index = None
        self._edges_for = None
        self._overlays_changed()
        self._frame_text = (f"{display_path(frame.frame_id)}  {frame.image.shape[1]}x{frame.image.shape[0]} "
                            f"{frame.image.dtype}  state: {self.project.frame_state(frame.frame_id)}")
        self.statusBar().showMessage(self._frame_text)
        self._saved(frame.frame_id, True, None)

    def _refresh_frame_row(self) -> None:
        for row in self.project.frame_summary(self.session.frame.frame_id):
            self.frame_list.update_row(row)

    # --- overlays -------------------------------------------------------------------

    def _opacity(self, key: str) -> float:
        return self.tools.opacity[key].value() / 100.0

    def _overlays_changed(self) -> None:
        frame = self.session.frame
        if frame is None:
            return
        shown = {k: box.isChecked() for k, box in self.tools.visible.items()}
        if shown["mask"]:
            self._mask_index = mask_index(frame.mask)
            self.canvas.set_layer("mask", self._mask_index, self._luts["mask"], opacity=self._opacity("mask"))
        else:
            self._mask_index = None
            self.canvas.set_layer("mask", None)
        original = mask_index(frame.original) if shown["original"] else None
        self.canvas.set_layer("original", original, self._luts["original"], opacity=self._opacity("original"))
        if shown["edges"]:
            low, high = self.tools.canny_thresholds()
            edges = edge_map(frame.image, low=low, high=high).view(np.uint8)
            self.canvas.set_layer("edges", edges, self._luts["edges"], opacity=self._opacity("edges"))
        else:
            self.canvas.set_layer("edges", None)
        self._show_proposal(shown["proposal"])
        self._show_prediction(shown["prediction"])
        self._targets_changed(markers_only=True)
        self._update_review()

    def _show_proposal(self, visible: bool) -> None:
        frame = self.session.frame
        proposal = self.current_proposal() if visible else None
        if proposal is None:
            self.canvas.set_layer("proposal", None)
            return
        index = mask_index(proposal.mask)
        r0, c0, r1, c1 = proposal.window
        index[r0:r1, c0:c1][proposal.edges & ~proposal.mask[r0:r1, c0:c1]] = 3
        self.canvas.set_layer("proposal", index, self._luts["proposal"], opacity=self._opacity("proposal"))
        frame.extra["proposal"] = proposal

    def _show_prediction(self, visible: bool) -> None:
        probability = self.current_prediction() if visible else None
        if probability is None:
            self.canvas.set_layer("prediction", None)
        elif self.tools.prediction_outline.isChecked():
            self.canvas.set_layer("prediction", mask_index(probability > 0.5), self._luts["prediction_outline"],
                                  opacity=self._opacity("prediction"))
        else:
            self.canvas.set_layer("prediction", to_levels(probability), self._luts["prediction"],
                                  opacity=self._opacity("prediction"))

    def toggle_overlay(self, key: str) -> None:
        self.tools.toggle(key)
        if key == "prediction" and self.tools.visible[key].isChecked() and self.current_prediction() is None:
            self.statusBar().showMessage(self.no_prediction_reason(), 5000)

    def current_prediction(self) -> np.ndarray | None:
        """The chosen prediction set's map of the frame on screen, or None."""
        frame = self.session.frame
        if self.prediction_set is None or frame is None:
            return None
        return self.project.predictions.read(self.prediction_set, frame.frame_id, shape=frame.mask.shape)

    def current_proposal(self):
        frame = self.session.frame
        if frame is None or frame.selected is None or frame.selected >= len(frame.targets):
            return None
        low, high = self.tools.canny_thresholds()
        return propose_target(frame.image, frame.targets.mask_of(frame.selected), low=low, high=high)

    def _mask_changed(self, box) -> None:
        if self._mask_index is not None:
            update_mask_index(self._mask_index, self.session.frame.mask, box)
            self.canvas.refresh_layer("mask")
        self.save_label.setText("unsaved")

    # --- targets --------------------------------------------------------------------

    def _targets_changed(self, markers_only: bool = False) -> None:
        frame = self.session.frame
        if frame is None:
            return
        centroids = frame.targets.centroid if self.tools.visible["markers"].isChecked() else np.zeros((0, 2))
        self.canvas.set_markers(centroids, frame.selected)
        if not markers_only:
            records = self.project.targets(frame.frame_id)
            self.target_table.set_rows(target_rows(frame, records), frame.selected)
            self._update_review()

    def _selection_changed(self) -> None:
        frame = self.session.frame
        self.canvas.set_markers(frame.targets.centroid if self.tools.visible["markers"].isChecked() else np.zeros((0, 2)),
                                frame.selected)
        if self.tools.visible["proposal"].isChecked():
            self._show_proposal(True)

    def select_target(self, index: int, *, centre: bool = True) -> None:
        frame = self.session.frame
        if frame is None or not 0 <= index < len(frame.targets):
            return
        self.session.select(index)
        self.target_table.selectRow(index)
        if centre:
            x, y = frame.targets.centroid[index]
            r0, c0, r1, c1 = frame.targets.bbox[index]
            self.canvas.centre_on(x + 0.5, y + 0.5, half_size=max(20, 2 * max(r1 - r0, c1 - c0)))

    def step_target(self, step: int) -> None:
        """Walk every target of the dataset: on past the last of a frame to the next frame's first."""
        frame = self.session.frame
        if frame is None:
            return
        index = (-1 if step > 0 else len(frame.targets)) if frame.selected is None else frame.selected
        if 0 <= index + step < len(frame.targets):
            self.select_target(index + step)
            return
        ids = self._walk_order()
        k = ids.index(frame.frame_id) if frame.frame_id in ids else 0
        while 0 <= k + step < len(ids):
            k += step
            self.open_frame(ids[k])
            n = len(self.session.frame.targets)
            if n:
                self.select_target(0 if step > 0 else n - 1)
                return

    # --- saving, errors, status -------------------------------------------------------

    def _saved(self, frame_id: str, ok: bool, message: str | None) -> None:
        if ok:
            self.save_label.setText("saved")
            if self.session.frame is not None and frame_id == self.session.frame.frame_id:
                self._refresh_frame_row()
        else:
            self.save_label.setText("NOT SAVED")
            self.frame_list.mark_unsaved(frame_id)
            if message:
                self.show_error("The mask could not be saved", message + "\nThe edit is kept in memory; it is saved as "
                                "soon as writing works again.")

    def show_error(self, title: str, text: str) -> None:
        """Tell the user once about a problem they can fix; the app keeps running."""
        if text in self._shown_errors:
            return
        self._shown_errors.add(text)
        if _headless():  # nobody can answer a dialog: say it in the status bar and on stderr
            self.statusBar().showMessage(f"{title}: {text}")
            print(f"irstlabel: {title}: {text}", file=sys.stderr)
            return
        QMessageBox.warning(self, title, text)

    def _on_moved(self, x: float, y: float) -> None:
        frame = self.session.frame
        if frame is None:
            return
        col, row = int(round(x)), int(round(y))
        if 0 <= row < frame.image.shape[0] and 0 <= col < frame.image.shape[1]:
            self.pixel_label.setText(f"x={col} y={row} value={frame.image[row, col]:g}")

    def show_curation(self) -> None:
        from .curate_dialog import CurateDialog

        if self.runner is None:
            self.show_error("Read-only project", "This project is open read-only; jobs cannot run from here.")
            return
        self.curation = CurateDialog(self.project, self.runner, self)
        self.curation.show()

    def show_help(self) -> None:
        HelpDialog(self.actions(), self).open()

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self.tools.brush.setValue(int(self.settings.value("tools/brush", 3)))
        self.tools.tolerance.setValue(int(self.settings.value("tools/tolerance", 20)))

    def closeEvent(self, event) -> None:
        if not self.confirm_leaving("Quit", self.close):
            event.ignore()
            return
        if not self.session.save():
            if _headless():
                event.ignore()  # keep the unsaved edit rather than ask nobody
                return
            answer = QMessageBox.question(
                self, "Unsaved edit", f"The current mask could not be saved:\n{self.session.frame.save_failed}\n\n"
                "Close anyway and lose this edit?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("tools/brush", self.tools.brush.value())
        self.settings.setValue("tools/tolerance", self.tools.tolerance.value())
        self.autosave.stop()
        self._prefetcher.shutdown(wait=True, cancel_futures=True)
        if self.runner is not None:
            self.runner.shutdown()
        super().closeEvent(event)
        if self in _WINDOWS:
            _WINDOWS.remove(self)
        self.project.close()


def _headless() -> bool:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() in ("offscreen", "minimal")


__all__ = ["MainWindow"]
