"""Synthetic infrared frames with exact masks, for tests, benchmarks and the demo.

A frame is built in float "radiance" units: a sky with fractal clouds, often
a horizon with warmer, textured ground and buildings with hard edges (or a
chosen scene: sea with wave streaks and sun glints, or bright clouds with
sharp edges, the clutter that small-target detectors mistake); targets
are added on top with an amplitude chosen for a requested SCR (as defined by
:func:`irstlabel.core.labels.quality.scr`); then the sensor adds fixed-pattern noise
(column and row offsets, per-pixel gain) and temporal noise, and the result is
quantised to 8 or 16 bits. The mask is exact: a target changes exactly the
pixels of its mask. Everything is deterministic given the seed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..io.files import write_bytes_atomic
from ..labels.quality import grown_box
from ..labels.quality import scr as measure_scr
from ..labels.targets import find_targets

__all__ = ["SyntheticTarget", "SyntheticFrame", "synthetic_frame", "make_demo_dataset", "TARGET_KINDS", "SCENES"]

TARGET_KINDS = ("point", "ellipse", "aircraft")
SCENES = ("sky", "ground", "sea", "cloud")
_LEVELS = {8: (0.0, 255.0), 16: (1500.0, 14000.0)}  # 16-bit: a 14-bit-like detector range


@dataclass(frozen=True)
class SyntheticTarget:
    kind: str
    centroid: tuple[float, float]  # (x, y) of the mask pixels
    bbox: tuple[int, int, int, int]  # (r0, c0, r1, c1), exclusive
    area: int
    scr_requested: float
    scr: float  # measured on the final, quantised frame


@dataclass
class SyntheticFrame:
    """A frame, its exact mask, its targets, and the same frame without targets."""

    image: np.ndarray
    mask: np.ndarray
    targets: list[SyntheticTarget] = field(default_factory=list)
    background: np.ndarray | None = None


def _fractal(rng, shape, *, octaves: int, base: int, persistence: float) -> np.ndarray:
    """Smooth noise in about [-1, 1]: upsampled random grids summed over octaves."""
    h, w = shape
    out = np.zeros(shape, np.float32)
    amplitude, total = 1.0, 0.0
    for octave in range(octaves):
        cells = base * 2**octave
        grid = rng.standard_normal((max(2, h * cells // max(h, w) + 2), cells + 2)).astype(np.float32)
        out += amplitude * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amplitude
        amplitude *= persistence
    return out / total


def _sky(rng, shape) -> np.ndarray:
    h, w = shape
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    sky = 0.22 + 0.12 * rows + np.zeros(shape, np.float32)
    clouds = _fractal(rng, shape, octaves=5, base=3, persistence=0.55)
    cover = rng.uniform(-0.2, 0.5)
    sky += rng.uniform(0.08, 0.25) * np.clip(clouds + cover, 0.0, None)
    return sky


def _ground(rng, image: np.ndarray) -> None:
    h, w = image.shape
    horizon = int(rng.uniform(0.45, 0.85) * h)
    cols = np.arange(w)
    wave = (rng.uniform(0.005, 0.03) * h) * np.sin(cols * rng.uniform(2, 8) * np.pi / w + rng.uniform(0, 6))
    line = np.clip(horizon + wave.astype(int), 1, h - 1)
    rows = np.arange(h)[:, None]
    below = rows >= line[None, :]
    texture = _fractal(rng, image.shape, octaves=6, base=8, persistence=0.7)
    ground = rng.uniform(0.42, 0.6) + 0.08 * texture
    image[below] = ground[below]
    for _ in range(int(rng.integers(0, 6))):  # buildings on the horizon, hard edges
        bw = int(rng.uniform(0.02, 0.12) * w)
        bh = int(rng.uniform(0.03, 0.2) * h)
        c0 = int(rng.integers(0, max(1, w - bw)))
        base_row = int(line[min(c0 + bw // 2, w - 1)])
        r0 = max(0, base_row - bh)
        image[r0 : base_row + 2, c0 : c0 + bw] = rng.uniform(0.45, 0.75)


def _sea(rng, image: np.ndarray) -> None:
    """Sea below a straight horizon: streaks stretched along it, and small bright sun glints."""
    h, w = image.shape
    horizon = int(rng.uniform(0.3, 0.7) * h)
    depth = h - horizon
    if depth < 2:
        return
    streaks = _fractal(rng, (max(2, depth // 6), max(2, w // 2)), octaves=4, base=6, persistence=0.6)
    streaks = cv2.resize(streaks, (w, depth), interpolation=cv2.INTER_CUBIC)
    rows = np.linspace(0.0, 1.0, depth, dtype=np.float32)[:, None]
    image[horizon:] = rng.uniform(0.3, 0.45) + 0.05 * rows + rng.uniform(0.05, 0.12) * streaks
    glints = int(rng.uniform(2e-4, 2e-3) * depth * w)
    ys = rng.integers(horizon, h, glints)
    xs = rng.integers(0, w, glints)
    brightness = rng.uniform(0.05, 0.35, glints).astype(np.float32)
    for y, x, b in zip(ys, xs, brightness):
        ext = int(rng.integers(1, 4))
        image[y : y + 1 + (ext > 2), max(0, x - ext // 2) : x + ext] += b


def _bright_clouds(rng, image: np.ndarray) -> None:
    """Warm, sun-lit cloud banks with sharp edges (thresholded fractal noise)."""
    field = _fractal(rng, image.shape, octaves=6, base=4, persistence=0.6)
    level = rng.uniform(0.1, 0.5)
    body = np.clip((field - level) * rng.uniform(6, 20), 0.0, 1.0)
    image += rng.uniform(0.15, 0.4) * body


def _sensor(rng, image: np.ndarray, noise: float) -> np.ndarray:
    h, w = image.shape
    gain = 1.0 + rng.normal(0, 0.004, image.shape).astype(np.float32)
    columns = rng.normal(0, noise * 0.8, (1, w)).astype(np.float32)
    rows = rng.normal(0, noise * 0.3, (h, 1)).astype(np.float32)
    temporal = rng.normal(0, noise, image.shape).astype(np.float32)
    return image * gain + columns + rows + temporal


def _target_shape(rng, kind: str, max_extent: int) -> tuple[np.ndarray, np.ndarray]:
    """A target's (mask, profile) in a small patch; profile in (0, 1] on the mask."""
    if kind == "point":
        sigma = rng.uniform(0.55, 1.6)
        half = int(np.ceil(3 * sigma)) + 1
        dy, dx = rng.uniform(-0.5, 0.5, 2)
        yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
        profile = np.exp(-((yy - dy) ** 2 + (xx - dx) ** 2) / (2 * sigma**2))
        mask = profile >= 0.3
        if mask.sum() < 4:  # at least a 2x2 target
            mask = profile >= np.sort(profile.ravel())[-4]
        return mask, profile
    length = rng.uniform(2.0, max_extent)
    width = rng.uniform(2.0, min(length, 32.0))
    angle = rng.uniform(0, np.pi)
    half = int(np.ceil(max(length, width) / 2)) + 2
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    radius = (u / (length / 2)) ** 2 + (v / (width / 2)) ** 2
    mask = radius <= 1.0
    if kind == "aircraft":
        wing = (u / max(width / 2, 1.0)) ** 2 + (v / (length / 2.2)) ** 2 <= 1.0
        mask |= wing & (np.abs(u) <= max(width / 3, 1.0))
    if mask.sum() < 4:
        mask = radius <= np.sort(radius.ravel())[3]
    mask = _largest_component(mask)  # thin rotated shapes can rasterise into pieces
    profile = 0.45 + 0.55 * np.clip(1.0 - radius, 0.0, 1.0)
    return mask, profile.astype(np.float32)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    targets = find_targets(mask)
    if len(targets) <= 1:
        return mask
    return targets.labels == int(np.argmax(targets.area)) + 1


def _place(rng, occupied: np.ndarray, patch: np.ndarray, gap: int = 3):
    """Top-left corner for `patch` away from `occupied`, or None after a few tries."""
    h, w = occupied.shape
    ph, pw = patch.shape
    if ph >= h or pw >= w:
        return None
    for _ in range(40):
        r, c = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
        r0, c0 = max(r - gap, 0), max(c - gap, 0)
        if not occupied[r0 : r + ph + gap, c0 : c + pw + gap].any():
            return r, c
    return None


def _range(value, rng) -> float:
    if isinstance(value, (tuple, list)):
        return float(rng.uniform(value[0], value[1]))
    return float(value)


def synthetic_frame(
    size: tuple[int, int] = (256, 320),
    *,
    seed: int | np.random.Generator | None = 0,
    bit_depth: int = 8,
    n_targets: int | tuple[int, int] = (1, 4),
    scr: float | tuple[float, float] = (2.0, 10.0),
    kinds: tuple[str, ...] = TARGET_KINDS,
    max_extent: int = 40,
    ground: bool | None = None,
    scene: str | None = None,
    noise: float = 0.006,
) -> SyntheticFrame:
    """One synthetic infrared frame with its exact target mask.

    Parameters
    ----------
    size : (H, W)
        Any size, e.g. ``(1024, 1280)``.
    seed : int or Generator, keyword-only
        Same seed, same frame.
    bit_depth : {8, 16}, keyword-only
    n_targets : int or (low, high), keyword-only
        Number of targets (inclusive range drawn uniformly). Fewer are placed
        when the frame is too small to keep them apart.
    scr : float or (low, high), keyword-only
        Requested SCR per target (``quality.scr`` with its default window).
        The measured SCR after noise and quantisation is in ``targets``.
    kinds : tuple of {"point", "ellipse", "aircraft"}, keyword-only
    max_extent : int, keyword-only
        Longest side of extended targets in pixels (up to ~112).
    ground : bool or None, keyword-only
        Draw a horizon with ground and buildings; None draws one at random.
    scene : {"sky", "ground", "sea", "cloud"} or None, keyword-only
        A chosen scene instead of `ground`'s draw: sky only, ground and
        buildings, sea with glints, or bright clouds with sharp edges.
    noise : float, keyword-only
        Temporal noise standard deviation in radiance units (full scale ~1).

    Returns
    -------
    SyntheticFrame
        ``image`` (uint8 or uint16), ``mask`` (bool), ``targets``, and
        ``background``: the same frame without its targets.

    Examples
    --------
    >>> f = synthetic_frame((64, 80), seed=1, n_targets=2)
    >>> f.image.shape, f.image.dtype, f.mask.dtype, len(f.targets)
    ((64, 80), dtype('uint8'), dtype('bool'), 2)
    """
    if bit_depth not in _LEVELS:
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth}")
    h, w = (int(v) for v in size)
    if h < 8 or w < 8:
        raise ValueError(f"size must be at least 8x8, got {size}")
    unknown = set(kinds) - set(TARGET_KINDS)
    if unknown or not kinds:
        raise ValueError(f"kinds must be taken from {TARGET_KINDS}, got {kinds}")
    if scene is not None and (scene not in SCENES or ground is not None):
        raise ValueError(f"scene must be one of {SCENES} (and no ground= beside it), got {scene!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    radiance = _sky(rng, (h, w))
    if scene is None and (ground if ground is not None else rng.random() < 0.6) or scene == "ground":
        _ground(rng, radiance)
    elif scene == "sea":
        _sea(rng, radiance)
    elif scene == "cloud":
        _bright_clouds(rng, radiance)
    background = _sensor(rng, radiance, noise)
    lo, hi = _LEVELS[bit_depth]
    to_counts = lambda x: lo + x * (hi - lo)  # noqa: E731 - radiance -> digital counts
    frame = to_counts(background).astype(np.float64)
    clean = frame.copy()

    count = int(rng.integers(n_targets[0], n_targets[1] + 1)) if isinstance(n_targets, tuple) else int(n_targets)
    mask = np.zeros((h, w), bool)
    requested = []
    for _ in range(count):
        patch_mask, profile = _target_shape(rng, str(rng.choice(kinds)), max_extent)
        corner = _place(rng, mask, patch_mask)
        if corner is None:
            continue
        r, c = corner
        ph, pw = patch_mask.shape
        target = np.zeros((h, w), bool)
        target[r : r + ph, c : c + pw] = patch_mask
        wanted = _range(scr, rng)
        amplitude = _amplitude_for_scr(frame, target, mask, profile[patch_mask], wanted)
        frame[r : r + ph, c : c + pw][patch_mask] += amplitude * profile[patch_mask]
        mask |= target
        requested.append((target, wanted))

    top = float(np.iinfo(np.uint8 if bit_depth == 8 else np.uint16).max)
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    image = np.clip(np.rint(frame), 0, top).astype(dtype)
    targets = [_describe(image, target, mask, wanted) for target, wanted in requested]
    background_only = np.clip(np.rint(clean), 0, top).astype(dtype)
    return SyntheticFrame(image=image, mask=mask, targets=targets, background=background_only)


def _amplitude_for_scr(frame, target, others, profile_values, wanted: float) -> float:
    """Amplitude that gives `wanted` SCR, from the background statistics."""
    rows, cols = np.nonzero(target)
    r0, c0, r1, c1 = grown_box((rows.min(), cols.min(), rows.max() + 1, cols.max() + 1), 20, frame.shape)
    keep = ~(target | others)[r0:r1, c0:c1]
    values = frame[r0:r1, c0:c1][keep]
    mu_b, sigma_b = values.mean(), max(values.std(), 1e-6)
    mu_t = frame[rows, cols].mean()
    return max(wanted * sigma_b - (mu_t - mu_b), 0.0) / float(profile_values.mean())


def _describe(image, target, mask, wanted) -> SyntheticTarget:
    rows, cols = np.nonzero(target)
    measured = measure_scr(image, target, mask_exclude=mask & ~target)
    kind = "point" if rows.size <= 25 else "extended"
    return SyntheticTarget(
        kind=kind,
        centroid=(float(cols.mean()), float(rows.mean())),
        bbox=(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1),
        area=int(rows.size),
        scr_requested=float(wanted),
        scr=float(measured),
    )


def make_demo_dataset(
    out: str | os.PathLike,
    *,
    frames: int = 24,
    size: tuple[int, int] = (256, 320),
    seed: int = 0,
    bit_depth: int = 8,
    progress: Callable[[int, int], None] | None = None,
    **frame_options,
) -> Path:
    """Write a synthetic dataset in the generic layout (``images/``, ``masks/``).

    Frames are ``frame_0001.png`` ...; masks are 0/255 PNGs with the same
    names. Existing files of the same names are replaced; nothing else in
    `out` is touched. `progress(done, total)` is called after each frame.
    Returns the dataset folder.
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for k in range(frames):
        frame = synthetic_frame(size, seed=rng, bit_depth=bit_depth, **frame_options)
        name = f"frame_{k + 1:04d}.png"
        ok, png = cv2.imencode(".png", frame.image)
        write_bytes_atomic(out / "images" / name, png.tobytes())
        ok, png = cv2.imencode(".png", frame.mask.astype(np.uint8) * 255)
        write_bytes_atomic(out / "masks" / name, png.tobytes())
        if progress is not None:
            progress(k + 1, frames)
    return out


def default_demo_dir() -> Path:
    """Where the app keeps its generated demo dataset.

    ``$IRSTLABEL_DATA_DIR/demo`` when that variable is set, else
    ``$XDG_DATA_HOME/irstlabel/demo`` (``~/.local/share/irstlabel/demo``).
    """
    base = os.environ.get("IRSTLABEL_DATA_DIR")
    if base:
        return Path(base) / "demo"
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(xdg) / "irstlabel" / "demo"


def ensure_demo_dataset(folder: str | os.PathLike | None = None) -> Path:
    """The demo dataset folder, generated on first use (24 frames, 256x320)."""
    folder = Path(folder) if folder is not None else default_demo_dir()
    marker = folder / ".complete"
    if not marker.exists():
        make_demo_dataset(folder, frames=24, size=(256, 320), seed=0, max_extent=24)
        marker.write_text("irstlabel demo dataset\n")
    return folder
