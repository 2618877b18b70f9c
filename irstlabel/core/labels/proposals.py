"""Canny-based mask proposals for one target (the paper's semi-automatic labelling).

Canny edges decide a small target's boundary; a person confirms. Given a frame
and a seed (a clicked point, a box, or the target's current mask) we work in a
local window around the seed:

1. the window is stretched to 8 bits (0.5th percentile to maximum) and
   smoothed with a Gaussian of `sigma`;
2. Canny thresholds come from the window's gradient magnitudes: the high one
   by Otsu's method on the magnitudes, the low one 0.4 times it (both can be
   given instead, in the same units as :func:`cv2.Canny` with an L2 gradient);
3. the proposal is, by default (``method="contour"``), the closed edge contour
   around the seed, filled; when the edges do not close around the seed (faint
   or point-like targets), or with ``method="level"``, it is the connected
   region around the seed brighter than the grey level the Canny edges sit on
   (the median grey of the nearby edge pixels).

Examples
--------
>>> from irstlabel.core.datasets.synthetic import synthetic_frame
>>> f = synthetic_frame((96, 96), seed=4, n_targets=1, scr=8, kinds=("ellipse",))
>>> t = f.targets[0]
>>> p = propose_target(f.image, t.centroid)
>>> bool((p.mask & f.mask).sum() / (p.mask | f.mask).sum() > 0.6)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .targets import touching_ids

__all__ = ["Proposal", "propose_target", "edge_map", "canny_edges", "proposal_problem", "canny_thresholds", "PROPOSAL_METHODS"]

PROPOSAL_METHODS = ("contour", "level")
_LOW_RATIO = 0.4


@dataclass(frozen=True)
class Proposal:
    """A proposed mask for one target.

    Attributes
    ----------
    mask : ndarray of bool, (H, W)
        The proposed target, frame-sized.
    edges : ndarray of bool, (h, w)
        Canny edges of the window, for display.
    window : (r0, c0, r1, c1)
        Where the window lies in the frame.
    thresholds : (low, high)
        The Canny thresholds used.
    method : str
        ``"contour"`` or ``"level"`` (what actually produced the mask).
    """

    mask: np.ndarray
    edges: np.ndarray
    window: tuple[int, int, int, int]
    thresholds: tuple[float, float]
    method: str


def _seed_box(seed, shape) -> tuple[tuple[int, int, int, int], np.ndarray | None]:
    """The seed as a box ``(r0, c0, r1, c1)``, and its mask when one was given."""
    h, w = shape
    if isinstance(seed, np.ndarray) and seed.ndim == 2:
        if seed.shape != (h, w):
            raise ValueError(f"seed mask {seed.shape} must be the frame's size {(h, w)}")
        rows, cols = np.nonzero(seed)
        if rows.size == 0:
            raise ValueError("seed mask has no pixels")
        return (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1), seed.astype(bool)
    values = [float(v) for v in np.ravel(seed)]
    if len(values) == 2:  # a point (x, y)
        x, y = int(round(values[0])), int(round(values[1]))
        if not (0 <= x < w and 0 <= y < h):
            raise ValueError(f"seed point ({x}, {y}) is outside the {w}x{h} frame")
        return (y, x, y + 1, x + 1), None
    if len(values) == 4:
        r0, c0, r1, c1 = (int(v) for v in values)
        if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
            raise ValueError(f"seed box {(r0, c0, r1, c1)} is not inside the {w}x{h} frame")
        return (r0, c0, r1, c1), None
    raise ValueError("seed must be a point (x, y), a box (r0, c0, r1, c1) or a frame-sized mask")


def _stretch(window: np.ndarray, sigma: float) -> np.ndarray:
    window = window.astype(np.float32)
    low = float(np.percentile(window, 0.5))
    high = float(window.max())
    scaled = np.clip((window - low) * (255.0 / max(high - low, 1e-6)), 0, 255)
    if sigma > 0:
        scaled = cv2.GaussianBlur(scaled, (0, 0), sigma)
    return np.rint(scaled).astype(np.uint8)


def canny_thresholds(image8: np.ndarray, *, aperture: int = 3) -> tuple[float, float]:
    """Automatic Canny thresholds: Otsu on the L2 gradient magnitude; low = 0.4 high."""
    gx = cv2.Sobel(image8, cv2.CV_32F, 1, 0, ksize=aperture)
    gy = cv2.Sobel(image8, cv2.CV_32F, 0, 1, ksize=aperture)
    magnitude = cv2.magnitude(gx, gy)
    top = float(magnitude.max())
    if top <= 0:
        return 0.0, 0.0
    scaled = np.rint(magnitude * (255.0 / top)).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = max(float(otsu) * top / 255.0, 1.0)
    return _LOW_RATIO * high, high


def _canny(image8, low, high, aperture) -> np.ndarray:
    return cv2.Canny(image8, float(low), float(high), apertureSize=aperture, L2gradient=True) > 0


def _component_at(mask: np.ndarray, point: tuple[int, int]) -> np.ndarray | None:
    if not mask[point]:
        return None
    count, labels = cv2.connectedComponents(mask.view(np.uint8), connectivity=8)
    return labels == labels[point]


def _touches_border(region: np.ndarray) -> bool:
    return bool(region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any())


def _enclosed(walls: np.ndarray) -> np.ndarray:
    """Pixels that the background, flooding in from the border, cannot reach."""
    free = (~walls).view(np.uint8)
    _, labels = cv2.connectedComponents(free, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, border[border > 0])
    return ~outside


def _edge_level(image8: np.ndarray, edges: np.ndarray, point, nearest: int = 24) -> float | None:
    """Median grey of the edge pixels nearest the seed: the level the boundary sits on."""
    rows, cols = np.nonzero(edges)
    if rows.size == 0:
        return None
    distance = np.hypot(rows - point[0], cols - point[1])
    keep = np.argsort(distance, kind="stable")[:nearest]
    return float(np.median(image8[rows[keep], cols[keep]]))


def _contour_region(image8, edges: np.ndarray, point) -> np.ndarray | None:
    closed = cv2.morphologyEx(edges.view(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0
    region = _component_at(_enclosed(closed), point)
    if region is None or _touches_border(region):
        return None
    # The contour's own pixels straddle the boundary: keep those on the bright side.
    level = _edge_level(image8, edges & region, point)
    if level is None:
        return region
    trimmed = _component_at(region & ~(closed & (image8 < level)), point)
    return region if trimmed is None else trimmed


def _level_region(image8, edges, point) -> np.ndarray | None:
    level = _edge_level(image8, edges, point)
    if level is None:  # no edges at all: Otsu on the window's grey levels
        level, _ = cv2.threshold(image8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    region = _component_at(image8 >= level, point)
    if region is None:
        return None
    return _fill_holes(region)


def _fill_holes(region: np.ndarray) -> np.ndarray:
    return _enclosed(region)


def propose_target(
    image: np.ndarray,
    seed,
    *,
    low: float | None = None,
    high: float | None = None,
    sigma: float = 0.8,
    aperture: int = 3,
    window_margin: int = 12,
    max_window: int = 128,
    method: str = "contour",
) -> Proposal:
    """Propose a mask for the target at `seed` from Canny edges in a local window.

    Parameters
    ----------
    image : ndarray, (H, W)
        The frame (any dtype; 16-bit frames are stretched locally, not globally).
    seed : (x, y), (r0, c0, r1, c1) or ndarray of bool (H, W)
        A clicked point, a box, or the target's current mask.
    low, high : float, keyword-only
        Canny hysteresis thresholds (L2 gradient of the 8-bit window);
        automatic when omitted (see :func:`canny_thresholds`).
    sigma : float, keyword-only
        Gaussian smoothing before Canny (0 for none).
    aperture : {3, 5, 7}, keyword-only
        Sobel aperture of Canny.
    window_margin : int, keyword-only
        The window is the seed's box grown by ``max(window_margin, seed size)``;
        while the bright blob around the seed (split from the background by
        Otsu's method) runs off the window, the growth is doubled, up to
        `max_window` pixels on each side.
    method : {"contour", "level"}, keyword-only
        ``"contour"`` fills the closed edge contour around the seed and falls
        back to ``"level"`` when none closes around it.

    Returns
    -------
    Proposal
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D, got {image.shape}")
    if method not in PROPOSAL_METHODS:
        raise ValueError(f"unknown method '{method}'; valid: {', '.join(PROPOSAL_METHODS)}")
    if aperture not in (3, 5, 7):
        raise ValueError(f"aperture must be 3, 5 or 7, got {aperture}")
    box, seed_mask = _seed_box(seed, image.shape)
    extent = max(box[2] - box[0], box[3] - box[1])
    grow = max(window_margin, extent)
    h, w = image.shape
    while True:
        window = (max(box[0] - grow, 0), max(box[1] - grow, 0), min(box[2] + grow, h), min(box[3] + grow, w))
        image8 = _stretch(image[window[0] : window[2], window[1] : window[3]], sigma)
        if grow >= max_window or window == (0, 0, h, w) or not _bright_region_reaches_border(image8, box, seed_mask, window):
            return _propose_in_window(image8, image.shape, box, seed_mask, window, low, high, aperture, method)
        grow *= 2  # the target is larger than the window: look wider


def _bright_region_reaches_border(image8, box, seed_mask, window) -> bool:
    """Whether the bright blob around the seed (Otsu split) runs off the window."""
    otsu, _ = cv2.threshold(image8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    region = _component_at(image8 >= otsu, _seed_point(image8, box, seed_mask, window))
    return region is not None and _touches_border(region)


def _propose_in_window(image8, shape, box, seed_mask, window, low, high, aperture, method) -> Proposal:
    r0, c0, r1, c1 = window
    low, high = _thresholds(image8, low, high, aperture)
    edges = _canny(image8, low, high, aperture)
    point = _seed_point(image8, box, seed_mask, window)
    region, used = None, method
    if method == "contour":
        region = _contour_region(image8, edges, point)
    if region is None:
        region, used = _level_region(image8, edges, point), "level"
    mask = np.zeros(shape, bool)
    if region is not None:
        mask[r0:r1, c0:c1] = region
    return Proposal(mask=mask, edges=edges, window=window, thresholds=(float(low), float(high)), method=used)


def _thresholds(image8, low, high, aperture) -> tuple[float, float]:
    """The given Canny thresholds, the automatic ones filling any left out."""
    if low is None or high is None:
        auto_low, auto_high = canny_thresholds(image8, aperture=aperture)
        low = auto_low if low is None else low
        high = auto_high if high is None else high
    return low, high


def _seed_point(image8, box, seed_mask, window) -> tuple[int, int]:
    """The brightest smoothed pixel of the seed (row, col), in window coordinates."""
    r0, c0 = window[0], window[1]
    sr0, sc0, sr1, sc1 = box[0] - r0, box[1] - c0, box[2] - r0, box[3] - c0
    if seed_mask is None and sr1 - sr0 == 1 and sc1 - sc0 == 1:  # a click: snap to the brightest pixel nearby
        sr0, sc0 = max(sr0 - 2, 0), max(sc0 - 2, 0)
        sr1, sc1 = min(sr1 + 2, image8.shape[0]), min(sc1 + 2, image8.shape[1])
    patch = image8[sr0:sr1, sc0:sc1].astype(np.int32)
    if seed_mask is not None:
        patch = np.where(seed_mask[box[0] : box[2], box[1] : box[3]], patch, -1)
    k = int(np.argmax(patch))
    return sr0 + k // patch.shape[1], sc0 + k % patch.shape[1]


def edge_map(
    image: np.ndarray, *, low: float | None = None, high: float | None = None, sigma: float = 0.8, aperture: int = 3
) -> np.ndarray:
    """Canny edges of a whole frame (bool), for the overlay.

    The frame is stretched to 8 bits between its 0.5th percentile and its
    maximum; thresholds are automatic unless given, as in :func:`propose_target`.
    """
    return canny_edges(image, low=low, high=high, sigma=sigma, aperture=aperture)[0]


def canny_edges(
    image: np.ndarray, *, low: float | None = None, high: float | None = None, sigma: float = 0.8, aperture: int = 3
) -> tuple[np.ndarray, tuple[float, float]]:
    """:func:`edge_map` and the thresholds it used (the automatic ones when not given), to show them."""
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D, got {image.shape}")
    image8 = _stretch(image, sigma)
    low, high = _thresholds(image8, low, high, aperture)
    return _canny(image8, low, high, aperture), (float(low), float(high))


def proposal_problem(
    mask_proposal: np.ndarray,
    mask_target: np.ndarray,
    ids_others: np.ndarray,
    *,
    max_growth: float = 4.0,
    slack: int = 25,
) -> str | None:
    """Why a proposal should not silently replace a target, or None when it may.

    A proposal is questioned when it is empty, when it is larger than
    ``max(max_growth * area, area + slack)`` pixels (an 8-px target proposed
    as a 40,000-px blob of sky), or when it touches or overlaps other targets
    (accepting it would merge them into this one).

    Parameters
    ----------
    mask_proposal, mask_target : ndarray of bool, (H, W)
        The proposal and the target it would replace.
    ids_others : ndarray of int, (H, W)
        Every other target's pixels, as its id (0 elsewhere).

    Examples
    --------
    >>> target = np.zeros((20, 20), bool); target[5, 5:7] = True
    >>> others = np.zeros((20, 20), int); others[5, 9] = 3
    >>> big = np.zeros((20, 20), bool); big[2:9, 2:9] = True
    >>> proposal_problem(big, target, others)
    'it is 49 px for a target of 2 px (more than 25 px larger) and it would merge target 3 into this one'
    >>> proposal_problem(target, target, others) is None
    True
    """
    proposal = np.asarray(mask_proposal, bool)
    area = int(np.count_nonzero(mask_target))
    size = int(np.count_nonzero(proposal))
    if size == 0:
        return "it is empty (try other thresholds)"
    reasons = []
    if size > max(max_growth * area, area + slack):
        bound = f"{max_growth:g}x" if max_growth * area >= area + slack else f"{slack} px larger"
        reasons.append(f"it is {size} px for a target of {area} px (more than {bound})")
    touched = touching_ids(np.asarray(ids_others), proposal)
    if touched:
        names = ", ".join(str(t) for t in touched[:-1]) + (" and " if len(touched) > 1 else "") + str(touched[-1])
        reasons.append(f"it would merge target{'s' if len(touched) > 1 else ''} {names} into this one")
    return " and ".join(reasons) or None
