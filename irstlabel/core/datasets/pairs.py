"""Where frame/mask pairs come from: the interface training, prediction and evaluation read through.

Plain numpy (no torch), so jobs that only evaluate or import never load a
deep-learning framework. Sources open their folders lazily and pickle without
their open state, so they can be sent to data-loader worker processes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PairSource", "DatasetPairs", "CombinedPairs", "WithNegatives", "set_of"]


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


def set_of(frame_id: str) -> str:
    """The set a :class:`CombinedPairs` key names (``"nudt:0001"`` -> ``"nudt"``); ``""`` for a plain frame id.

    >>> set_of("nudt:000123"), set_of("Misc_1")
    ('nudt', '')
    """
    name, separator, _ = str(frame_id).partition(CombinedPairs.SEPARATOR)
    return name if separator else ""


class CombinedPairs(PairSource):
    """Several sources as one: frame ids are ``"<name>:<id>"`` (training on many datasets at once).

    Examples
    --------
    >>> import tempfile
    >>> from irstlabel.core.datasets.synthetic import make_demo_dataset
    >>> a = DatasetPairs(str(make_demo_dataset(tempfile.mkdtemp(), frames=2, size=(32, 40))))
    >>> b = DatasetPairs(str(make_demo_dataset(tempfile.mkdtemp(), frames=1, size=(48, 40))))
    >>> both = CombinedPairs({"a": a, "b": b})
    >>> both.frame_ids
    ('a:frame_0001', 'a:frame_0002', 'b:frame_0001')
    >>> both.read_frame("b:frame_0001").shape
    (48, 40)
    """

    SEPARATOR = ":"

    def __init__(self, sources: dict[str, PairSource]):
        bad = [name for name in sources if not name or self.SEPARATOR in name]
        if bad or not sources:
            raise ValueError(f"need sources with names free of {self.SEPARATOR!r}, got {list(sources)}")
        self.sources = dict(sources)

    def key(self, name: str, frame_id: str) -> str:
        return f"{name}{self.SEPARATOR}{frame_id}"

    def keys(self, name: str, frame_ids) -> tuple[str, ...]:
        return tuple(self.key(name, f) for f in frame_ids)

    def _split(self, key: str) -> tuple[PairSource, str]:
        name, _, frame_id = key.partition(self.SEPARATOR)
        if name not in self.sources:
            raise KeyError(f"no source named {name!r} (frame {key!r})")
        return self.sources[name], frame_id

    @property
    def frame_ids(self):
        return tuple(self.key(n, f) for n, source in self.sources.items() for f in source.frame_ids)

    def read_frame(self, frame_id: str) -> np.ndarray:
        source, own = self._split(frame_id)
        return source.read_frame(own)

    def read_mask(self, frame_id: str) -> np.ndarray:
        source, own = self._split(frame_id)
        return source.read_mask(own)

    def hard_negatives(self, frame_id: str):
        source, own = self._split(frame_id)
        return source.hard_negatives(own)

    def labelled_ids(self) -> tuple[str, ...]:
        return tuple(self.key(n, f) for n, source in self.sources.items() for f in source.labelled_ids())


class WithNegatives(PairSource):
    """A source plus known false alarms per frame (e.g. mined from a model's predictions).

    `boxes` maps a frame id to ``(r0, c0, r1, c1)`` boxes; they add to the
    source's own hard negatives.
    """

    def __init__(self, source: PairSource, boxes: dict[str, list]):
        self.source = source
        self.boxes = {k: [tuple(int(v) for v in box) for box in value] for k, value in boxes.items()}

    @property
    def frame_ids(self):
        return self.source.frame_ids

    def read_frame(self, frame_id: str) -> np.ndarray:
        return self.source.read_frame(frame_id)

    def read_mask(self, frame_id: str) -> np.ndarray:
        return self.source.read_mask(frame_id)

    def hard_negatives(self, frame_id: str):
        return list(self.source.hard_negatives(frame_id)) + self.boxes.get(frame_id, [])

    def labelled_ids(self) -> tuple[str, ...]:
        return self.source.labelled_ids()
