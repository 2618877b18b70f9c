"""The annotation workspace: the window that puts the session, the views and the controllers together.

The window builds widgets and docks, makes the actions from one table
(:mod:`.actions`) bound to the controllers' methods, and owns the life cycle
(autosave, settings, closing). The work is in the controllers, each given
what it needs: :class:`~.frames.FrameController` (moving between frames),
:class:`~.editing.EditController` (tools and edits), :class:`~.view.CanvasView`
(what is drawn), :class:`~.prediction_sets.PredictionSets` (the sets shown, review, Compare) and
:class:`~.job_commands.JobCommands` (background jobs).
The data is in :class:`irstlabel.project.session.AnnotationSession`, which
knows nothing of Qt.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import json

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (QApplication, QMainWindow,
                               QMessageBox, QVBoxLayout, QWidget)

from ..core.errors import IrstlabelError, display_path
from ..project.display import DisplayState
from ..project.session import AnnotationSession
from .actions import OVERLAYS, TOOLS, make_actions, spec_named, specs_at
from .canvas import ImageCanvas
from .compare import ComparePanel
from .dialogs import choose_folder
from .editing import EditController
from .frames import FrameController
from .help import HelpDialog
from .layout import LEAST_ROOM, add_docks, canvas_room
from .job_commands import JobCommands
from .panels import FrameList, TargetTable
from .prediction_sets import PredictionSets
from .results import ResultsPanel
from .retrain_summary import RetrainSummaryBar
from .status import StatusLine
from .tool_panel import ToolPanel
from .view import CanvasView
from .walk import DecisionWalk

AUTOSAVE_MS = 5000
_WINDOWS: list = []  # windows opened from the File menu, kept alive

# actions that change the project: disabled when it is open read-only
WRITING = ("tool_brush", "tool_eraser", "tool_polygon", "tool_wand", "tool_merge", "tool_split", "accept_proposal",
           "accept_prediction_target", "accept_prediction_frame", "reject_target", "delete_target", "done_next",
           "flag_next", "label_is_right", "save", "retrain", "evaluate", "import_predictions", "curate")


class MainWindow(QMainWindow):
    def __init__(self, project, *, settings: QSettings | None = None, note: str | None = None):
        super().__init__()
        self.project = project
        self.settings = settings or QSettings()
        self.counts: Counter = Counter()  # expensive steps done (labelling, cache reads, edges, proposals)
        self.session = AnnotationSession(project, counts=self.counts)
        self.display = DisplayState()
        self._shown_errors: set[str] = set()
        self._check_room = False
        self.canvas = ImageCanvas()
        self.frame_list = FrameList()
        self.target_table = TargetTable()
        self.tools = ToolPanel(self.display)
        self.results = ResultsPanel()
        self.compare = ComparePanel(self.canvas)
        self.undo_stack = QUndoStack(self)
        self.retrain_summary = RetrainSummaryBar()
        self.setCentralWidget(self._central())
        self.status = StatusLine(self.statusBar(), note)
        self.docks = add_docks(self, {"Frames": (self.frame_list, "left"), "Targets": (self.target_table, "right"),
                                      "Tools": (self.tools, "right"), "Results": (self.results, "right"),
                                      "Compare": (self.compare, "right")})
        self.view = CanvasView(self.session, self.canvas, self.display, self.target_table, counts=self.counts,
                               read_prediction=lambda name, frame: project.predictions.read(
                                   name, frame.frame_id, shape=frame.mask.shape),
                               read_threshold=project.predictions.threshold)
        self.frames = FrameController(self.session, self.frame_list, self.status, self.settings,
                                      show_error=self.show_error)
        self.walk = DecisionWalk(self.session, self.canvas, self.display, self.view, self.status, self.frames)
        self.editor = EditController(self.session, self.canvas, self.display, self.undo_stack, self.view, self.status,
                                     self.walk, prediction_source=lambda: self.sets.prediction_source())
        self.actions_ = make_actions(self, self._slots())
        self._actions_follow_display()
        self.target_table.target_selected.connect(self.editor.select)
        self.sets = PredictionSets(self.session, self.display, self.view, self.frames, self.status,
                                   results=self.results, compare=self.compare, compare_dock=self.docks["compare"],
                                   show_dock=self.show_dock, summary_bar=self.retrain_summary,
                                   busy=lambda: self.jobs.busy())
        self.docks["targets"].raise_()  # an annotator's first look: the targets, whatever else has content
        self.jobs = JobCommands(self, self.session, self.frames, self.status, self.sets, results=self.results,
                                show_dock=self.show_dock, settings=self.settings, show_error=self.show_error,
                                summary_bar=self.retrain_summary)
        self.runner = self.jobs.runner
        self._bars()
        self._menus()
        self._title()
        self._default_layout = self.saveState()
        self._restore_settings()
        self._remember()
        self.autosave = QTimer(self)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.session.save)
        if not project.readonly:
            self.autosave.start()
        self.peek = PeekKey(self.display, self)
        self.frames.open_first()

    # --- construction ---------------------------------------------------------------

    def _central(self) -> QWidget:
        """The canvas, under the bar that says how the last retraining ended (hidden until then)."""
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.retrain_summary)
        column.addWidget(self.canvas, 1)
        return central

    def _slots(self) -> dict:
        editor, frames, later = self.editor, self.frames, self.later
        slots = {f"tool_{tool}": (lambda t=tool: editor.set_tool(t)) for tool, _, _ in TOOLS}
        slots.update({
            "accept_proposal": editor.accept_proposal,
            "accept_prediction_target": editor.accept_prediction_target,
            "accept_prediction_frame": lambda: editor.accept_prediction_frame(self.sets.no_prediction_reason),
            "reject_target": editor.reject_target,
            "delete_target": editor.delete_selected,
            "done_next": lambda: frames.set_state_and_next("done"),
            "flag_next": lambda: frames.set_state_and_next("flagged"),
            "next_frame": lambda: frames.step(1),
            "previous_frame": lambda: frames.step(-1),
            "next_target": lambda: self.walk.step(1),
            "previous_target": lambda: self.walk.step(-1),
            "next_any_target": lambda: self.walk.every_target(1),
            "previous_any_target": lambda: self.walk.every_target(-1),
            "review_queue": lambda: self.jobs.review_queue(self.walk.review_queue),
            "go_to_frame": frames.go_to,
            "peek": lambda: self.peek.hold(),
            "fit": self.canvas.fit,
            "one_to_one": self.canvas.one_to_one,
            "bigger_brush": lambda: editor.resize_brush(1),
            "smaller_brush": lambda: editor.resize_brush(-1),
            "label_is_right": editor.label_is_right,
            "save": editor.save,
            "retrain": later("jobs", "start_retrain"),
            "evaluate": later("jobs", "start_evaluate"),
            "review_markers": later("sets", "toggle_review"),
            "open_dataset": self.choose_dataset,
            "reset_layout": self.reset_layout,
            "import_predictions": later("jobs", "import_predictions"),
            "quit": self.close,
            "curate": self.show_curation,
            "help": self.show_help,
        })
        for key, _, _ in OVERLAYS:
            slots[f"toggle_{key}"] = (later("sets", "toggle_prediction") if key == "prediction"
                                      else (lambda k=key: self.display.toggle(k)))
        return slots

    def _actions_follow_display(self) -> None:
        """The checkable actions show the display state: the tool in hand, review markers on or off."""
        def check(name: str, on: bool) -> None:
            action = self.actions_[name]
            if action.isChecked() != on:
                action.setChecked(on)

        self.display.tool_changed.connect(lambda tool: check(f"tool_{tool}", True))
        self.display.review_changed.connect(lambda on: check("review_markers", on))

    def later(self, controller: str, name: str):
        """A slot calling ``self.<controller>.<name>()`` (made before the controllers, which need the actions)."""
        return lambda: getattr(getattr(self, controller), name)()

    def _bars(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("toolbar-main")
        for spec in specs_at("toolbar")[: len(TOOLS)]:
            bar.addAction(self.actions_[spec.name])
        bar.addSeparator()
        # own actions rather than the stack's, whose text grows ("Undo accept proposal") and gets cut in the bar
        undo, redo = QAction("Undo", self), QAction("Redo", self)
        undo.setStatusTip("undo (one step per stroke)")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo.setStatusTip("redo")
        for action, slot, ready in ((undo, self.undo_stack.undo, self.undo_stack.canUndoChanged),
                                    (redo, self.undo_stack.redo, self.undo_stack.canRedoChanged)):
            action.setEnabled(False)
            action.triggered.connect(lambda checked=False, s=slot: s())
            ready.connect(action.setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda text: undo.setToolTip(f"Undo {text} (Ctrl+Z)"))
        self.undo_stack.redoTextChanged.connect(lambda text: redo.setToolTip(f"Redo {text} (Ctrl+Shift+Z)"))
        # Linux's standard Redo is Ctrl+Shift+Z: listing it twice made the shortcut ambiguous (it did nothing)
        keys = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"), *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
        redo.setShortcuts(list({key.toString(): key for key in keys}.values()))
        for action in (undo, redo):
            self.addAction(action)
            bar.addAction(action)
        self.undo_actions = (undo, redo)
        bar.addSeparator()
        for spec in specs_at("toolbar")[len(TOOLS):]:
            bar.addAction(self.actions_[spec.name])
        self.addToolBarBreak()
        review = self.addToolBar("Review")
        review.setObjectName("toolbar-review")
        for spec in specs_at("review"):
            review.addAction(self.actions_[spec.name])
        review.addWidget(self.sets.set_combo)

    def _menus(self) -> None:
        menus = {}
        for spec in (s for title in ("File", "Tools", "View", "Help") for s in specs_at(f"menu:{title}")):
            title = spec.place.split(":", 1)[1]
            if title not in menus:
                menus[title] = self.menuBar().addMenu(f"&{title}")
                if title == "View":  # the docks, shown or hidden, then the view's own actions
                    for dock in self.docks.values():
                        menus[title].addAction(dock.toggleViewAction())
                    menus[title].addSeparator()
            menus[title].addAction(self.actions_[spec.name])
            if spec.name == "import_predictions":
                self.recent_menu = menus[title].addMenu("Recent datasets")
                self._fill_recent()
                menus[title].addSeparator()

    def _title(self) -> None:
        if self.project.readonly:
            for name in WRITING:
                self.actions_[name].setEnabled(False)
        self._show_title(None)
        self.session.frame_changed.connect(self._show_title)

    def _show_title(self, frame) -> None:
        """The frame on screen, then the dataset (and whether it is read-only)."""
        title = f"irstlabel - {display_path(self.project.dataset.root)}"
        if frame is not None:
            title = f"{display_path(frame.frame_id)} - {title}"
        self.setWindowTitle(title + ("  [read-only]" if self.project.readonly else ""))

    def show_dock(self, key: str) -> None:
        """Show a dock (Results, Compare: tabs beside Targets) and bring its tab to the front."""
        dock = self.docks[key]
        dock.show()
        dock.raise_()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._check_room:
            self._check_room = False
            QTimer.singleShot(0, self._keep_canvas_room)  # once laid out

    def _keep_canvas_room(self) -> None:
        """A saved layout whose docks leave the frame under half the window (dragged wide) is put back."""
        if min(canvas_room(self, self.canvas)) < LEAST_ROOM:
            self.reset_layout()
            self.status.say("The saved layout left the frame under half the window: the docks are put back "
                            "(View > Reset layout)", 10000)

    def reset_layout(self) -> None:
        """View > Reset layout: the docks where a first start puts them (the canvas at least half the window)."""
        self.restoreState(self._default_layout)
        for key in ("results", "compare"):  # those with something in them stay open, as tabs
            if self.sets.has_content(key):
                self.show_dock(key)
        self.docks["targets"].raise_()
        self.status.say("Layout reset", 3000)

    # --- datasets ---------------------------------------------------------------------

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
        from .opening import open_project

        if not self.jobs.confirm_leaving("Open another dataset", lambda: self.open_dataset(folder)):
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

    # --- dialogs ------------------------------------------------------------------------

    def show_error(self, title: str, text: str) -> None:
        """Tell the user once about a problem they can fix; the app keeps running."""
        if text in self._shown_errors:
            self.status.say(f"{title}: {text}", 8000)
            return
        self._shown_errors.add(text)
        if _headless():  # nobody can answer a dialog: say it in the status bar and on stderr
            self.status.say(f"{title}: {text}", 0)
            print(f"irstlabel: {title}: {text}", file=sys.stderr)
            return
        QMessageBox.warning(self, title, text)

    def show_curation(self) -> None:
        from .curate_dialog import CurateDialog

        if self.runner is None:
            self.show_error("Read-only project", "This project is open read-only; jobs cannot run from here.")
            return
        self.curation = CurateDialog(self.project, self.runner, self)
        self.curation.show()

    def show_help(self) -> None:
        HelpDialog(self.actions(), self).open()

    # --- settings and closing -----------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
            self._check_room = True  # once shown: a layout dragged too wide is not kept
        saved = self.settings.value("display/state")
        try:
            values = json.loads(saved) if saved else {}
        except (TypeError, ValueError):
            values = {}
        values = values if isinstance(values, dict) else {}
        if "brush" not in values and self.settings.value("tools/brush") is not None:  # saved before the state
            values.update(brush=self.settings.value("tools/brush"),
                          wand=[self.settings.value("tools/wand_mode"), self.settings.value("tools/tolerance")])
        skipped = self.display.restore(values)
        if skipped:
            print(f"irstlabel: saved display settings not usable, defaults kept: {', '.join(skipped)}",
                  file=sys.stderr)

    def _lose_unsaved(self) -> bool:
        """Whether the user agrees to quit with frames that could not be saved (never, with nobody to ask)."""
        if _headless():
            self.status.say("Not closing: " + _unsaved_question(self.session).split("\n")[0], 0)
            return False
        answer = QMessageBox.question(self, "Unsaved edits", _unsaved_question(self.session),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:
        if not self.jobs.confirm_leaving("Quit", self.close):
            event.ignore()
            return
        if not self.session.save() and not self._lose_unsaved():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("display/state", json.dumps(self.display.settings()))
        self.autosave.stop()
        self.peek.release()
        self.frames.shutdown()
        if self.runner is not None:
            self.runner.shutdown()
        super().closeEvent(event)
        if self in _WINDOWS:
            _WINDOWS.remove(self)
        self.project.close()


class PeekKey(QObject):
    """Hold the peek key (Space): every overlay hidden until it is let go.

    The key's action starts the peek; only then is a filter put on the
    application to see the release (a filter on every event of every object
    all the time made stroke repaints stall, docs/benchmarks.md), and it is
    taken off again at the release or when the window loses focus.
    """

    def __init__(self, display, window):
        super().__init__(window)
        self.display, self.window = display, window
        self.keys = {QKeySequence(key)[0].key() for key in spec_named("peek").keys}
        self._watching = False

    def hold(self) -> None:
        self.display.set_peeking(True)
        if not self._watching:
            self._watching = True
            QApplication.instance().installEventFilter(self)

    def release(self) -> None:
        self.display.set_peeking(False)
        if self._watching:
            self._watching = False
            QApplication.instance().removeEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and event.key() in self.keys:
            if kind == QEvent.Type.KeyRelease and not event.isAutoRepeat():
                self.release()
            return True  # the held key's repeats and its release go nowhere else
        if kind == QEvent.Type.WindowDeactivate and watched is self.window:
            self.release()  # a release that went to another window must not leave the overlays hidden
        return False


def _unsaved_question(session) -> str:
    frames = session.unsaved_frames()
    names = ", ".join(display_path(f) for f in frames[:5]) + (f" and {len(frames) - 5} more" if len(frames) > 5 else "")
    reason = (session.unsaved.get(frames[0]) or session.frame).save_failed if frames else None
    return (f"{len(frames)} frame{'s' if len(frames) != 1 else ''} could not be saved ({names}):\n{reason}\n\n"
            "Close anyway and lose these edits?")


def _headless() -> bool:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() in ("offscreen", "minimal")


__all__ = ["MainWindow"]
