"""Reading a project's current labels without its writer lock (jobs run beside the GUI)."""

from __future__ import annotations

from pathlib import Path

from ..core.io import read_mask
from ..core.pairs import PairSource


class ProjectPairs(PairSource):
    """Frames from the dataset, masks from the project (edited) or the dataset (unedited).

    Reads the mask files directly, so it works while another process holds the
    project's writer lock; safe to send to data-loader worker processes.
    """

    def __init__(self, dataset_dir: str, project_dir: str):
        self.dataset_dir, self.project_dir = str(dataset_dir), str(project_dir)
        self._dataset = None

    def _open(self):
        if self._dataset is None:
            from ..core.datasets import Dataset

            self._dataset = Dataset.open(self.dataset_dir, cache_size=0)
        return self._dataset

    @property
    def dataset(self):
        return self._open()

    def read_frame(self, frame_id: str):
        return self._open().read_frame(frame_id)

    @property
    def frame_ids(self):
        return self._open().frame_ids

    def read_mask(self, frame_id: str):
        dataset = self._open()
        edited = Path(self.project_dir) / "masks" / f"{frame_id}.png"
        if edited.exists():
            return read_mask(edited, shape=dataset.read_frame(frame_id).shape).mask
        return dataset.read_mask(frame_id).mask

    def __getstate__(self):
        return {"dataset_dir": self.dataset_dir, "project_dir": self.project_dir, "_dataset": None}
