"""Folders of frames, masks or predictions matched to frame ids.

Predictions come as binary masks or probability maps: 8/16-bit PNG (or any
image :func:`irstlabel.core.io.files.read_frame` reads) or ``.npy`` floats in
[0, 1]. Files are matched to frames by id; a ``_pixels0`` suffix on either
side is tolerated (SIRST names its masks ``Misc_1_pixels0.png``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import IrstlabelError, display_path
from ..io.files import read_frame, read_mask
from .layouts import find_layout, list_image_files

__all__ = ["to_levels", "normalize_id", "index_folder", "require_ids", "read_prediction", "MaskFolder", "FrameFolder", "open_labels"]

_SUFFIX = "_pixels0"


def to_levels(probability: np.ndarray) -> np.ndarray:
    """8-bit probability levels ``round(255 p)``, clipped to [0, 255].

    The one quantisation of model output: the prediction cache stores these
    levels, and every evaluation of a model (the GUI's, ``irstlabel evaluate``,
    validation while training) scores them, so the same checkpoint gives the
    same figures everywhere. Level k stands for probability k / 255; at the
    default threshold 0.5 a pixel is a target when its level is >= 128.

    Examples
    --------
    >>> to_levels(np.array([[0.0, 0.5, 0.502, 1.2]], np.float32))
    array([[  0, 128, 128, 255]], dtype=uint8)
    """
    probability = np.asarray(probability)
    if probability.dtype == np.uint8:
        return probability
    if probability.dtype == bool:
        return probability.astype(np.uint8) * 255
    return np.clip(np.rint(probability.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def normalize_id(frame_id: str) -> str:
    """A frame id without SIRST's ``_pixels0`` mask suffix."""
    return frame_id[: -len(_SUFFIX)] if frame_id.endswith(_SUFFIX) else frame_id


def index_folder(folder: str | os.PathLike) -> dict[str, Path]:
    """Map normalised frame id -> file for the image and ``.npy`` files of a folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IrstlabelError(folder, "folder not found" if not folder.exists() else "is a file, not a folder")
    found: dict[str, Path] = {}
    for stem, name in list_image_files(folder).items():
        key = normalize_id(stem)
        if key in found:
            raise IrstlabelError(folder / name, f"two files for frame '{display_path(key)}' ({found[key].name})")
        found[key] = folder / name
    if not found:
        raise IrstlabelError(folder, "no image or .npy files found")
    return found


def require_ids(index: dict[str, Path], frame_ids, folder, what: str) -> list[Path]:
    """The files for `frame_ids`, in order; an error lists the ids that have none."""
    missing = [i for i in frame_ids if normalize_id(i) not in index]
    if missing:
        shown = ", ".join(repr(display_path(m)) for m in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise IrstlabelError(folder, f"no {what} for {len(missing)} frame(s): {shown}{more}")
    return [index[normalize_id(i)] for i in frame_ids]


def read_prediction(path: str | os.PathLike) -> np.ndarray:
    """A prediction file as a bool mask or a probability map.

    Binary files (0/1, 0/255, 0/65535) come back as bool; other 8- and 16-bit
    images as uint8 / uint16 probability maps (scaled by 255 / 65535, which
    :func:`irstlabel.core.metrics.evaluation.binarize` understands); floats must lie in
    [0, 1] and come back as float32.
    """
    array = read_frame(path)
    if array.dtype == bool:
        return array
    if np.issubdtype(array.dtype, np.floating):
        low, high = float(np.nanmin(array)), float(np.nanmax(array))
        if np.isnan(array).any() or low < 0.0 or high > 1.0:
            raise IrstlabelError(path, f"probabilities must lie in [0, 1]; found {low:g} to {high:g} (or NaN)")
        return array.astype(np.float32, copy=False)
    if array.dtype not in (np.uint8, np.uint16):
        raise IrstlabelError(path, f"unsupported prediction type {array.dtype}; use 8/16-bit images or float .npy")
    values = np.unique(array)
    top = np.iinfo(array.dtype).max
    if np.all(np.isin(values, (0, 1))) or np.all(np.isin(values, (0, top))):
        return array > 0
    return array


class MaskFolder:
    """A folder of mask files standing in for a dataset's labels."""

    layout = "masks"

    def __init__(self, folder: str | os.PathLike):
        self.root = Path(folder)
        self._files = index_folder(self.root)
        self.frame_ids = tuple(sorted(self._files))
        self.splits = {"all": self.frame_ids}

    def __len__(self) -> int:
        return len(self.frame_ids)

    def split(self, name: str):
        if name != "all":
            raise IrstlabelError(self.root, f"a folder of masks has no split '{name}'; use --split all")
        return self.frame_ids

    def read_mask(self, frame_id: str):
        return read_mask(self._files[normalize_id(frame_id)])


def open_labels(path: str | os.PathLike):
    """A dataset folder (any layout) or, failing that, a plain folder of masks."""
    from .dataset import Dataset

    return Dataset.open(path) if find_layout(path) is not None else MaskFolder(path)


class FrameFolder:
    """Frames by id from a dataset folder or a plain folder of images (``frame_ids``, ``read_frame``)."""

    def __init__(self, path: str | os.PathLike):
        from .dataset import Dataset

        if find_layout(path) is not None:
            dataset = Dataset.open(path)
            self.frame_ids, self.read_frame = dataset.frame_ids, dataset.read_frame
        else:
            files = index_folder(path)
            self.frame_ids = tuple(sorted(files))
            self.read_frame = lambda frame_id: read_frame(files[normalize_id(frame_id)])
