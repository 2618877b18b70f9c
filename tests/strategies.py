"""Hypothesis strategies for hostile masks: cluttered shapes (L-shapes, rings, pixels inside other blobs' boxes,
tile borders, odd frame sizes) and label/prediction pairs, shared by the property tests."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("IRSTLABEL_PROPERTY_EXAMPLES", "1000"))
CURVE = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def coordinate(draw, size):
    """Anywhere, or right at a tile border (31, 32, 33, 63, ...)."""
    near_border = [b + k for b in range(32, size, 32) for k in (-1, 0, 1) if 0 <= b + k < size]
    if near_border and draw(st.booleans()):
        return draw(st.sampled_from(near_border))
    return draw(st.integers(0, size - 1))


def _paint(mask, r0, c0, r1, c1):
    h, w = mask.shape
    mask[max(r0, 0) : min(r1, h), max(c0, 0) : min(c1, w)] = True


@st.composite
def cluttered_mask(draw, shape, max_shapes=7):
    """A mask of hostile shapes, each drawn from its own (kind, position, size)."""
    h, w = shape
    mask = np.zeros(shape, bool)
    last_box = None
    for _ in range(draw(st.integers(0, max_shapes))):
        kind = draw(st.sampled_from(["rect", "L", "ring", "pixel", "nested", "inside", "line", "trap", "trap", "trap"]))
        r, c = draw(coordinate(h)), draw(coordinate(w))
        hh, ww = draw(st.one_of(st.integers(1, 12), st.integers(1, 160))), draw(st.one_of(st.integers(1, 12),
                                                                                      st.integers(1, 160)))
        t = draw(st.integers(1, 3))
        if kind == "inside" and last_box is not None:
            # a pixel inside the previous shape's bounding box: anywhere, or in the far corner,
            # which an L's or a ring's tiles do not touch
            r0, c0, r1, c1 = last_box
            if draw(st.booleans()):
                r, c = draw(st.integers(r0, max(r0, r1 - 1))), draw(st.integers(c0, max(c0, c1 - 1)))
            else:
                r, c = max(r0, r1 - 1 - draw(st.integers(0, 8))), max(c0, c1 - 1 - draw(st.integers(0, 8)))
            mask[r, c] = True
            continue
        if kind == "trap":  # an L spanning 3+ tiles with a blob in its box's far corner, on tiles of its own
            hh, ww = draw(st.integers(65, 170)), draw(st.integers(65, 170))
            _paint(mask, r, c, r + t, c + ww)
            _paint(mask, r, c, r + hh, c + t)
            fr, fc = r + hh - draw(st.integers(1, 12)), c + ww - draw(st.integers(1, 12))
            _paint(mask, fr, fc, fr + draw(st.integers(1, 3)), fc + draw(st.integers(1, 3)))
        elif kind == "rect":
            _paint(mask, r, c, r + hh, c + ww)
        elif kind == "L":
            _paint(mask, r, c, r + t, c + ww)
            _paint(mask, r, c, r + hh, c + t)
        elif kind in ("ring", "nested"):
            for box in ((r, c, r + t, c + ww), (r + hh - t, c, r + hh, c + ww), (r, c, r + hh, c + t),
                        (r, c + ww - t, r + hh, c + ww)):
                _paint(mask, *box)
            if kind == "nested" and hh > 2 * t + 2 and ww > 2 * t + 2:
                mask[min(r + hh // 2, h - 1), min(c + ww // 2, w - 1)] = True
        elif kind == "line":
            _paint(mask, r, c, r + 1, c + ww) if draw(st.booleans()) else _paint(mask, r, c, r + hh, c + 1)
        else:
            mask[r, c] = True
        last_box = (min(r, h - 1), min(c, w - 1), min(r + hh, h), min(c + ww, w))
    return mask


@st.composite
def frame_pair(draw, max_side=200):
    """(label, prediction map): the prediction is the label moved a little, cut, plus clutter."""
    # tiny frames, small ones the shapes fill (labelled whole), and large ones they leave sparse
    # (labelled region by region, where regions' boxes overlap)
    sizes = st.one_of(st.integers(1, 12), st.integers(1, max_side), st.integers(max_side // 2, max_side),
                      st.integers(2 * max_side, 3 * max_side))
    h, w = draw(sizes), draw(sizes)
    mask_true = draw(cluttered_mask((h, w)))
    dr, dc = draw(st.integers(-2, 2)), draw(st.integers(-2, 2))
    mask_pred = np.roll(mask_true, (dr, dc), axis=(0, 1)) if draw(st.booleans()) else np.zeros((h, w), bool)
    mask_pred |= draw(cluttered_mask((h, w)))
    kind = draw(st.sampled_from(["bool", "float32", "float64", "uint8"]))
    return mask_true, as_map(mask_pred, kind, draw(st.integers(0, 2**31)))


def as_map(mask_pred, kind, seed):
    """A probability map thresholding (> 0.5) to `mask_pred`, with levels spread over [0, 1]."""
    if kind == "bool":
        return mask_pred
    rng = np.random.default_rng(seed)
    if kind == "uint8":
        return np.where(mask_pred, rng.integers(128, 256, mask_pred.shape), rng.integers(0, 128, mask_pred.shape))\
            .astype(np.uint8)
    low = rng.uniform(0.0, 0.5, mask_pred.shape)
    high = rng.uniform(np.nextafter(0.5, 1), 1.0, mask_pred.shape)
    out = np.where(mask_pred, high, low).astype(kind)
    out[mask_pred & (out <= 0.5)] = np.nextafter(np.asarray(0.5, kind), np.asarray(1, kind))
    return out
