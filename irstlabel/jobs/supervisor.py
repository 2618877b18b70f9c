"""Starting jobs in child processes, streaming their events, cancelling them, noticing crashes.

Plain Python (threads and subprocess): the GUI wraps it in Qt signals; tests
drive it directly. At most one training job and one other job run at a time;
queued jobs start by priority (lower first), so predictions for the frame on
screen can jump the queue.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import os
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from .spec import JobSpec, job_folder

__all__ = ["Job", "Supervisor", "worker_command"]

LOG_LINES = 40
CANCEL_GRACE_S = 60.0  # a cancelled worker still alive after this is killed (a CPU batch can take long)


# The worker imports the very irstlabel this process runs: its folder goes first on sys.path, and
# the working directory (which `python -m` would put first) is dropped, so an `irstlabel/` folder
# in the current directory (the parent of a clone, say) cannot shadow the package.
_BOOT = ("import sys; sys.path[0:1] = [{root!r}]; from irstlabel.cli import main; sys.exit(main(sys.argv[1:]))")


def worker_command(job_path) -> list[str]:
    """How to start a worker: the frozen app itself, or this Python running this package's CLI."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "worker", str(job_path)]
    root = str(Path(__file__).resolve().parents[2])
    return [sys.executable, "-c", _BOOT.format(root=root), "worker", str(job_path)]


class Job:
    """One submitted job: its state, events, result, and the tail of its log."""

    def __init__(self, spec: JobSpec, path: Path, on_event: Callable[[dict], None] | None, env: dict | None = None):
        self.spec, self.path, self._env = spec, path, env
        self.state = "queued"  # queued, running, finished, failed, cancelled
        self.result: dict | None = None
        self.error: str | None = None
        self.returncode: int | None = None
        self.log = collections.deque(maxlen=LOG_LINES)
        self.events: list[dict] = []
        self._on_event = on_event
        self._process: subprocess.Popen | None = None
        self._done = threading.Event()
        self._cancel_asked = False
        self._killed = False

    # called by the supervisor -------------------------------------------------------------
    def _start(self) -> None:
        self.state = "running"
        self._process = subprocess.Popen(
            worker_command(self.path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
            env=self._env,
        )
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        for line in self._process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                self.log.append(line.rstrip())
                continue
            self._handle(event)
        self.returncode = self._process.wait()
        self._finish()

    def _read_stderr(self) -> None:
        for line in self._process.stderr:
            self.log.append(line.rstrip())

    def _handle(self, event: dict) -> None:
        self.events.append(event)
        if event.get("event") == "result":
            self.result = event["result"]
        elif event.get("event") == "error":
            self.error = event["message"]
        elif event.get("event") == "log":
            self.log.append(event["message"])
        if self._on_event is not None:
            self._on_event({**event, "job": self.spec.job_id})

    def _finish(self) -> None:
        code = self.returncode
        if code == 0:
            self.state = "finished"
        elif not self._killed and (code == 130 or (self._cancel_asked and (
                # a worker cancelled before it could install its handler dies of the signal itself
                code in (-signal.SIGTERM, -signal.SIGINT)
                or (self.result and self.result.get("status") == "cancelled")))):
            self.state = "cancelled"
        else:
            self.state = "failed"
            if self.error is None:
                how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
                self.error = f"the worker stopped unexpectedly ({how})"
        self._announce_end()

    def _announce_end(self) -> None:
        self._done.set()
        if self._on_event is not None:
            self._on_event({"event": "finished", "job": self.spec.job_id, "state": self.state, "error": self.error,
                            "log": list(self.log)[-10:]})

    def _end_unstarted(self, state: str, error: str | None = None) -> None:
        """A job that never ran (cancelled while queued, or its worker could not start)."""
        self.state, self.error = state, error
        self._announce_end()

    # public -------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def cancel(self, *, grace: float = CANCEL_GRACE_S) -> None:
        """Ask the job to stop (within one batch); a queued job never starts.

        A worker that has not stopped `grace` seconds later (hung, or stopped
        with SIGSTOP) is killed, and the job is marked failed, saying so.
        """
        self._cancel_asked = True
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            self._process.send_signal(signal.SIGCONT)  # a stopped worker handles SIGTERM only once continued
            timer = threading.Timer(grace, self._kill_if_alive, kwargs={"grace": grace})
            timer.daemon = True
            timer.start()

    def _kill_if_alive(self, *, grace: float) -> None:
        if self._process is not None and self._process.poll() is None:
            self.error = f"the worker did not stop within {grace:g} s of being cancelled and was killed"
            self._killed = True
            self._process.kill()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()


class Supervisor:
    """Runs jobs of one project in worker processes."""

    def __init__(self, project_dir, *, on_event: Callable[[dict], None] | None = None, threads: int | None = None):
        """`threads`: what the workers may use for prediction (``IRSTLABEL_THREADS``, unless the user set it)."""
        self.project_dir = Path(project_dir)
        self.on_event = on_event
        self._env = None
        if threads is not None and not os.environ.get("IRSTLABEL_THREADS", "").strip():
            self._env = {**os.environ, "IRSTLABEL_THREADS": str(threads)}
        self._queue: list[tuple[int, int, Job]] = []
        self._counter = itertools.count()
        self._running: dict[str, Job] = {}  # slot ("train" or "other") -> job
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._thread = threading.Thread(target=self._schedule, daemon=True)
        self._thread.start()

    def submit(self, spec: JobSpec, *, priority: int = 10) -> Job:
        path = spec.write(job_folder(self.project_dir) / f"{spec.job_id}.json")
        job = Job(spec, path, self.on_event, self._env)
        with self._wake:
            heapq.heappush(self._queue, (priority, next(self._counter), job))
            self._wake.notify()
        return job

    def jobs(self) -> list[Job]:
        with self._lock:
            return [entry[2] for entry in self._queue] + list(self._running.values())

    @staticmethod
    def _slot(job: Job) -> str:
        return "train" if job.spec.kind == "train" else "other"

    def _schedule(self) -> None:
        while True:
            with self._wake:
                job = None
                while job is None:
                    if self._closed:
                        return
                    job = self._next_startable()
                    if job is None:
                        self._wake.wait(0.5)
                self._running[self._slot(job)] = job
            if job._cancel_asked:
                job._end_unstarted("cancelled")
                self._release(job)
                continue
            try:
                job._start()
            except OSError as exc:
                job._end_unstarted("failed", f"could not start the worker ({exc})")
                self._release(job)
                continue
            threading.Thread(target=self._watch, args=(job,), daemon=True).start()

    def _next_startable(self) -> Job | None:
        for k, (_, _, job) in enumerate(sorted(self._queue)):
            if self._slot(job) not in self._running:
                self._queue.remove(sorted(self._queue)[k])
                heapq.heapify(self._queue)
                return job
        return None

    def _watch(self, job: Job) -> None:
        job._read_stdout()
        self._release(job)

    def _release(self, job: Job) -> None:
        with self._wake:
            if self._running.get(self._slot(job)) is job:
                del self._running[self._slot(job)]
            self._wake.notify()

    def shutdown(self, *, cancel: bool = True, timeout: float = 10.0) -> None:
        """Stop scheduling; cancel what runs and wait for it."""
        with self._wake:
            self._closed = True
            queued = [entry[2] for entry in self._queue]
            self._queue.clear()
            running = list(self._running.values())
            self._wake.notify()
        for job in queued:
            job._end_unstarted("cancelled")
        for job in running:
            if cancel:
                job.cancel(grace=timeout)
            if not job.wait(timeout + 5.0):  # the grace timer kills it; this only bounds the wait
                job._kill_if_alive(grace=timeout)
                job.wait(5.0)
