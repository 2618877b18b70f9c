"""Review and retraining in the workspace: prediction sets, review markers, Retrain, Evaluate, import.

A mixin of :class:`irstlabel.gui.main_window.MainWindow`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog, QProgressBar, QPushButton

from ..core.metrics import MetricOptions, match_frame
from ..jobs.spec import JobSpec
from .jobs_bridge import JobRunner
from .compare import ComparePanel
from .resources import icon
from .results import ResultsPanel
from .retrain import RetrainController, RetrainDialog, cuda_available


class ReviewActions:
    def _setup_review(self, _main_bar) -> None:
        self.addToolBarBreak()
        bar = self.addToolBar("Review")
        bar.setObjectName("toolbar-review")
        self.results = ResultsPanel()
        self.results.export_button.clicked.connect(self.export_evaluation)
        self.set_combo = QComboBox()
        self.set_combo.setMinimumContentsLength(14)
        self.set_combo.setToolTip("prediction set shown and reviewed")
        self.set_combo.currentTextChanged.connect(self._set_chosen)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.runner = None if self.project.readonly else JobRunner(self.project.folder)
        self.retrainer = None
        if self.runner is not None:
            self.retrainer = RetrainController(self.project, self.runner, self)
            self.retrainer.stage.connect(self._retrain_stage)
            self.retrainer.progress.connect(self._job_progress)
            self.retrainer.epoch.connect(self.results.add_epoch)
            self.retrainer.finished.connect(self._retrain_finished)
            self.retrainer.failed.connect(self._job_failed)
            self.cancel_button.clicked.connect(self.retrainer.cancel)
        self.retrain_action = self._action("Retrain", "Ctrl+R", self.start_retrain)
        self.retrain_action.setIcon(icon("retrain"))
        self.evaluate_action = self._action("Evaluate", "Ctrl+E", self.start_evaluate)
        self.review_action = self._action("Review markers", "V", self._update_review, checkable=True)
        for action in (self.retrain_action, self.evaluate_action, self.review_action):
            bar.addAction(action)
        bar.addWidget(self.set_combo)
        self.compare = ComparePanel(self.canvas)
        self.compare.set_combo.currentTextChanged.connect(lambda name: self._update_compare())
        self._refresh_sets()
        self.results.refresh(self.project)

    def _update_compare(self) -> None:
        """The second prediction set beside the first, on a view locked to the main one."""
        frame = self.session.frame
        name = self.compare.set_combo.currentText()
        probability = None if frame is None or not name else self.project.predictions.read(name, frame.frame_id)
        self.compare.display(frame, probability)

    # --- prediction sets and review markers ---------------------------------------------

    def _refresh_sets(self) -> None:
        sets = self.project.predictions.sets()
        current = self.set_combo.currentText()
        self.set_combo.blockSignals(True)
        self.set_combo.clear()
        self.set_combo.addItems(sets)
        if current in sets:
            self.set_combo.setCurrentText(current)
        elif sets:
            self.set_combo.setCurrentIndex(len(sets) - 1)
        self.set_combo.blockSignals(False)
        self.prediction_set = self.set_combo.currentText() or None
        other = self.compare.set_combo.currentText()
        self.compare.set_combo.blockSignals(True)
        self.compare.set_combo.clear()
        self.compare.set_combo.addItems(sets)
        if other in sets:
            self.compare.set_combo.setCurrentText(other)
        self.compare.set_combo.blockSignals(False)

    def _set_chosen(self, name: str) -> None:
        self.prediction_set = name or None
        self._overlays_changed()

    def review_points(self) -> dict | None:
        """Hit, miss and false-alarm centroids of the chosen set against the current mask."""
        frame = self.session.frame
        probability = self.current_prediction()
        if frame is None or probability is None:
            return None
        match = match_frame(frame.mask, probability, MetricOptions())
        true, pred = match.true.centroid, match.pred.centroid
        return {"hit": true[match.hits], "miss": true[match.misses], "false_alarm": pred[match.false_alarms]}

    def _update_review(self) -> None:
        self.canvas.set_review(self.review_points() if self.review_action.isChecked() else None)
        self._update_compare()

    # --- jobs ---------------------------------------------------------------------------

    def _busy(self) -> bool:
        if self.runner is None:
            self.show_error("Read-only project", "This project is open read-only; jobs cannot run from here.")
            return True
        if self.retrainer.running:
            self.statusBar().showMessage("A retraining is already running", 3000)
            return True
        return False

    def start_retrain(self, values: dict | None = None) -> None:
        if self._busy():
            return
        if values is None:
            dialog = RetrainDialog(self.settings, has_checkpoint=bool(self.project.checkpoints()), cuda=cuda_available(),
                                   parent=self)
            if not dialog.exec():
                return
            values = dialog.values()
        self.session.save()
        self.results.reset_training()
        frame = self.session.frame
        self.retrainer.start(values, first_frame=frame.frame_id if frame else None)

    def start_evaluate(self) -> None:
        name = self.prediction_set
        if name is None or self._busy():
            self.statusBar().showMessage("No prediction set to evaluate", 3000)
            return
        self.session.save()
        spec = JobSpec(kind="evaluate", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"set": name, "split": "test"})
        job = self.runner.submit(spec, priority=5)
        self._watch(job, lambda result: self._evaluated(name, result))

    def import_predictions(self, folder: str | None = None) -> None:
        if self._busy():
            return
        folder = folder or QFileDialog.getExistingDirectory(self, "Folder of masks or probability maps")
        if not folder:
            return
        name = Path(folder).name
        spec = JobSpec(kind="import", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"folder": folder, "set": name})
        self._watch(self.runner.submit(spec, priority=5), lambda result: self._imported(name, folder))

    def _watch(self, job, on_done) -> None:
        def relay(event):
            if event.get("job") != job.spec.job_id:
                return
            if event["event"] == "progress":
                self._job_progress(event["step"], event["total"], event.get("message", ""))
            elif event["event"] == "finished":
                self.runner.events.event.disconnect(relay)
                self.progress.setVisible(False)
                if event["state"] == "finished":
                    on_done(job.result)
                else:
                    self._job_failed(event.get("error") or "the job failed", list(job.log))

        self.runner.events.event.connect(relay)

    def _evaluated(self, name: str, result: dict) -> None:
        self.project.add_evaluation(name, result["split"], {**result["metrics"], "per_frame": result["per_frame"]})
        self.results.refresh(self.project)
        self.statusBar().showMessage(f"{name} evaluated on {result['split']}", 5000)

    def _imported(self, name: str, folder: str) -> None:
        self.project.register_prediction_set(name, "folder", folder)
        self._refresh_sets()
        self.statusBar().showMessage(f"predictions from {folder} imported as '{name}'", 5000)

    def _retrain_stage(self, stage: str) -> None:
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.progress.setFormat(f"{stage} %p%")
        self.statusBar().showMessage(f"Retrain: {stage}...")

    def _job_progress(self, step: int, total: int, message: str) -> None:
        self.progress.setVisible(True)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(step)
        self.progress.setToolTip(message)

    def _retrain_finished(self, summary: dict) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if summary["status"] == "cancelled":
            self.statusBar().showMessage(f"Retrain cancelled while {summary['stage']}", 5000)
            return
        self._refresh_sets()
        self.set_combo.setCurrentText(summary["name"])
        self.results.refresh(self.project)
        self.frame_list.set_rows(self.project.frame_summary(), self.session.frame.frame_id if self.session.frame else None)
        self._overlays_changed()
        self.statusBar().showMessage(f"Retrained ({summary['split']}): " + ";  ".join(summary["lines"]))

    def _job_failed(self, message: str, log: list) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        tail = "\n".join(log[-10:])
        self.show_error("A background job failed", f"{message}\n\nLast lines of its log:\n{tail}" if tail else message)

    def export_evaluation(self) -> None:
        out = self.results.export(self.project.folder / "evaluation")
        self.statusBar().showMessage(f"Evaluation exported to {out}", 5000)
