"""What a job is: a kind, where the data is, and its settings, as a small JSON file."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.errors import IrstlabelError
from ..core.jsonio import to_json

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
        if self.kind not in JOB_KINDS:
            raise IrstlabelError(None, f"unknown job kind '{self.kind}'; valid: {', '.join(JOB_KINDS)}")

    def write(self, path) -> Path:
        path = Path(path)
        path.write_text(to_json(asdict(self)))
        return path

    @classmethod
    def read(cls, path) -> "JobSpec":
        try:
            data = json.loads(Path(path).read_text())
            return cls(**data)
        except FileNotFoundError:
            raise IrstlabelError(path, "job file not found") from None
        except (ValueError, TypeError) as exc:
            raise IrstlabelError(path, f"not a job file ({exc})") from None


def job_folder(project: str | os.PathLike) -> Path:
    folder = Path(project) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
