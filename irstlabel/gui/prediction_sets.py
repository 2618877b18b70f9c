"""The prediction sets on screen: which set is shown, review markers, the Compare view, the default set.

Sets and their order come from the project's registry (SQLite), never from
the cache folder's listing; the shown set falls back to the registry's
default. The Compare view is drawn only while it is visible. Nothing here
starts a job: :mod:`.job_commands` does, and calls :meth:`PredictionSets.refresh`
or :meth:`PredictionSets.show_default` when a job's results are recorded.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QComboBox

from ..core.metrics.evaluation import MetricOptions, match_frame
from ..jobs import registry
from .quiet import quietly, signals_held

__all__ = ["PredictionSets"]


def _refill(combo, items: list[str], keep: str | None, *, newest_otherwise: bool) -> str | None:
    """Replace a drop-down's items without emitting; keep `keep` chosen if still there. Returns the choice."""
    choice = keep if keep in items else (items[-1] if items and newest_otherwise else None)
    with signals_held(combo):
        combo.clear()
        combo.addItems(items)
        combo.setCurrentIndex(items.index(choice) if choice is not None else -1)
    return choice


def _show_choice(combo, name: str | None) -> None:
    quietly(combo, combo.setCurrentIndex, combo.findText(name) if name else -1)


class PredictionSets:
    """The set drop-down, review markers (V), the prediction overlay's toggle, Compare, the default set.

    Parameters
    ----------
    busy : callable
        ``() -> (starter predicting, retraining running)``: the jobs that
        explain a missing map (:class:`.job_commands.JobCommands` knows them).
    """

    def __init__(self, session, state, view, frames, status, *, results, compare, compare_dock, show_dock,
                 summary_bar, busy: Callable[[], tuple[bool, bool]]):
        self.session, self.project = session, session.project
        self.view, self.frames, self.status = view, frames, status
        self.results, self.compare, self.compare_dock, self.show_dock = results, compare, compare_dock, show_dock
        self.state, self.summary_bar, self._busy = state, summary_bar, busy
        summary_bar.switch_to.connect(self.make_default)
        self.set_combo = QComboBox()
        self.set_combo.setObjectName("prediction-set")
        self.set_combo.setMinimumContentsLength(14)
        self.set_combo.setToolTip("prediction set shown and reviewed")
        self.set_combo.currentTextChanged.connect(lambda name: state.set_prediction_set(name or None))
        self.compare.set_combo.currentTextChanged.connect(lambda name: state.set_compare_set(name or None))
        state.prediction_set_changed.connect(self._set_chosen)
        state.compare_set_changed.connect(self._compare_set_chosen)
        state.review_changed.connect(lambda on: self.update_review())
        self.compare_dock.visibilityChanged.connect(lambda visible: self._update_compare())
        session.frame_changed.connect(lambda frame: self.frame_or_mask_changed())
        session.targets_changed.connect(self.frame_or_mask_changed)
        self.refresh()
        self.results.refresh(self.project)
        self.show_docks()

    @property
    def shown(self) -> str | None:
        """The set drawn and reviewed now."""
        return self.state.prediction_set

    def names(self) -> list[str]:
        """Registered prediction sets, oldest first (the registry is the one source of the order)."""
        return [s["name"] for s in self.project.registry.prediction_sets()]

    def refresh(self, choose: str | None = None) -> None:
        """Refill both set drop-downs from the registry; the shown set falls back to the project's default."""
        sets = self.names()
        keep = choose or self.state.prediction_set
        shown = _refill(self.set_combo, sets, keep if keep in sets else self.project.registry.default_prediction_set(),
                        newest_otherwise=True)
        self.state.set_prediction_set(shown)
        self.state.set_compare_set(_refill(self.compare.set_combo, sets, self.state.compare_set,
                                           newest_otherwise=False))

    def has_content(self, dock: str) -> bool:
        """Whether Results or Compare has something to show."""
        if dock == "compare":
            return len(self.names()) >= 2
        return bool(self.project.registry.evaluations() or self.project.registry.checkpoints())

    def show_docks(self) -> None:
        """Results and Compare stay hidden until they have something to show (their View menu entries show them)."""
        for dock in ("compare", "results"):
            if self.has_content(dock):
                self.show_dock(dock)

    def _set_chosen(self, name: str | None) -> None:
        _show_choice(self.set_combo, name)
        self.frame_or_mask_changed()

    def _compare_set_chosen(self, name: str | None) -> None:
        _show_choice(self.compare.set_combo, name)
        self._update_compare()

    def frame_or_mask_changed(self) -> None:
        if self.state.review:
            self.update_review()
        self._update_compare()

    def _update_compare(self) -> None:
        """The second prediction set beside the first, on a view locked to the main one (only while shown)."""
        if not self.compare_dock.isVisible():
            return
        frame = self.session.frame
        name = self.state.compare_set
        probability = None if frame is None or not name else \
            self.project.predictions.read(name, frame.frame_id, shape=frame.mask.shape)
        self.compare.display(frame, probability, 0.5 if not name else float(self.project.predictions.threshold(name)))

    # --- what the shown set says about this frame -----------------------------------------

    def prediction_source(self) -> str:
        return f"prediction:{self.shown or 'cache'}"

    def review_points(self) -> dict | None:
        """Hit, miss and false-alarm centroids of the chosen set against the current mask."""
        frame = self.session.frame
        probability = self.view.prediction()
        if frame is None or probability is None:
            return None
        match = match_frame(frame.mask, probability, MetricOptions(threshold=self.view.prediction_threshold()))
        true, pred = match.true.centroid, match.pred.centroid
        return {"hit": true[match.hits], "miss": true[match.misses], "false_alarm": pred[match.false_alarms]}

    def update_review(self) -> None:
        shown = self.state.review
        points = self.review_points() if shown else None
        self.view.canvas.set_review(points)
        if shown and points is None and self.session.frame is not None:
            self.status.say(self.no_prediction_reason(), 5000)

    def toggle_review(self) -> None:
        self.state.set_review(not self.state.review)

    def toggle_prediction(self) -> None:
        self.state.toggle("prediction")
        if self.state.shown("prediction") and self.view.prediction() is None:
            self.status.say(self.no_prediction_reason(), 5000)

    def no_prediction_reason(self) -> str:
        starter_predicting, retraining = self._busy()
        if self.shown is None:
            if starter_predicting:
                return "No prediction yet: the starter model is predicting this frame"
            return "No prediction yet: retrain (Ctrl+R) or import a predictions folder (File menu)"
        if retraining:
            return f"No prediction of '{self.shown}' for this frame yet: the retraining is running"
        return f"The prediction set '{self.shown}' has no map for this frame"

    # --- results arriving ----------------------------------------------------------------------

    def frames_ready(self, name: str, frames: list) -> None:
        """A set's first predictions: show them on the frame on screen at once."""
        first = self.shown != name
        self.refresh(choose=name)
        if first:
            self.state.set_visible("prediction", True)
        frame = self.session.frame
        if frame is not None and frame.frame_id in frames:
            self.view.prediction_changed()
            self.frame_or_mask_changed()

    def make_default(self, name: str) -> None:
        """The user's switch: `name` becomes the project's default set, and is shown."""
        registry.make_default(self.project, name)
        self.results.set_summary(f"{name} is the default model (chosen by you)")
        self.show_default()

    def show_default(self) -> None:
        """Show the project's default set, its figures and its per-frame disagreement."""
        self.refresh(choose=self.project.registry.default_prediction_set())
        self.results.refresh(self.project)
        self.frames.refresh_rows()
        self.view.prediction_changed()
