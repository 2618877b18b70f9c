"""Jobs for the GUI: one QObject per job with its own signals, as superqt's and napari's workers.

The plain :class:`~irstlabel.jobs.supervisor.Supervisor` reports events from
its reader threads; :class:`JobRunner` hands each to the GUI thread (a queued
signal) and on to the :class:`QtJob` it belongs to, which emits it as typed
signals. A listener connects to the job it started and hears nothing else.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..core.errors import IrstlabelError
from ..jobs import registry
from ..jobs.devices import background_threads
from ..jobs.spec import JobSpec
from ..jobs.supervisor import Job, Supervisor

__all__ = ["QtJob", "JobRunner"]


class QtJob(QObject):
    """A submitted job as Qt signals. `finished(state, result, error, log)` fires exactly once."""

    progress = Signal(int, int, str)  # step, total, message
    stage = Signal(str)  # a named stage inside the job (training's inference sweep)
    epoch = Signal(dict)
    frames_ready = Signal(str, list)  # prediction set, frames published so far
    finished = Signal(str, object, str, list)  # state, result (dict or None), error, last log lines

    def __init__(self, job: Job, parent=None):
        super().__init__(parent)
        self.job = job
        self.state = "queued"

    @property
    def kind(self) -> str:
        return self.job.spec.kind

    @property
    def pid(self) -> int | None:
        return self.job.pid

    @property
    def result(self) -> dict | None:
        return self.job.result

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed", "cancelled")

    def cancel(self) -> None:
        self.job.cancel()

    def handle(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "started":
            self.state = "running"
        elif kind == "progress":
            self.progress.emit(int(event["step"]), int(event["total"]), str(event.get("message", "")))
        elif kind == "stage":
            self.stage.emit(str(event["stage"]))
        elif kind == "epoch":
            self.epoch.emit(event)
        elif kind == "frames_ready":
            self.frames_ready.emit(event["set"], list(event["frames"]))
        elif kind == "finished" and not self.done:
            self.state = event["state"]
            self.finished.emit(event["state"], self.job.result, event.get("error") or "", list(self.job.log))


class JobRunner(QObject):
    """Submits jobs to worker processes; `active_changed(bool)` says whether any is queued or running.

    What a job made is recorded in the project (:mod:`irstlabel.jobs.registry`)
    before its listeners hear the event, so they only refresh their views.
    """

    active_changed = Signal(bool)
    _event = Signal(dict)  # from reader threads; queued to this object's (the GUI) thread

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.project = project
        self._jobs: dict[str, QtJob] = {}
        self._closed = False
        self._event.connect(self._dispatch)
        # the workers leave a core to the window
        self.supervisor = Supervisor(project.folder, on_event=self._event.emit, threads=background_threads())

    def submit(self, spec: JobSpec, *, priority: int = 10) -> QtJob:
        was_active = self.active
        job = QtJob(self.supervisor.submit(spec, priority=priority), self)
        self._jobs[spec.job_id] = job
        if not was_active:
            self.active_changed.emit(True)
        return job

    @property
    def active(self) -> bool:
        """Whether a job is queued or running (never after :meth:`shutdown`)."""
        return bool(self._jobs) and not self._closed

    def running(self) -> list[QtJob]:
        return list(self._jobs.values())

    def _dispatch(self, event: dict) -> None:
        job = self._jobs.get(event.get("job"))
        if job is None or self._closed:  # after shutdown the window is going: nobody listens
            return
        if event.get("event") == "finished":
            del self._jobs[event["job"]]
        event = self._record(job, event)
        job.handle(event)
        if event.get("event") == "finished" and not self._jobs:
            self.active_changed.emit(False)

    def _record(self, job: QtJob, event: dict) -> dict:
        """Record what the event says the job made; a failed write turns a finished job into a failed one."""
        try:
            if event.get("event") == "frames_ready":
                registry.record_frames_ready(self.project, job.job.spec, event["set"])
            elif event.get("event") == "finished" and event.get("state") == "finished":
                registry.record_result(self.project, job.job.spec, job.job.result)
        except IrstlabelError as exc:
            if event.get("event") == "finished":
                return {**event, "state": "failed", "error": f"the result could not be recorded: {exc}"}
        return event

    def cancel_all(self) -> None:
        for job in self.running():
            job.cancel()

    def shutdown(self) -> None:
        """Cancel every job and wait (up to 10 s each) for its worker to stop."""
        self._closed = True
        self.supervisor.shutdown(cancel=True, timeout=10.0)
