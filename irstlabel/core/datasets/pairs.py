"""Where frame/mask pairs come from: the interface training, prediction and evaluation read through.

Plain numpy (no torch), so jobs that only evaluate or import never load a
deep-learning framework. Sources open their folders lazily and pickle without
their open state, so they can be sent to data-loader worker processes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PairSource", "DatasetPairs"]


class PairSource:
    """Frames and masks by id: ``frame_ids``, ``read_frame``, ``read_mask``, ``read``."""

    frame_ids: tuple[str, ...]

    def read_frame(self, frame_id: str) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def read_mask(self, frame_id: str) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, frame_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(image as stored, mask as bool)."""
        return self.read_frame(frame_id), self.read_mask(frame_id)

    def hard_negatives(self, frame_id: str) -> list[tuple[int, int, int, int]]:
        """Boxes ``(r0, c0, r1, c1)`` of known false alarms on a frame (none unless a project says so)."""
        return []

    def labelled_ids(self) -> tuple[str, ...]:
        """Frames whose label is known (all of a dataset's frames with a mask file)."""
        return self.frame_ids


class DatasetPairs(PairSource):
    """Pairs from a dataset folder, labels as the dataset ships them.

    Examples
    --------
    >>> import tempfile
    >>> from irstlabel.core.datasets.synthetic import make_demo_dataset
    >>> root = make_demo_dataset(tempfile.mkdtemp(), frames=2, size=(32, 40))
    >>> pairs = DatasetPairs(str(root))
    >>> pairs.read(pairs.frame_ids[0])[1].dtype
    dtype('bool')
    """

    def __init__(self, root: str, *, layout: str = "auto"):
        self.root, self.layout = str(root), layout
        self._dataset = None

    @property
    def dataset(self):
        if self._dataset is None:
            from .dataset import Dataset

            self._dataset = Dataset.open(self.root, layout=self.layout, cache_size=0)
        return self._dataset

    @property
    def frame_ids(self):
        return self.dataset.frame_ids

    def read_frame(self, frame_id: str) -> np.ndarray:
        return self.dataset.read_frame(frame_id)

    def read_mask(self, frame_id: str) -> np.ndarray:
        return self.dataset.read_mask(frame_id).mask

    def labelled_ids(self) -> tuple[str, ...]:
        return tuple(f for f in self.frame_ids if self.dataset.record(f).mask_path is not None)

    def __getstate__(self):
        return {"root": self.root, "layout": self.layout, "_dataset": None}
