"""Debris after an erase, judged in a region around the stroke, against a plain whole-frame reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy import ndimage

from irstlabel.core.labels.editing import drop_debris, footprint_area, paint_stroke


def _reference(mask_after: np.ndarray, before: np.ndarray, min_area: int) -> np.ndarray:
    """Whole-frame, by scipy: pieces smaller than min_area whose target before was larger and lost pixels."""
    eight = np.ones((3, 3), bool)
    now, n = ndimage.label(mask_after, structure=eight)
    prior, _ = ndimage.label(before, structure=eight)
    erased = before & ~mask_after
    removed = np.zeros_like(mask_after)
    for k in range(1, n + 1):
        piece = now == k
        parent = prior[piece][0]
        if piece.sum() < min_area and (prior == parent).sum() > piece.sum() and (erased & (prior == parent)).any():
            removed |= piece
    return removed


@given(seed=st.integers(0, 10_000), shape=st.tuples(st.integers(20, 70), st.integers(20, 70)),
       radius=st.sampled_from([0.5, 1.0, 1.5, 2.5]), min_area=st.integers(2, 9))
@settings(max_examples=150, deadline=None)
def test_the_region_path_removes_what_the_whole_frame_does_except_pieces_reaching_out(seed, shape, radius, min_area):
    rng = np.random.default_rng(seed)
    before = ndimage.binary_dilation(rng.random(shape) < 0.04, iterations=int(rng.integers(0, 3)))
    before |= ndimage.binary_erosion(rng.random(shape) < 0.5)  # rings, L-shapes and specks of clutter
    mask = before.copy()
    points = rng.uniform(0, [shape[1], shape[0]], size=(int(rng.integers(1, 5)), 2))
    box = paint_stroke(mask, points, radius=radius, value=False)
    after_erase = mask.copy()
    want = _reference(after_erase, before, min_area)
    removed_box = drop_debris(mask, before, box, min_area=min_area, margin=8)
    got = after_erase & ~mask
    assert not (got & ~want).any()  # never removes what the plain rule keeps
    r0, c0, r1, c1 = (max(box[0] - 8, 0), max(box[1] - 8, 0), min(box[2] + 8, shape[0]), min(box[3] + 8, shape[1]))
    inner = np.zeros(shape, bool)
    inner[r0:r1, c0:c1] = True
    missed, _ = ndimage.label(want & ~got, structure=np.ones((3, 3), bool))
    for k in range(1, missed.max() + 1):  # what it keeps that the plain rule removes reaches the region's edge
        piece = missed == k
        assert (piece & ~inner).any() or _touches_edge(piece, (r0, c0, r1, c1), shape), "kept debris inside"
    if got.any():
        rows, cols = np.nonzero(got)
        assert removed_box == (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)


def _touches_edge(piece, region, shape) -> bool:
    r0, c0, r1, c1 = region
    rows, cols = np.nonzero(piece)
    return bool((r0 > 0 and rows.min() == r0) or (c0 > 0 and cols.min() == c0) or
                (r1 < shape[0] and rows.max() == r1 - 1) or (c1 < shape[1] and cols.max() == c1 - 1))


def test_a_dab_of_the_brush_is_the_pixel_centres_within_half_its_diameter():
    for diameter in (1, 2, 3, 4, 5, 8, 11):
        r = max(diameter / 2, 0.5)
        disk = sum(1 for dy in range(-12, 13) for dx in range(-12, 13) if dx * dx + dy * dy <= r * r)
        assert footprint_area(diameter) == disk
