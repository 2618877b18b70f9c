"""Training and inference data: frame/mask pairs, normalisation, augmentation (Section V-A).

Frames are scaled to [0, 1] by their type's range and standardised per frame
(zero mean, unit variance): infrared frames of different bit depths and
gains then look alike to the network.

Training samples are **crops at the inference scale** (the default,
``sampling="scale"``): a window of the standardised frame is cut around a
target (or a known false alarm, or anywhere), resized by the scale the
checkpoint predicts at times a random factor around it, so a target covers
as many network pixels in training as in prediction, whatever the frame's
size. A whole frame is never squeezed to the training size. The paper's
reading (``sampling="fill"``: every frame "fill"-resized to the training
size, then random scaling with aspect x 0.58-1.85 and long side x 0.5-2,
a random crop back) stays as an option for SHR-IRST-style unified frames.
Both add a horizontal flip and Gaussian noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from ..core.curation.steps import fill_resize, fill_resize_mask
from ..core.datasets.pairs import DatasetPairs, PairSource
from .maps import normalize_frame

__all__ = ["normalize_frame", "Augment", "PairSource", "DatasetPairs", "TrainingSamples", "scale_crop"]


@dataclass(frozen=True)
class Augment:
    """Augmentation settings; ``aspect`` and ``long_side`` are the paper's fill-mode scaling."""

    aspect: tuple[float, float] = (0.58, 1.85)
    long_side: tuple[float, float] = (0.5, 2.0)
    scale_range: tuple[float, float] = (0.7, 1.4)  # scale mode: x the inference scale, log-uniform
    scale_aspect: tuple[float, float] = (0.9, 1.1)  # scale mode: mild anisotropy (sensors' pixels are square)
    negative_probability: float = 0.5  # scale mode: a crop centred on a known false alarm, when the frame has one
    background_probability: float = 0.0  # scale mode: a crop anywhere, even on a frame with targets
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

    Parameters
    ----------
    source : PairSource
        Frames, masks and known false alarms (``hard_negatives``).
    frame_ids : sequence of str
        The training frames.
    size : (int, int)
        The crop (network input) size.
    scale : float, optional
        The inference scale crops are cut at (``sampling="scale"``).
    sampling : {"scale", "fill"}
        Crops at the inference scale, or the paper's fill resize of whole frames.
    samples : int, optional
        Samples per epoch (default: one per frame); frames repeat in order.

    Deterministic given ``seed`` and the epoch (set with :meth:`set_epoch`), so
    CPU runs are reproducible whatever the number of loader workers.
    """

    def __init__(self, source: PairSource, frame_ids, size: tuple[int, int], *, augment: Augment | None = Augment(),
                 seed: int = 0, scale: float = 1.0, sampling: str = "scale", samples: int | None = None):
        if sampling not in ("scale", "fill"):
            raise ValueError(f"sampling must be 'scale' or 'fill', got {sampling!r}")
        self.source, self.frame_ids, self.size = source, tuple(frame_ids), tuple(size)
        self.augment, self.seed, self.epoch = augment, seed, 0
        self.scale, self.sampling = float(scale), sampling
        self.samples = max(int(samples or 0), len(self.frame_ids))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.samples

    def __getitem__(self, index: int):
        frame_id = self.frame_ids[index % len(self.frame_ids)]
        image, mask = self.source.read(frame_id)
        x = normalize_frame(image)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.sampling == "fill":
            x, m = self._fill_sample(rng, x, mask)
        else:
            x, m = scale_crop(rng, x, mask, self.size, scale=self.scale, augment=self.augment or Augment(),
                              negatives=self.source.hard_negatives(frame_id), jitter=self.augment is not None)
        if self.augment is not None:
            if self.augment.hflip and rng.random() < 0.5:
                x, m = x[:, ::-1], m[:, ::-1]
            if rng.random() < self.augment.noise_probability:
                x = x + rng.normal(0, rng.uniform(*self.augment.noise_std), x.shape).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(x, np.float32))[None], torch.from_numpy(
            np.ascontiguousarray(m, np.float32)
        )[None]

    def _fill_sample(self, rng, x, mask):
        x, _ = fill_resize(x, self.size)
        m = fill_resize_mask(mask, self.size)
        if self.augment is not None:
            x, m = _random_scale(rng, x, m, self.augment)
            x, m = _random_crop(rng, x, m, self.size, keep_target=self.augment.keep_target)
        return x, m


def scale_crop(rng, x: np.ndarray, mask: np.ndarray, size: tuple[int, int], *, scale: float,
               augment: Augment = Augment(), negatives=(), jitter: bool = True):
    """A `size` crop of the standardised frame `x` at `scale` (times a random factor when `jitter`).

    The crop is centred, at a random offset, on a known false alarm (a box
    from `negatives`, with probability ``augment.negative_probability``), else
    on a random target pixel when the mask has targets and
    ``augment.keep_target`` (except with probability
    ``augment.background_probability``), else anywhere. Only the window the crop needs is
    resized, so a 1918x1080 frame costs no more than a small one. Outside the
    frame is zero (the frame's mean).
    """
    th, tw = size
    sy = sx = scale
    if jitter:
        factor = float(np.exp(rng.uniform(*np.log(augment.scale_range))))
        aspect = float(np.sqrt(rng.uniform(*augment.scale_aspect)))
        sy, sx = scale * factor * aspect, scale * factor / aspect
    wh, ww = max(1, int(round(th / sy))), max(1, int(round(tw / sx)))
    if not jitter and wh >= mask.shape[0] and ww >= mask.shape[1]:  # no augmentation: a frame that fits is the crop
        wh, ww = mask.shape
        th, tw = (max(1, round(wh * sy)), max(1, round(ww * sx)))
        return _pad_to(cv2.resize(x, (tw, th), interpolation=cv2.INTER_LINEAR), size), \
            _pad_to(cv2.resize(mask.astype(np.uint8), (tw, th), interpolation=cv2.INTER_NEAREST), size).astype(bool)
    cy, cx = _crop_anchor(rng, mask, negatives, augment)
    y0 = cy - int(rng.integers(0, wh)) if cy is not None else int(rng.integers(min(0, mask.shape[0] - wh), max(mask.shape[0] - wh, 0) + 1))
    x0 = cx - int(rng.integers(0, ww)) if cx is not None else int(rng.integers(min(0, mask.shape[1] - ww), max(mask.shape[1] - ww, 0) + 1))
    window = _window(x, y0, x0, wh, ww)
    window_mask = _window(mask.astype(np.uint8), y0, x0, wh, ww)
    crop = cv2.resize(window, (tw, th), interpolation=cv2.INTER_LINEAR)
    crop_mask = cv2.resize(window_mask, (tw, th), interpolation=cv2.INTER_NEAREST).astype(bool)
    return crop, crop_mask


def _crop_anchor(rng, mask, negatives, augment: Augment):
    """The pixel a crop must hold: on a known false alarm, on a target, or None (anywhere)."""
    if len(negatives) and rng.random() < augment.negative_probability:
        r0, c0, r1, c1 = negatives[int(rng.integers(len(negatives)))]
        return int(rng.integers(r0, max(r1, r0 + 1))), int(rng.integers(c0, max(c1, c0 + 1)))
    if augment.keep_target and not (augment.background_probability and rng.random() < augment.background_probability):
        ys, xs = np.nonzero(mask)
        if len(ys):
            k = int(rng.integers(len(ys)))
            return int(ys[k]), int(xs[k])
    return None, None


def _pad_to(x: np.ndarray, size) -> np.ndarray:
    """`x` cut or zero-padded at the bottom and right to `size`."""
    out = np.zeros(tuple(size), x.dtype)
    h, w = min(size[0], x.shape[0]), min(size[1], x.shape[1])
    out[:h, :w] = x[:h, :w]
    return out


def _window(x: np.ndarray, y0: int, x0: int, h: int, w: int) -> np.ndarray:
    """``x[y0:y0+h, x0:x0+w]`` with zeros where it leaves the array."""
    out = np.zeros((h, w), x.dtype)
    ys, xs = max(y0, 0), max(x0, 0)
    ye, xe = min(y0 + h, x.shape[0]), min(x0 + w, x.shape[1])
    if ye > ys and xe > xs:
        out[ys - y0 : ye - y0, xs - x0 : xe - x0] = x[ys:ye, xs:xe]
    return out
