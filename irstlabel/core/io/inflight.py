"""Work done once per key when several threads ask for it at the same time.

The workspace decodes the next frame on a helper thread while the user may
already be stepping onto it; without this the main thread would decode the
same PNG a second time in parallel, and wait just as long.
"""

from __future__ import annotations

import threading
from typing import Callable, Hashable, TypeVar

__all__ = ["InFlight"]

T = TypeVar("T")


class _Call:
    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


class InFlight:
    """``run(key, compute)``: a call for a key already being computed waits for that result.

    Examples
    --------
    >>> calls = []
    >>> InFlight().run("a", lambda: calls.append(1) or 42)
    42
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._running: dict[Hashable, _Call] = {}

    def run(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            call = self._running.get(key)
            owner = call is None
            if owner:
                call = self._running[key] = _Call()
        if not owner:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.value
        try:
            call.value = compute()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._running[key]
            call.done.set()
        return call.value
