"""Review and retraining in the workspace: prediction sets, review markers, Retrain, Evaluate, import.

Every job is a :class:`~irstlabel.gui.jobs_bridge.QtJob` whose own signals
drive the status bar's progress; the retrain steps come from the retrain
pipeline. Prediction sets and their order come from the project's registry
(SQLite), never from the cache folder's listing. The Compare view is drawn
only while it is visible.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QMessageBox

from ..core.metrics import MetricOptions, match_frame
from ..jobs.devices import cuda_likely
from ..jobs import registry
from ..jobs.spec import JobSpec
from .dialogs import choose_folder
from .jobs_bridge import JobRunner
from .starter import StarterPredictions
from ..jobs.retrain_settings import model_to_fine_tune
from .retrain import RetrainController, RetrainDialog

STAGE_WORDS = {"training": "training", "predicting": "predicting every frame", "evaluating": "evaluating",
               "baseline_predicting": "predicting the held-out frames with the previous model",
               "baseline_evaluating": "scoring the previous model"}


def _refill(combo, items: list[str], keep: str, *, newest_otherwise: bool) -> None:
    """Replace a drop-down's items without emitting; keep `keep` chosen if still there."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(items)
    if keep in items:
        combo.setCurrentText(keep)
    elif items and newest_otherwise:
        combo.setCurrentIndex(len(items) - 1)
    combo.blockSignals(False)


class ReviewController:
    """Prediction sets, review markers, the Compare view, and the background jobs (retrain, evaluate, import)."""

    def __init__(self, window, session, view, frames, status, *, results, compare, compare_dock, show_dock,
                 review_action, settings, show_error, summary_bar):
        self.window, self.session, self.project = window, session, session.project
        self.view, self.frames, self.status = view, frames, status
        self.results, self.compare = results, compare
        self.compare_dock, self.show_dock = compare_dock, show_dock  # show_dock(key): show a bottom dock, sized
        self.review_action, self.settings, self.show_error = review_action, settings, show_error
        self.summary_bar = summary_bar
        summary_bar.switch_to.connect(self.make_default)
        self.results.export_button.clicked.connect(self.export_evaluation)
        self.set_combo = QComboBox()
        self.set_combo.setObjectName("prediction-set")
        self.set_combo.setMinimumContentsLength(14)
        self.set_combo.setToolTip("prediction set shown and reviewed")
        self.set_combo.currentTextChanged.connect(self._set_chosen)
        status.cancel_button.clicked.connect(self.cancel_jobs)
        self.runner = None if self.project.readonly else JobRunner(self.project, window)
        self.retrainer = None
        if self.runner is not None:
            self.runner.active_changed.connect(self._jobs_active)
            self.retrainer = RetrainController(self.project, self.runner, window)
            self.retrainer.stage.connect(self._retrain_stage)
            self.retrainer.progress.connect(self._job_progress)
            self.retrainer.epoch.connect(self.results.add_epoch)
            self.retrainer.frames_ready.connect(self._frames_ready)
            self.retrainer.finished.connect(self._retrain_finished)
            self.retrainer.failed.connect(self._job_failed)
        self.starter = None
        if self.runner is not None:
            self.starter = StarterPredictions(self.project, self.runner, frames_first=self._frames_to_predict_first,
                                              chosen_set=lambda: self.prediction_set, parent=window)
            self.starter.frames_ready.connect(self._frames_ready)
            self.starter.progress.connect(self._starter_progress)
            self.starter.failed.connect(lambda message, log: self.status.say(message, 8000))
            session.frame_changed.connect(lambda frame: self.starter.request())
            self.runner.active_changed.connect(lambda active: active or self.starter.request())
        self.compare.set_combo.currentTextChanged.connect(lambda name: self._update_compare())
        self.compare_dock.visibilityChanged.connect(lambda visible: self._update_compare())
        session.frame_changed.connect(lambda frame: self._frame_or_mask_changed())
        session.targets_changed.connect(self._frame_or_mask_changed)
        self._refresh_sets()
        self.results.refresh(self.project)
        self._show_docks()

    @property
    def prediction_set(self) -> str | None:
        return self.view.prediction_set

    def _show_docks(self) -> None:
        """Results and Compare stay hidden until they have something to show (their View menu entries show them)."""
        if len(self.prediction_sets()) >= 2:
            self.show_dock("compare")
        if self.project.evaluations() or self.project.checkpoints():
            self.show_dock("results")

    def _frame_or_mask_changed(self) -> None:
        if self.review_action.isChecked():
            self.update_review()
        self._update_compare()

    def _update_compare(self) -> None:
        """The second prediction set beside the first, on a view locked to the main one (only while shown)."""
        if not self.compare_dock.isVisible():
            return
        frame = self.session.frame
        name = self.compare.set_combo.currentText()
        probability = None if frame is None or not name else self.project.predictions.read(name, frame.frame_id, shape=frame.mask.shape)
        self.compare.display(frame, probability)

    # --- prediction sets and review markers ---------------------------------------------

    def prediction_sets(self) -> list[str]:
        """Registered prediction sets, oldest first (the registry is the one source of the order)."""
        return [s["name"] for s in self.project.prediction_sets()]

    def _refresh_sets(self, choose: str | None = None) -> None:
        """Refill both set drop-downs from the registry; the shown set falls back to the project's default."""
        sets = self.prediction_sets()
        keep = choose or self.set_combo.currentText()
        _refill(self.set_combo, sets, keep if keep in sets else self.project.default_prediction_set() or "",
                newest_otherwise=True)
        self.view.set_prediction_set(self.set_combo.currentText() or None)
        _refill(self.compare.set_combo, sets, self.compare.set_combo.currentText(), newest_otherwise=False)

    def _set_chosen(self, name: str) -> None:
        self.view.set_prediction_set(name or None)
        self._frame_or_mask_changed()

    def prediction_source(self) -> str:
        return f"prediction:{self.prediction_set or 'cache'}"

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
        shown = self.review_action.isChecked()
        points = self.review_points() if shown else None
        self.view.canvas.set_review(points)
        if shown and points is None and self.session.frame is not None:
            self.status.say(self.no_prediction_reason(), 5000)

    def toggle_prediction(self) -> None:
        self.view.tools.toggle("prediction")
        if self.view.tools.shown("prediction") and self.view.prediction() is None:
            self.status.say(self.no_prediction_reason(), 5000)

    def no_prediction_reason(self) -> str:
        if self.prediction_set is None:
            if self.starter is not None and self.starter.job is not None:
                return "No prediction yet: the starter model is predicting this frame"
            return "No prediction yet: retrain (Ctrl+R) or import a predictions folder (File menu)"
        if self.retrainer is not None and self.retrainer.running:
            return f"No prediction of '{self.prediction_set}' for this frame yet: the retraining is running"
        return f"The prediction set '{self.prediction_set}' has no map for this frame"

    # --- jobs ---------------------------------------------------------------------------

    def _cannot_start(self, what: str) -> bool:
        """True (and says why in the status bar) when a job cannot start now."""
        if self.runner is None:
            self.status.say(f"{what}: the project is open read-only; jobs cannot run from here", 5000)
            return True
        others = [job for job in self.runner.running() if not self.starter.owns(job)]
        if others:
            kinds = ", ".join(sorted({job.kind for job in others}))
            self.status.say(f"{what}: wait, a job is running ({kinds}); Cancel stops it", 5000)
            return True
        self.starter.pause()  # the starter's predictions make way; moving to a frame resumes them
        return False

    def start_retrain(self) -> None:
        """Ctrl+R / the Retrain button: the settings dialog, then the retraining in the background."""
        if self._cannot_start("Retrain"):
            return
        self.session.save()  # the counts include the frame being edited
        checkpoint = model_to_fine_tune(self.project)  # read once: the dialog names it, the job trains from it
        dialog = RetrainDialog(self.settings, checkpoint=checkpoint, cuda=cuda_likely(),
                               plan_for=self.retrainer.plan, parent=self.window)
        dialog.accepted.connect(lambda: self._retrain_with(dialog.values(), checkpoint, dialog.plan))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _retrain_with(self, values: dict, checkpoint: dict | None, plan) -> None:
        if self._cannot_start("Retrain"):
            return
        self.session.save()
        self.summary_bar.hide()
        self.results.reset_training()
        self.show_dock("results")
        self.status.say(f"Retrain: {plan.counts()}", 10000)
        self.retrainer.start(values, checkpoint=checkpoint, plan=plan, first=self._frames_to_predict_first())

    def _frames_to_predict_first(self, neighbours: int = 2) -> list[str]:
        """The frame on screen, then the ones PgDown / PgUp reach next."""
        frame = self.session.frame
        if frame is None:
            return []
        ids = self.frames.walk_order()
        if frame.frame_id not in ids:
            return [frame.frame_id]
        k = ids.index(frame.frame_id)
        order = [frame.frame_id]
        for step in range(1, neighbours + 1):
            order += [ids[j] for j in (k + step, k - step) if 0 <= j < len(ids)]
        return order

    def start_evaluate(self) -> None:
        name = self.prediction_set
        if self._cannot_start("Evaluate"):
            return
        if name is None:
            self.status.say("Evaluate: no prediction set yet; retrain (Ctrl+R) or import one first", 5000)
            return
        self.session.save()
        spec = JobSpec(kind="evaluate", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"set": name, "splits": ["test"]})
        self._run_job(spec, f"Evaluating {name}", lambda result: self._evaluated(name, result))

    def import_predictions(self) -> None:
        """File > Import predictions folder: choose the folder, then import it as a background job."""
        if self._cannot_start("Import"):
            return
        choose_folder(self.window, "Folder of masks or probability maps", self._import_folder)

    def _import_folder(self, folder: str) -> None:
        if not folder or self._cannot_start("Import"):
            return
        name = Path(folder).name
        spec = JobSpec(kind="import", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"folder": folder, "set": name})
        self._run_job(spec, f"Importing {name}", lambda result: self._imported(name, folder))

    def _run_job(self, spec: JobSpec, what: str, on_done) -> None:
        job = self.runner.submit(spec, priority=5)
        self._begin_progress(what)
        job.progress.connect(self._job_progress)

        def done(state: str, result, error: str, log: list) -> None:
            if state == "finished":
                on_done(result)
            elif state == "cancelled":
                self.status.say(f"{what}: cancelled", 5000)
            else:
                self._job_failed(error or "the job failed", log)

        job.finished.connect(done)

    def _evaluated(self, name: str, result: dict) -> None:
        self.results.refresh(self.project)
        self.show_dock("results")
        self.status.say(f"{name} evaluated on {result['evaluations'][0]['split']}", 5000)

    def _imported(self, name: str, folder: str) -> None:
        self._refresh_sets(choose=name)  # show what was just imported
        self._show_docks()
        self.status.say(f"Predictions from {folder} imported as '{name}'", 5000)

    # --- progress in the status bar -----------------------------------------------------

    def _begin_progress(self, what: str) -> None:
        """A new job: the bar starts empty (busy until the first progress), Cancel shown."""
        self.status.progress.setRange(0, 0)
        self.status.progress.setValue(0)
        self.status.progress.setFormat(f"{what} %p%")
        self.status.progress.setToolTip(what)
        self.status.progress.setVisible(True)
        self.status.cancel_button.setVisible(True)
        self.status.say(f"{what}...")

    def _jobs_active(self, active: bool) -> None:
        if not active:
            self.status.progress.setVisible(False)
            self.status.cancel_button.setVisible(False)

    def cancel_jobs(self) -> None:
        if self.runner is not None:
            self.runner.cancel_all()
            self.status.say("Cancelling...", 3000)

    def _starter_progress(self, step: int, total: int, message: str) -> None:
        if not self.status.progress.isVisible():
            self._begin_progress("Starter model: predicting")
        self._job_progress(step, total, message)

    def _retrain_stage(self, stage: str) -> None:
        self._begin_progress(f"Retrain: {STAGE_WORDS.get(stage, stage)}")

    def _job_progress(self, step: int, total: int, message: str) -> None:
        self.status.progress.setRange(0, max(total, 1))
        self.status.progress.setValue(step)
        self.status.progress.setToolTip(message)

    def _frames_ready(self, name: str, frames: list) -> None:
        """The new model's first predictions: show them on the frame on screen at once."""
        first = self.prediction_set != name
        self._refresh_sets(choose=name)
        if first:
            self.view.tools.visible["prediction"].setChecked(True)
        frame = self.session.frame
        if frame is not None and frame.frame_id in frames:
            self.view.prediction_changed()
            self._frame_or_mask_changed()

    def _retrain_finished(self, summary: dict) -> None:
        if summary["status"] == "cancelled":
            self.status.say(f"Retrain cancelled while {summary['stage'] or 'finishing'}", 8000)
            self._refresh_sets()
            return
        self._show_default()
        self._show_docks()
        self.summary_bar.show_summary(summary)
        self.results.set_summary(summary["verdict"])
        self.status.say(summary["verdict"], 10000)

    def make_default(self, name: str) -> None:
        """The user's switch: `name` becomes the project's default set, and is shown."""
        registry.make_default(self.project, name)
        self.results.set_summary(f"{name} is the default model (chosen by you)")
        self._show_default()

    def _show_default(self) -> None:
        """Show the project's default set, its figures and its per-frame disagreement."""
        self._refresh_sets(choose=self.project.default_prediction_set())
        self.results.refresh(self.project)
        self.frames.refresh_rows()
        self.view.prediction_changed()
        self._frame_or_mask_changed()

    def _job_failed(self, message: str, log: list) -> None:
        self.status.progress.setVisible(False)
        self.status.cancel_button.setVisible(False)
        self.status.say(f"A background job failed: {message.splitlines()[0] if message else ''}")
        tail = "\n".join(log[-10:])
        self.show_error("A background job failed", f"{message}\n\nLast lines of its log:\n{tail}" if tail else message)

    def export_evaluation(self) -> None:
        out = self.results.export(self.project.folder / "evaluation")
        self.status.say(f"Evaluation exported to {out}", 5000)

    # --- leaving while jobs run ---------------------------------------------------------

    def confirm_leaving(self, action: str, proceed) -> bool:
        """True when no job runs; else asks (without blocking) and calls `proceed()` after a yes.

        A yes cancels the jobs first and waits for them to stop.
        """
        if self.runner is None or not self.runner.active:
            return True
        kinds = ", ".join(sorted({job.kind for job in self.runner.running()}))
        box = QMessageBox(QMessageBox.Icon.Question, f"{action} while a job runs?",
                          f"A background job is running ({kinds}). {action} anyway and cancel it?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(f"Cancel the job and {action.lower()}")
        box.button(QMessageBox.StandardButton.No).setText("Keep working")

        def answered(button) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self.runner.shutdown()
                proceed()

        box.buttonClicked.connect(answered)
        box.finished.connect(box.deleteLater)
        box.open()
        return False
