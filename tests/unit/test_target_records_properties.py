"""`core.target_records` against a plain full-frame reference, on hostile masks.

The reference labels whole frames with skimage, pairs old and new targets by
overlap with a plain union-find over pixel pairs, and computes LPD and SCR with
boolean indexing on the whole frame; it shares no code with irstlabel.core.
Identity is checked as properties: an id image consistent with the mask,
unchanged targets keep their ids whatever else an edit does, new ids are
fresh, and a saved frame's anchors give every id back.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from skimage.measure import label

from irstlabel.core.labels.target_records import frame_targets
from tests.strategies import FAST, cluttered_mask


@st.composite
def frames(draw, max_side=160):
    sizes = st.one_of(st.integers(1, 12), st.integers(8, max_side), st.integers(2 * max_side, 3 * max_side))
    h, w = draw(sizes), draw(sizes)
    old = draw(cluttered_mask((h, w)))
    new = np.roll(old, (draw(st.integers(-2, 2)), draw(st.integers(-2, 2))), axis=(0, 1)) if draw(st.booleans()) else old.copy()
    new &= ~draw(cluttered_mask((h, w), max_shapes=3))  # cuts (splits, erased parts)
    new |= draw(cluttered_mask((h, w), max_shapes=4))  # additions (merges, new targets)
    image = np.random.default_rng(draw(st.integers(0, 2**31))).integers(0, 4096, (h, w)).astype(np.uint16)
    return image, old, new


def reference_records(image, old, new, *, margin=1, scr_margin=20):
    """Per new component (in raster order of its first pixel): area, box, centroid, anchor, LPDs, SCR."""
    old_labels, new_labels = label(old, connectivity=2), label(new, connectivity=2)
    n_old = int(old_labels.max())
    parent = list(range(n_old + int(new_labels.max()) + 1))

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for a, b in set(zip(old_labels[old & new].tolist(), new_labels[old & new].tolist())):
        parent[find(a)] = find(n_old + b)
    image = image.astype(np.float64)
    h, w = new.shape
    rows = []
    for b in range(1, int(new_labels.max()) + 1):
        own = new_labels == b
        group = find(n_old + b)
        old_group = np.isin(old_labels, [a for a in range(1, n_old + 1) if find(a) == group])
        new_group = np.isin(new_labels, [k for k in range(1, int(new_labels.max()) + 1) if find(n_old + k) == group])
        pixels = np.argwhere(own)
        union = np.argwhere(old_group | new_group)
        r0, c0 = np.maximum(union.min(axis=0) - margin, 0)
        r1, c1 = np.minimum(union.max(axis=0) + 1 + margin, (h, w))

        def lpd(target):
            window, inside = image[r0:r1, c0:c1], target[r0:r1, c0:c1]
            outside = window[~inside]
            return float("nan") if outside.size == 0 else window[inside].mean() - outside.mean()

        s0, t0 = np.maximum(pixels.min(axis=0) - scr_margin, 0)
        s1, t1 = np.minimum(pixels.max(axis=0) + 1 + scr_margin, (h, w))
        background = image[s0:s1, t0:t1][~new[s0:s1, t0:t1]]
        mu_t = image[own].mean()
        if background.size == 0:
            scr = 0.0
        elif background.std() == 0:
            scr = float("inf") if mu_t != background.mean() else 0.0
        else:
            scr = abs(mu_t - background.mean()) / background.std()
        rows.append({
            "area": len(pixels), "bbox": (*pixels.min(axis=0), *(pixels.max(axis=0) + 1)),
            "centroid": (pixels[:, 1].mean(), pixels[:, 0].mean()), "anchor": tuple(pixels[0]),
            "lpd_old": lpd(old_group) if old_group.any() else None, "lpd_new": lpd(new_group), "scr": scr,
            "parts": int(np.unique(new_labels[new_group]).size)})
    return sorted(rows, key=lambda r: r["anchor"])


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return (np.isnan(a) and np.isnan(b)) or a == b or abs(a - b) <= 1e-9 * max(1.0, abs(b))


@FAST
@given(frames())
def test_every_record_equals_the_full_frame_reference(frame):
    image, old, new = frame
    records = frame_targets(image, old, new).records
    expected = reference_records(image, old, new)
    assert len(records) == len(expected)
    for record, ref in zip(records, expected):
        assert (record.area, tuple(record.bbox), tuple(record.anchor), record.parts) == (
            ref["area"], tuple(int(v) for v in ref["bbox"]), tuple(int(v) for v in ref["anchor"]), ref["parts"])
        assert np.allclose(record.centroid, ref["centroid"])
        for key in ("lpd_old", "lpd_new", "scr"):
            assert _same(getattr(record, key), ref[key]), (key, getattr(record, key), ref[key])


@FAST
@given(frames())
def test_ids_survive_edits_and_come_back_from_anchors(frame):
    image, old, new = frame
    before = frame_targets(image, old, old)
    after = frame_targets(image, old, new, ids_before=before.ids, next_id=before.next_id)
    ids = after.ids
    assert np.array_equal(ids > 0, new)
    new_labels = label(new, connectivity=2)
    for k in range(1, int(new_labels.max()) + 1):
        values = np.unique(ids[new_labels == k])
        assert values.size == 1  # one id per target
    assert len({r.id for r in after.records}) == len(after.records)
    old_labels = label(old, connectivity=2)
    kept = set()
    for k in range(1, int(new_labels.max()) + 1):
        own = new_labels == k
        overlapped = np.unique(old_labels[own & old])
        if overlapped.size == 1 and np.array_equal(own, old_labels == overlapped[0]):  # unchanged by the edit
            target_id = int(ids[own][0])
            assert target_id == int(before.ids[own][0]), "an unchanged target changed its id"
            kept.add(target_id)
    previous = {r.id for r in before.records}
    for record in after.records:
        if record.id not in previous:
            assert record.id >= before.next_id, "a new target took an id that was in use"
    # which target keeps a contested id: the one overlapping it most (ties: the smaller id first)
    pairs = []
    for k in range(1, int(new_labels.max()) + 1):
        values, counts = np.unique(before.ids[(new_labels == k) & (before.ids > 0)], return_counts=True)
        pairs += [(-int(n), int(v), k) for v, n in zip(values, counts)]
    claimed, given_to = set(), {}
    for _, target_id, k in sorted(pairs):
        if k not in given_to and target_id not in claimed:
            given_to[k] = target_id
            claimed.add(target_id)
    for k, target_id in given_to.items():
        assert int(ids[new_labels == k][0]) == target_id
    reopened = frame_targets(image, old, new, known=[r.known() for r in after.records])
    assert np.array_equal(reopened.ids, after.ids)
