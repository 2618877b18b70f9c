"""What a job is: a kind, where the data is, and its settings, as a small JSON file."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.errors import IrstlabelError
from ..core.io.jsonio import to_json

JOB_KINDS = ("train", "predict", "evaluate", "propose", "import", "curate")


@dataclass(frozen=True)
class JobSpec:
    """A job for a worker process (or for the CLI, in-process).

    Attributes
    ----------
    kind : {"train", "predict", "evaluate", "propose", "import", "curate"}
    dataset : str
        The dataset folder.
    project : str
        The project folder; masks are read from it (the current labels).
    settings : dict
        The kind's settings (see :mod:`irstlabel.jobs.runner`).
    job_id : str
    """

    kind: str
    dataset: str
    project: str
    settings: dict = field(default_factory=dict)
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in JOB_KINDS:
            raise IrstlabelError(None, f"unknown job kind {self.kind!r}; valid: {', '.join(JOB_KINDS)}")
        for name in ("dataset", "project", "job_id"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise IrstlabelError(None, f"job {name} must be a non-empty string, got {getattr(self, name)!r}")
        if not isinstance(self.settings, dict):
            raise IrstlabelError(None, f"job settings must be a mapping, got {type(self.settings).__name__}")
        _check_settings(self.kind, self.settings)

    def write(self, path) -> Path:
        path = Path(path)
        path.write_text(to_json(asdict(self)))
        return path

    @classmethod
    def read(cls, path) -> "JobSpec":
        """A job file, checked against the schema: known keys only, each of its type."""
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            raise IrstlabelError(path, "job file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise IrstlabelError(path, f"job file cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
        if len(text) > 1 << 20:
            raise IrstlabelError(path, "not a job file (larger than 1 MiB)")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise IrstlabelError(path, f"not a job file ({str(exc)[:80] or 'nested too deeply'})") from None
        if not isinstance(data, dict) or set(data) - _FIELDS or not {"kind", "dataset", "project"} <= set(data):
            raise IrstlabelError(path, f"not a job file (keys must be {', '.join(sorted(_FIELDS))})")
        try:
            return cls(**data)
        except IrstlabelError as exc:
            raise IrstlabelError(path, exc.problem) from None


_FIELDS = {"kind", "dataset", "project", "settings", "job_id"}
_TEXT, _NUMBER, _LIST, _MAP = (str,), (int, float), (list,), (dict,)
_OPTIONAL = (type(None),)
_BOOL = (bool,)
# each kind's settings and their JSON types (see irstlabel.jobs.runner)
SETTINGS = {
    "train": {"model": _MAP, "train": _MAP, "init_checkpoint": _TEXT + _OPTIONAL, "run_dir": _TEXT + _OPTIONAL,
              "train_split": _TEXT + _OPTIONAL, "val_split": _TEXT + _OPTIONAL, "name": _TEXT + _OPTIONAL,
              "plan": _MAP + _OPTIONAL, "train_on_test": _BOOL},
    "predict": {"checkpoint": _TEXT, "set": _TEXT, "frames": _LIST + _OPTIONAL, "first": _TEXT + _LIST + _OPTIONAL,
                "device": _TEXT + _OPTIONAL, "size": _LIST + _TEXT + _OPTIONAL, "resume": _BOOL},
    "evaluate": {"set": _TEXT, "splits": _LIST, "split": _TEXT, "options": _MAP},
    "propose": {"frames": _LIST + _OPTIONAL, "set": _TEXT},
    "import": {"folder": _TEXT, "set": _TEXT},
    "curate": {"step": _TEXT, "out": _TEXT, "size": _LIST, "method": _TEXT, "threshold": _NUMBER + _OPTIONAL,
               "plots": _TEXT + _OPTIONAL},
}


def _check_settings(kind: str, settings: dict) -> None:
    allowed = SETTINGS[kind]
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        raise IrstlabelError(None, f"unknown setting(s) for a {kind} job: {', '.join(map(str, unknown))}; "
                                   f"known: {', '.join(sorted(allowed))}")
    for key, value in settings.items():
        if isinstance(value, bool) and bool not in allowed[key] or not isinstance(value, allowed[key]):
            names = "/".join("null" if t is type(None) else t.__name__ for t in allowed[key])
            raise IrstlabelError(None, f"{kind} job setting '{key}' must be {names}, got {type(value).__name__}")


def job_folder(project: str | os.PathLike) -> Path:
    folder = Path(project) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
