"""Whether training will find a CUDA GPU, answered without importing torch.

The GUI never imports torch (it costs seconds and hundreds of MB, and only
workers need it). For the Retrain dialog's defaults it is enough to know that
the installed torch is a CUDA build (``torch/version.py`` names a CUDA
version) and that an NVIDIA device is present. The train job itself decides
with torch (``device="auto"``) and reports the device it uses.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

__all__ = ["torch_cuda_build", "nvidia_device_present", "cuda_likely"]


def torch_cuda_build() -> str | None:
    """The CUDA version the installed torch was built for, or None (CPU build, or no torch)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    version_file = Path(list(spec.submodule_search_locations)[0]) / "version.py"
    try:
        text = version_file.read_text()
    except OSError:
        return None
    match = re.search(r"^cuda\s*(?::\s*[^=]+)?=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    return match.group(1) if match else None


def nvidia_device_present() -> bool:
    gpus = Path("/proc/driver/nvidia/gpus")
    return (gpus.is_dir() and any(gpus.iterdir())) or Path("/dev/nvidia0").exists()


def cuda_likely() -> bool:
    """True when training will most likely run on a CUDA GPU."""
    return torch_cuda_build() is not None and nvidia_device_present()


def background_threads() -> int:
    """Threads a worker started from the GUI may use: the usable cores less one (1 to 8), so the window keeps a
    core. On a busy 2-core machine one thread ran 2-3x faster than two beside the GUI (docs/benchmarks.md)."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores - 1))
