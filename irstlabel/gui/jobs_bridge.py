"""Jobs for the GUI: the plain supervisor, its events relayed as a Qt signal on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..jobs.spec import JobSpec
from ..jobs.supervisor import Job, Supervisor


class JobEvents(QObject):
    """Emitted from the supervisor's reader threads; Qt queues them to the GUI thread."""

    event = Signal(dict)


class JobRunner:
    def __init__(self, project_dir):
        self.events = JobEvents()
        self.supervisor = Supervisor(project_dir, on_event=self.events.event.emit)

    def submit(self, spec: JobSpec, *, priority: int = 10) -> Job:
        return self.supervisor.submit(spec, priority=priority)

    def shutdown(self) -> None:
        self.supervisor.shutdown(cancel=True, timeout=10.0)
