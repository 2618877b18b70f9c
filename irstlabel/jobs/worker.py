"""The worker process: ``irstlabel worker JOB.json`` runs one job and prints JSON lines.

Events, one JSON object per line on stdout: ``started``, ``progress`` (step,
total, message, metrics), ``epoch``, ``log``, then ``result`` or ``error``.
Everything else the process prints (warnings, libraries) goes to stderr, which
the supervisor keeps the tail of. SIGTERM or SIGINT asks the job to stop; it
stops within one batch or frame.

Exit status: 0 done, 2 a user error (bad file, setting), 130 cancelled, 1 crash.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback

from ..core.errors import IrstlabelError, from_os_error
from .runner import JobCancelled, run_job
from .spec import JobSpec
from ..core.io.jsonio import to_json


def _event_stream():
    """A private copy of stdout for events; fd 1 then points at stderr for everything else."""
    events = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return events


def main(job_path: str) -> int:
    events = _event_stream()
    lock = threading.Lock()

    def emit(event: dict) -> None:
        line = to_json(event, default=float)
        with lock:
            events.write(line + "\n")
            events.flush()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        spec = JobSpec.read(job_path)
        emit({"event": "started", "job": spec.job_id, "kind": spec.kind, "pid": os.getpid()})
        result = run_job(spec, emit, stop.is_set)
    except JobCancelled:
        emit({"event": "result", "result": {"status": "cancelled"}})
        return 130
    except (IrstlabelError, OSError) as exc:
        message = str(exc if isinstance(exc, IrstlabelError) else from_os_error(exc))
        emit({"event": "error", "message": message, "user_error": True})
        return 2
    except Exception as exc:  # a crash: report it, with the traceback in the log
        traceback.print_exc()
        emit({"event": "error", "message": f"{type(exc).__name__}: {exc}", "user_error": False})
        return 1
    emit({"event": "result", "result": result})
    return 130 if result.get("status") == "cancelled" else 0
