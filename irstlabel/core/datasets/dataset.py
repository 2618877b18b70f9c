"""Open a dataset folder, detect its layout and read its frames lazily.

Opening only lists folders and reads split files; a frame is decoded the
first time it is asked for, and a small LRU keeps the most recent ones.

Examples
--------
>>> from irstlabel.core.datasets.synthetic import make_demo_dataset
>>> import tempfile
>>> root = make_demo_dataset(tempfile.mkdtemp(), frames=3, size=(64, 80), seed=0)
>>> ds = Dataset.open(root)
>>> ds.layout, len(ds)
('generic', 3)
>>> ds.read_frame(ds.frame_ids[0]).shape
(64, 80)
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..errors import DatasetWarning, IrstlabelError, display_path
from ..io.inflight import InFlight
from ..io.files import MaskRead, read_frame, read_mask, check_mask_shape
from .layouts import LAYOUTS, FrameRecord, index_dataset

__all__ = ["Dataset", "FrameRecord", "LAYOUTS"]

ALL_SPLIT = "all"


def _frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


class Dataset:
    """A dataset folder in one of the known layouts, indexed lazily.

    Use :meth:`Dataset.open`. Attributes: ``root``, ``layout``, ``frame_ids``
    (in natural order), ``splits`` (name -> tuple of frame ids; ``"all"`` is
    always there), ``warnings`` (one line each: what is unusual but did not
    stop the dataset from opening, such as a conventional split that is absent).
    """

    def __init__(self, root: Path, layout: str, frames: list[FrameRecord], splits, *, cache_size: int,
                 warnings: tuple[str, ...] = ()):
        self.root = root
        self.layout = layout
        self.warnings = tuple(warnings)
        self._records = {r.id: r for r in frames}
        self.frame_ids: tuple[str, ...] = tuple(r.id for r in frames)
        self.splits: dict[str, tuple[str, ...]] = dict(splits)
        self.splits.setdefault(ALL_SPLIT, self.frame_ids)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._decoding = InFlight()  # a frame the prefetch thread is decoding is waited for, not decoded twice

    @classmethod
    def open(cls, root: str | os.PathLike, *, layout: str = "auto", cache_size: int = 32) -> "Dataset":
        """Open a dataset folder.

        Parameters
        ----------
        root : path-like
            The dataset folder.
        layout : str, keyword-only
            One of ``LAYOUTS`` or ``"auto"`` (default) to detect it.
        cache_size : int, keyword-only
            How many decoded frames to keep in memory.

        Raises
        ------
        IrstlabelError
            Missing or unreadable folders, unknown layouts, split files that
            are missing or name frames that are not on disk.
        """
        if cache_size < 0:
            raise IrstlabelError(None, f"cache_size must be >= 0, got {cache_size}")
        root = Path(root)
        index = index_dataset(root, layout)
        for message in index.warnings:
            warnings.warn(DatasetWarning(message), stacklevel=2)
        return cls(root, index.layout, index.frames, index.splits, cache_size=cache_size, warnings=index.warnings)

    def __len__(self) -> int:
        return len(self.frame_ids)

    def __contains__(self, frame_id: str) -> bool:
        return frame_id in self._records

    def __repr__(self) -> str:
        return f"Dataset({display_path(self.root)!r}, layout={self.layout!r}, frames={len(self)})"

    def record(self, frame_id: str) -> FrameRecord:
        """Where a frame's image and mask are."""
        try:
            return self._records[frame_id]
        except KeyError:
            raise IrstlabelError(self.root, f"no frame '{display_path(frame_id)}' in this dataset") from None

    def split(self, name: str) -> tuple[str, ...]:
        """The frame ids of a split.

        `name` is a split file's name (``"test_v1"``) or a unique short form
        of it (``"test"`` for ``test_v1``); ``"all"`` is every frame.
        """
        if name in self.splits:
            return self.splits[name]
        matches = [key for key in self.splits if key.startswith(name + "_")]
        if len(matches) == 1:
            return self.splits[matches[0]]
        choices = ", ".join(f"{key} ({_frames(len(self.splits[key]))})" for key in sorted(self.splits))
        why = f"is ambiguous ({', '.join(matches)})" if matches else "does not exist in this dataset"
        raise IrstlabelError(self.root, f"split '{name}' {why}; choose one of: {choices}")

    def read_frame(self, frame_id: str) -> np.ndarray:
        """The frame as stored (grey, bit depth kept), through the LRU cache.

        The returned array is read-only: it is shared with the cache.
        """
        with self._lock:
            if frame_id in self._cache:
                self._cache.move_to_end(frame_id)
                return self._cache[frame_id]
        return self._decoding.run(frame_id, lambda: self._decode(frame_id))

    def _decode(self, frame_id: str) -> np.ndarray:
        image = read_frame(self.record(frame_id).image_path)
        image.setflags(write=False)
        with self._lock:
            if self._cache_size:
                self._cache[frame_id] = image
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return image

    def read_mask(self, frame_id: str) -> MaskRead:
        """The dataset's own mask for a frame, checked against the frame's size.

        A frame without a mask file (a background frame, or one not labelled
        yet) gets an all-false mask and the encoding ``"none (no mask file)"``.
        """
        record = self.record(frame_id)
        if record.mask_path is None:
            return MaskRead(np.zeros(self.read_frame(frame_id).shape[:2], bool), "none (no mask file)")
        found = read_mask(record.mask_path)  # decoded before the frame is asked for: the two can run in parallel
        return check_mask_shape(record.mask_path, found, self.read_frame(frame_id).shape[:2])

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
