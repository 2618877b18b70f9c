"""The prediction cache: probability maps in HDF5, one file per prediction set.

``predictions/<set>.h5`` holds one dataset per frame, stored as 8-bit levels
(``round(255 p)``, the resolution the ROC/PR curves use), LZF-compressed, one
chunk per frame, so a frame is one read. A set is written into a temporary
file by one writer and moved into place when complete, so readers never see
a half-written file. The cache is never the only copy of anything a person
made: a file that cannot be read, or whose format is not ours, is moved aside
(``*.damaged-<time>``) and treated as missing, to be computed again.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import h5py
import numpy as np

from ..core.errors import IrstlabelError
from ..core.datasets.predictions import to_levels

__all__ = ["PredictionCache", "CacheWriter"]

FORMAT = "irstlabel-predictions"
VERSION = 1


def _key(frame_id: str) -> str:
    return quote(frame_id.encode("utf-8", "surrogateescape"), safe="-_ ")


def _frame_id(key: str) -> str:
    return unquote_to_bytes(key).decode("utf-8", "surrogateescape")


def _set_file_name(name: str) -> str:
    if not name or name.startswith(".") or len(name) > 200:
        raise IrstlabelError(None, f"invalid prediction set name '{name}'")
    return quote(name, safe="-_.") + ".h5"


class CacheWriter:
    """Writes one prediction set; ``commit()`` moves it into place (context manager)."""

    def __init__(self, cache: "PredictionCache", name: str, attrs: dict, *, keep_existing: bool = False):
        self.cache, self.name = cache, name
        self.final = cache.path_of(name)
        self.temp = self.final.with_name(self.final.name + f".{os.getpid()}.tmp")
        self.file = h5py.File(self.temp, "w")
        self.file.attrs["format"] = FORMAT
        self.file.attrs["version"] = VERSION
        self.file.attrs["name"] = name
        for key, value in attrs.items():
            self.file.attrs[key] = value
        self.count = 0
        self.kept: set[str] = self._keep_existing() if keep_existing else set()

    def _keep_existing(self) -> set[str]:
        """Copy the frames the set already holds (chunks as they are): a resumed run adds to them."""
        kept = set()
        with self.cache._lock:
            source = self.cache._file(self.name)
            if source is None:
                return kept
            for key in source.keys():
                source.copy(source[key], self.file, name=key)
                kept.add(_frame_id(key))
        self.count = len(kept)
        return kept

    def write(self, frame_id: str, probability: np.ndarray) -> None:
        probability = np.asarray(probability)
        if probability.ndim != 2:
            raise ValueError(f"a probability map must be 2-D, got {probability.shape}")
        levels = to_levels(probability)
        key = _key(frame_id)
        if key in self.file:
            del self.file[key]
        self.file.create_dataset(key, data=levels, chunks=levels.shape, compression="lzf")
        self.count += 1

    def publish(self) -> None:
        """Make what is written so far readable under the set's name, and go on writing.

        A consistent copy of the file (flushed, fsynced) replaces the set; used
        for the first few frames of a long run (the frame on screen), so the
        copy is small. Readers reopen the set when its file changes.
        """
        self.file.attrs["frames"] = self.count
        self.file.flush()
        staging = self.final.with_name(self.final.name + f".{os.getpid()}.publish")
        shutil.copyfile(self.temp, staging)
        self._move_into_place(staging)

    def commit(self) -> None:
        self.file.attrs["frames"] = self.count
        self.file.close()
        self._move_into_place(self.temp)

    def _move_into_place(self, complete: Path) -> None:
        """fsync a complete set file and rename it over the set's name; readers reopen it."""
        with open(complete, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(complete, self.final)
        self.cache.forget(self.name)

    def abort(self) -> None:
        if self.file.id.valid:
            self.file.close()
        self.temp.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.commit()
        else:
            self.abort()
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def _ours(handle: h5py.File) -> bool:
    """Our format and version, read defensively (a crafted attribute is damage, not a crash)."""
    try:
        return handle.attrs.get("format") == FORMAT and int(handle.attrs.get("version", -1)) == VERSION
    except (TypeError, ValueError, OSError):
        return False


class PredictionCache:
    """Read and write prediction sets in a folder of HDF5 files."""

    def __init__(self, folder):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
        self._open: dict[str, tuple[h5py.File, tuple]] = {}
        self._lock = threading.Lock()
        self._remove_stale_temporaries()

    def _remove_stale_temporaries(self) -> None:
        """Files ``<set>.h5.<pid>.tmp|publish`` of writers that died (``kill -9``) are removed."""
        for path in list(self.folder.glob("*.h5.*.tmp")) + list(self.folder.glob("*.h5.*.publish")):
            try:
                pid = int(path.suffixes[-2].lstrip("."))
            except (ValueError, IndexError):
                continue
            if pid == os.getpid() or _alive(pid):
                continue
            try:
                path.unlink()
            except OSError:
                pass  # a read-only project: leave it

    def path_of(self, name: str) -> Path:
        return self.folder / _set_file_name(name)

    def writer(self, name: str, *, keep_existing: bool = False, **attrs) -> CacheWriter:
        """A writer for set `name`; the set appears when the writer commits (or publishes).

        With `keep_existing` the writer starts from the frames the set holds
        now (its ``kept`` ids), so a run that was stopped can be resumed.
        """
        return CacheWriter(self, name, attrs, keep_existing=keep_existing)

    def _file(self, name: str) -> h5py.File | None:
        path = self.path_of(name)
        try:
            stat = path.stat()
            mtime = (stat.st_ino, stat.st_mtime_ns)  # a published or committed set is a new file
        except FileNotFoundError:
            self.forget(name)
            return None
        cached = self._open.get(name)
        if cached is not None and cached[1] == mtime:
            return cached[0]
        self.forget(name)
        try:
            handle = h5py.File(path, "r")
            if not _ours(handle):
                handle.close()
                raise OSError("not an irstlabel prediction cache of this version")
        except OSError:
            self._move_aside(path)
            return None
        self._open[name] = (handle, mtime)
        return handle

    def _move_aside(self, path: Path) -> None:
        aside = path.with_name(f"{path.name}.damaged-{int(time.time())}")
        try:
            os.replace(path, aside)
        except OSError:
            pass

    def forget(self, name: str) -> None:
        cached = self._open.pop(name, None)
        if cached is not None:
            cached[0].close()

    def read(self, name: str, frame_id: str, *, shape: tuple[int, int] | None = None) -> np.ndarray | None:
        """The probability map (float32 in [0, 1]) of a frame, or None when not cached."""
        levels = self.read_levels(name, frame_id, shape=shape)
        return None if levels is None else levels.astype(np.float32) / 255.0

    def read_levels(self, name: str, frame_id: str, *, shape: tuple[int, int] | None = None) -> np.ndarray | None:
        """The stored 8-bit levels (``round(255 p)``) of a frame, or None.

        An entry that is not a 2-D uint8 array (of `shape`, when given) or that
        is an external or soft link is damage: the set is moved aside.
        """
        with self._lock:
            handle = self._file(name)
            if handle is None:
                return None
            key = _key(frame_id)
            if key not in handle:
                return None
            try:
                link = handle.get(key, getlink=True)
                entry = handle[key] if isinstance(link, h5py.HardLink) else None
                if (entry is None or not isinstance(entry, h5py.Dataset) or entry.ndim != 2 or entry.dtype != np.uint8
                        or (shape is not None and tuple(entry.shape) != tuple(shape))):
                    raise KeyError("not a frame's levels")
                return entry[()]
            except (OSError, KeyError, ValueError, TypeError):
                self.forget(name)
                self._move_aside(self.path_of(name))
                return None

    def frame_ids(self, name: str) -> list[str]:
        with self._lock:
            handle = self._file(name)
            return [] if handle is None else [_frame_id(k) for k in handle.keys()]

    def attrs(self, name: str) -> dict:
        with self._lock:
            handle = self._file(name)
            return {} if handle is None else {k: handle.attrs[k] for k in handle.attrs}

    def threshold(self, name: str) -> float:
        """The threshold the set's model was recorded with (a ``threshold`` attribute), else 0.5."""
        try:
            value = float(self.attrs(name).get("threshold", 0.5))
        except (TypeError, ValueError):
            return 0.5
        return value if 0.0 < value < 1.0 else 0.5

    def delete(self, name: str) -> None:
        with self._lock:
            self.forget(name)
            self.path_of(name).unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            for name in list(self._open):
                self.forget(name)
