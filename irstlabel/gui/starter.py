"""The starter model's predictions, made on demand: the frame on screen first, then its neighbours, then the rest.

A project without predictions of its own shows the shipped starter model's
(set ``starter``). Until every frame has a starter map (a window closed
midway leaves the rest to the next opening), a ``predict`` job with
``resume`` runs (in a worker process, as every job) with the frame on
screen and its neighbours first; a job already running for another
frame is stopped and started again from the new one, keeping what it has
done. Other jobs (retrain, evaluate, import) take precedence: starting one
pauses the starter's job, which stays paused (frame changes included) until
no other job is queued or running, then resumes where it stopped. Its
progress counts the whole dataset, so a restart never sends the bar back, and
quitting does not ask about it (its maps are kept).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ..jobs.spec import JobSpec
from ..core.models.starter import STARTER_NAME, starter_available

__all__ = ["StarterPredictions"]

SETTLE_MS = 150  # a burst of PgDowns asks once, for the frame the user stops on


class StarterPredictions(QObject):
    """Keeps the ``starter`` prediction set filled ahead of the user."""

    frames_ready = Signal(str, list)  # set name, frames published so far
    progress = Signal(int, int, str)
    failed = Signal(str, list)

    def __init__(self, project, runner, *, frames_first: Callable[[], list[str]],
                 chosen_set: Callable[[], str | None], parent=None):
        super().__init__(parent)
        self.project, self.runner = project, runner
        self._frames_first, self._chosen_set = frames_first, chosen_set
        self.job = None
        self._first: list[str] = []
        self._paused = False
        self._gave_up = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._check)

    @property
    def enabled(self) -> bool:
        """Whether the starter serves this project: a model is installed and no other set is chosen."""
        return (not self._gave_up and starter_available()
                and self._chosen_set() in (None, STARTER_NAME) and not self.project.readonly)

    def owns(self, job) -> bool:
        return job is not None and job is self.job

    def request(self) -> None:
        """The frame on screen changed, or the other jobs ended: make sure its starter map is on the way.

        While another job (a retraining's steps, an evaluation) is queued or
        running the starter stays paused: it never holds up the user's job.
        """
        if self._others_running():
            return
        self._paused = False
        self._timer.start()

    def _others_running(self) -> bool:
        return any(not self.owns(job) for job in self.runner.running())

    def pause(self) -> None:
        """Another job needs the worker slot: stop (what is done is kept)."""
        self._paused = True
        self._timer.stop()
        if self.job is not None:
            self.job.cancel()

    def _check(self) -> None:
        if self._paused or not self.enabled or self._others_running():
            return
        first = self._frames_first()
        if not first:
            return
        done = set(self.project.predictions.frame_ids(STARTER_NAME))
        if first[0] in done and done.issuperset(self.project.frame_ids):
            return
        if self.job is not None:
            if first[0] not in done and self._first[:1] != first[:1]:
                self.job.cancel()  # its finished signal starts the job again from the new frame
            return
        self._start(first)  # the frame on screen first; frames a closed window left undone are finished too

    def _start(self, first: list[str]) -> None:
        spec = JobSpec(kind="predict", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings={"checkpoint": STARTER_NAME, "set": STARTER_NAME, "first": first, "resume": True})
        self._first = first
        self.job = self.runner.submit(spec, priority=0)
        self.job.frames_ready.connect(self.frames_ready)
        # progress over the whole dataset: a job restarted from another frame carries on from what is done,
        # never back to a few percent of what is left
        done_before, total = len(self.project.predictions.frame_ids(STARTER_NAME)), len(self.project.frame_ids)
        self.job.progress.connect(
            lambda step, steps, message: self.progress.emit(min(total, done_before + step), total, message))
        self.job.finished.connect(self._finished)


    def _finished(self, state: str, result, error: str, log: list) -> None:
        self.job = None
        if state == "failed":
            self._gave_up = True  # said once; a broken model or backend would fail again on every frame
            self.failed.emit(f"Starter model: {error or 'the prediction job failed'}", log)
            return
        if state == "cancelled":
            # a cancelled job publishes what it did without a frames_ready event: the frame on screen may be
            # among those frames, read as missing when the user arrived a moment before
            done = sorted(self.project.predictions.frame_ids(STARTER_NAME))
            if done:
                self.frames_ready.emit(STARTER_NAME, done)
            if not self._paused:
                self._check()  # moved to another frame: start again from it
