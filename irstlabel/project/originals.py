"""The dataset's own masks, read fast: a small LRU, one decode per mask however many threads ask, and a helper
thread that decodes a frame's mask while the caller decodes the frame.

The masks are read-only arrays (irstlabel never changes a dataset's labels).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np

from ..core.io.inflight import InFlight

__all__ = ["OriginalMasks"]

KEPT = 16  # masks kept decoded (the frames around the one on screen)


class OriginalMasks:
    """``read(frame_id) -> mask`` behind an LRU of `kept` masks; thread-safe."""

    def __init__(self, read: Callable[[str], np.ndarray], *, kept: int = KEPT):
        self._read, self._kept = read, kept
        self._masks: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._decoding = InFlight()  # a mask the prefetch thread is decoding is waited for, not decoded twice
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode-mask")

    def get(self, frame_id: str) -> np.ndarray:
        with self._lock:
            cached = self._masks.get(frame_id)
            if cached is not None:
                self._masks.move_to_end(frame_id)
                return cached
        return self._decoding.run(frame_id, lambda: self._decode(frame_id))

    def get_beside(self, frame_id: str) -> Future | None:
        """Start decoding on the helper thread (None when already decoded): the caller decodes the frame meanwhile."""
        with self._lock:
            if frame_id in self._masks:
                return None
        return self._helper.submit(self.get, frame_id)

    def _decode(self, frame_id: str) -> np.ndarray:
        mask = self._read(frame_id)
        mask.setflags(write=False)
        with self._lock:
            self._masks[frame_id] = mask
            while len(self._masks) > self._kept:
                self._masks.popitem(last=False)
        return mask

    def close(self) -> None:
        self._helper.shutdown(wait=True, cancel_futures=True)
