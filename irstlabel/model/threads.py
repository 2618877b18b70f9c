"""How many threads prediction uses, and whether a CUDA GPU can be present: no deep-learning framework here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..core.errors import IrstlabelError

__all__ = ["default_threads", "usable_cores", "no_cuda_driver"]


def default_threads() -> int:
    """Threads for CPU prediction, whatever the backend: ``$IRSTLABEL_THREADS``, else the usable cores (1 to 8).

    A command on its own uses the machine; the GUI's job runner sets
    ``IRSTLABEL_THREADS`` for its workers to the cores less one, so that the
    window keeps a core (:func:`irstlabel.jobs.devices.background_threads`).
    Eager PyTorch and OpenVINO get the same number: until issue 24, OpenVINO
    ran on the cores less one and PyTorch on all of them, which made the
    "fast" default 0.7x of PyTorch end to end on an idle 2-core machine.
    """
    value = os.environ.get("IRSTLABEL_THREADS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise IrstlabelError(None, f"IRSTLABEL_THREADS must be a whole number, got '{value}'") from None
    return max(1, min(8, usable_cores()))


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def no_cuda_driver() -> bool:
    """True where no CUDA GPU can be used (Linux without the NVIDIA driver loaded), known without importing torch.

    Elsewhere (a loaded driver, another system) only torch can tell, so False.
    """
    return sys.platform.startswith("linux") and not Path("/proc/driver/nvidia/version").exists()
