"""The window's background jobs: Retrain (Ctrl+R), Evaluate (Ctrl+E), Import, the starter's predictions, Cancel.

Every job is a :class:`~irstlabel.gui.jobs_bridge.QtJob`; its results are
recorded in the project by the runner (:mod:`irstlabel.jobs.registry`) before
anything here hears of them, so these handlers only refresh views. Progress
goes to the status line, which owns the progress bar; the retrain steps come
from the retrain pipeline. Only one user job runs at a time; the starter's
predictions wait while one does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from ..jobs.devices import cuda_likely
from ..jobs.retrain_settings import model_to_fine_tune
from ..jobs.spec import JobSpec
from .dialogs import choose_folder
from .jobs_bridge import JobRunner
from .retrain import RetrainController, RetrainDialog
from .starter import StarterPredictions

__all__ = ["JobCommands", "STAGE_WORDS"]

STAGE_WORDS = {"training": "training", "choosing_inference": "choosing inference settings",
               "predicting": "predicting every frame", "evaluating": "evaluating",
               "baseline_predicting": "predicting the held-out frames with the previous model",
               "baseline_evaluating": "scoring the previous model"}
STARTER_PROGRESS = "Starter model: predicting"


class JobCommands:
    """Starts jobs from actions and dialogs, and turns their events into what the window shows."""

    def __init__(self, window, session, frames, status, sets, *, results, show_dock, settings, show_error,
                 summary_bar):
        self.window, self.session, self.project = window, session, session.project
        self.frames, self.status, self.sets, self.results = frames, status, sets, results
        self.show_dock, self.settings, self.show_error, self.summary_bar = show_dock, settings, show_error, summary_bar
        self.results.export_button.clicked.connect(self.export_evaluation)
        status.cancel_button.clicked.connect(self.cancel_jobs)
        self.runner = self.retrainer = self.starter = None
        if not self.project.readonly:
            self._start_runner(session)

    def _start_runner(self, session) -> None:
        self.runner = JobRunner(self.project, self.window)
        self.runner.active_changed.connect(lambda active: active or self.status.end_progress())
        self.retrainer = RetrainController(self.project, self.runner, self.window)
        self.retrainer.stage.connect(lambda stage: self.status.begin_progress(f"Retrain: {STAGE_WORDS.get(stage, stage)}"))
        self.retrainer.progress.connect(self.status.job_progress)
        self.retrainer.epoch.connect(self.results.add_epoch)
        self.retrainer.frames_ready.connect(self.sets.frames_ready)
        self.retrainer.finished.connect(self._retrain_finished)
        self.retrainer.failed.connect(self._job_failed)
        self.starter = StarterPredictions(self.project, self.runner, frames_first=self._frames_to_predict_first,
                                          chosen_set=lambda: self.sets.shown, parent=self.window)
        self.starter.frames_ready.connect(self.sets.frames_ready)
        self.starter.progress.connect(self._starter_progress)
        self.starter.failed.connect(lambda message, log: self.status.say(message, 8000))
        session.frame_changed.connect(lambda frame: self.starter.request())
        self.runner.active_changed.connect(lambda active: active or self.starter.request())

    def busy(self) -> tuple[bool, bool]:
        """(the starter is predicting, a retraining runs): what explains a missing prediction."""
        return (self.starter is not None and self.starter.job is not None,
                self.retrainer is not None and self.retrainer.running)

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
        self.starter.pause()  # the starter's predictions make way until no other job runs
        return False

    # --- Retrain ------------------------------------------------------------------------------

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

    def _retrain_finished(self, summary: dict) -> None:
        if summary["status"] == "cancelled":
            self.status.say(f"Retrain cancelled while {summary['stage'] or 'finishing'}", 8000)
            self.sets.refresh()
            return
        self.sets.show_default()
        self.sets.show_docks()
        self.summary_bar.show_summary(summary)
        self.results.set_summary(summary["verdict"])
        self.status.say(summary["verdict"], 10000)

    # --- Evaluate and Import ----------------------------------------------------------------------

    def start_evaluate(self) -> None:
        name = self.sets.shown
        if self._cannot_start("Evaluate"):
            return
        if name is None:
            self.status.say("Evaluate: no prediction set yet; retrain (Ctrl+R) or import one first", 5000)
            return
        self.session.save()
        spec = JobSpec(kind="evaluate", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"set": name, "splits": ["test"]})
        self._run_job(spec, f"Evaluating {name}", lambda result: self._evaluated(name, result))

    def review_queue(self, open_queue) -> None:
        """Q: the frames where the model disagrees most, first. The frame list's misses and false alarms order
        them; without such figures yet, the shown set is scored on every frame first (in the background)."""
        if self.frames.frame_list.has_disagreements():
            open_queue()
            return
        name = self.sets.shown
        if name is None:
            self.status.say("Review queue: no prediction set yet; retrain (Ctrl+R) or import one first", 5000)
            return
        if self._cannot_start("Review queue"):
            return
        self.session.save()
        spec = JobSpec(kind="evaluate", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"set": name, "splits": ["all"]})

        def scored(result) -> None:
            self.frames.refresh_rows()  # the progress bar ends with the job, as for every job
            open_queue()

        self._run_job(spec, f"Review queue: scoring {name} on every frame", scored)

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
        self.status.begin_progress(what)
        job.progress.connect(self.status.job_progress)

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
        self.sets.refresh(choose=name)  # show what was just imported
        self.sets.show_docks()
        self.status.say(f"Predictions from {folder} imported as '{name}'", 5000)

    # --- progress, failures, cancelling ---------------------------------------------------------

    def _starter_progress(self, step: int, total: int, message: str) -> None:
        if not self.status.progress.isVisible():
            self.status.begin_progress(STARTER_PROGRESS)
        self.status.job_progress(step, total, message)

    def cancel_jobs(self) -> None:
        if self.runner is not None:
            self.runner.cancel_all()
            self.status.say("Cancelling...", 3000)

    def _job_failed(self, message: str, log: list) -> None:
        self.status.end_progress()
        self.status.say(f"A background job failed: {message.splitlines()[0] if message else ''}")
        tail = "\n".join(log[-10:])
        self.show_error("A background job failed", f"{message}\n\nLast lines of its log:\n{tail}" if tail else message)

    def export_evaluation(self) -> None:
        out = self.results.export(self.project.folder / "evaluation")
        self.status.say(f"Evaluation exported to {out}", 5000)

    def confirm_leaving(self, action: str, proceed) -> bool:
        """True when no job runs; else asks (without blocking) and calls `proceed()` after a yes.

        A yes cancels the jobs first and waits for them to stop.
        """
        if self.runner is None or not self.runner.active:
            return True
        users = [job for job in self.runner.running() if not self.starter.owns(job)]
        if not users:  # only the starter's background predictions: they stop, keep what they made, resume next time
            self.runner.shutdown()
            return True
        kinds = ", ".join(sorted({job.kind for job in users}))
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
