import numpy as np
import pytest

from irstlabel.core.labels.proposals import canny_thresholds, edge_map, propose_target
from irstlabel.core.datasets.synthetic import synthetic_frame
from irstlabel.core.labels.targets import find_targets


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_proposals_recover_synthetic_targets_at_moderate_scr():
    """Stated bound: at SCR 5-8, median IoU >= 0.7 and 85% of proposals >= 0.4."""
    ious = []
    for seed in range(40):
        f = synthetic_frame((160, 160), seed=seed, n_targets=1, scr=(5.0, 8.0), bit_depth=16)
        ious.append(_iou(propose_target(f.image, f.targets[0].centroid).mask, f.mask))
    assert np.median(ious) >= 0.7
    assert np.mean(np.array(ious) >= 0.4) >= 0.85


@pytest.mark.parametrize("seed_kind", ["point", "box", "mask"])
def test_every_kind_of_seed(seed_kind):
    f = synthetic_frame((128, 128), seed=11, n_targets=1, scr=8, kinds=("ellipse",), max_extent=16)
    t = f.targets[0]
    seed = {"point": t.centroid, "box": t.bbox, "mask": f.mask}[seed_kind]
    proposal = propose_target(f.image, seed)
    assert _iou(proposal.mask, f.mask) > 0.5
    assert len(find_targets(proposal.mask)) == 1
    r0, c0, r1, c1 = proposal.window
    assert proposal.edges.shape == (r1 - r0, c1 - c0)
    assert proposal.thresholds[0] < proposal.thresholds[1]


def test_large_targets_grow_the_window():
    f = synthetic_frame((256, 256), seed=2, n_targets=1, scr=8, kinds=("ellipse",), max_extent=100)
    t = f.targets[0]
    assert max(t.bbox[2] - t.bbox[0], t.bbox[3] - t.bbox[1]) > 30
    p = propose_target(f.image, t.centroid, window_margin=8)
    assert _iou(p.mask, f.mask) > 0.6


def test_level_method_and_manual_thresholds():
    f = synthetic_frame((96, 96), seed=5, n_targets=1, scr=8)
    level = propose_target(f.image, f.targets[0].centroid, method="level")
    assert level.method == "level" and _iou(level.mask, f.mask) > 0.4
    manual = propose_target(f.image, f.targets[0].centroid, low=10, high=30)
    assert manual.thresholds == (10.0, 30.0)


def test_bad_seeds_and_options():
    img = np.zeros((20, 20), np.uint8)
    with pytest.raises(ValueError, match="outside"):
        propose_target(img, (25, 3))
    with pytest.raises(ValueError, match="unknown method"):
        propose_target(img, (3, 3), method="snake")
    with pytest.raises(ValueError, match="seed must be"):
        propose_target(img, (1, 2, 3))


def test_flat_window_gives_no_edges_and_does_not_crash():
    img = np.full((40, 40), 100, np.uint16)
    p = propose_target(img, (20, 20))
    assert not p.edges.any()
    assert canny_thresholds(np.zeros((5, 5), np.uint8)) == (0.0, 0.0)


def test_edge_map_finds_the_target_outlines():
    f = synthetic_frame((128, 160), seed=8, n_targets=2, scr=10, bit_depth=16)
    edges = edge_map(f.image)
    assert edges.shape == f.image.shape and edges.dtype == bool
    ring = np.zeros_like(f.mask)
    for t in f.targets:
        r0, c0, r1, c1 = t.bbox
        ring[max(r0 - 2, 0) : r1 + 2, max(c0 - 2, 0) : c1 + 2] = True
    assert (edges & ring).sum() > 0
