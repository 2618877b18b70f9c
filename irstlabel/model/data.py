"""Training and inference data: frame/mask pairs, normalisation, augmentation (Section V-A).

Frames are scaled to [0, 1] by their type's range and standardised per frame
(zero mean, unit variance): infrared frames of different bit depths and
gains then look alike to the network. Training samples are unified to the
training size with the paper's "fill" resize, then augmented: random scaling
(aspect ratio x 0.58-1.85, long side x 0.5-2), a random crop back to the
training size (zero padding where the scaled frame is smaller), horizontal
flip, additive Gaussian noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from ..core.curation import fill_resize, fill_resize_mask
from ..core.pairs import DatasetPairs, PairSource

__all__ = ["normalize_frame", "Augment", "PairSource", "DatasetPairs", "TrainingSamples"]


def normalize_frame(image: np.ndarray) -> np.ndarray:
    """Frame -> float32, scaled to [0, 1] by its dtype, standardised per frame."""
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        x = image.astype(np.float32) / float(np.iinfo(image.dtype).max)
    else:
        x = image.astype(np.float32)
    return (x - x.mean()) / (x.std() + 1e-6)


@dataclass(frozen=True)
class Augment:
    """Augmentation settings (the paper's, by default)."""

    aspect: tuple[float, float] = (0.58, 1.85)
    long_side: tuple[float, float] = (0.5, 2.0)
    hflip: bool = True
    noise_std: tuple[float, float] = (0.0, 0.1)  # in standardised units
    noise_probability: float = 0.5
    keep_target: bool = True  # crops of a frame with targets hold at least one target pixel


def _random_scale(rng, image, mask, augment: Augment):
    h, w = image.shape
    aspect = (w / h) * rng.uniform(*augment.aspect)
    long_side = max(h, w) * rng.uniform(*augment.long_side)
    if aspect >= 1:
        nw, nh = long_side, long_side / aspect
    else:
        nh, nw = long_side, long_side * aspect
    nh, nw = max(int(round(nh)), 4), max(int(round(nw)), 4)
    image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    mask = cv2.resize(mask.astype(np.uint8), (nw, nh), interpolation=cv2.INTER_NEAREST).astype(bool)
    return image, mask


def _random_crop(rng, image, mask, size, *, keep_target: bool = False):
    """A random `size` crop (zero padding where the frame is smaller).

    With `keep_target` and a mask with targets, the crop is drawn among those
    that hold a randomly chosen target pixel: a target-free crop gives F-SIoU
    a loss of ~alpha and almost no gradient (the smoothing term is 1e-6), so
    it would cost a step and teach nothing.
    """
    th, tw = size
    h, w = image.shape
    if h < th or w < tw:
        ph, pw = max(th - h, 0), max(tw - w, 0)
        image = np.pad(image, ((0, ph), (0, pw)))
        mask = np.pad(mask, ((0, ph), (0, pw)))
        h, w = image.shape
    rows, cols = (0, h - th), (0, w - tw)
    if keep_target:
        ys, xs = np.nonzero(mask)
        if len(ys):
            k = int(rng.integers(len(ys)))
            rows = (max(0, ys[k] - th + 1), min(ys[k], h - th))
            cols = (max(0, xs[k] - tw + 1), min(xs[k], w - tw))
    r = int(rng.integers(rows[0], rows[1] + 1))
    c = int(rng.integers(cols[0], cols[1] + 1))
    return image[r : r + th, c : c + tw], mask[r : r + th, c : c + tw]


class TrainingSamples(TorchDataset):
    """Augmented training samples of a fixed size from a :class:`PairSource`.

    Deterministic given ``seed`` and the epoch (set with :meth:`set_epoch`), so
    CPU runs are reproducible whatever the number of loader workers.
    """

    def __init__(self, source: PairSource, frame_ids, size: tuple[int, int], *, augment: Augment | None = Augment(), seed: int = 0):
        self.source, self.frame_ids, self.size = source, tuple(frame_ids), tuple(size)
        self.augment, self.seed, self.epoch = augment, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.frame_ids)

    def __getitem__(self, index: int):
        image, mask = self.source.read(self.frame_ids[index])
        x = normalize_frame(image)
        x, _ = fill_resize(x, self.size)
        m = fill_resize_mask(mask, self.size)
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            x, m = _random_scale(rng, x, m, self.augment)
            x, m = _random_crop(rng, x, m, self.size, keep_target=self.augment.keep_target)
            if self.augment.hflip and rng.random() < 0.5:
                x, m = x[:, ::-1], m[:, ::-1]
            if rng.random() < self.augment.noise_probability:
                x = x + rng.normal(0, rng.uniform(*self.augment.noise_std), x.shape).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(x, np.float32))[None], torch.from_numpy(
            np.ascontiguousarray(m, np.float32)
        )[None]
