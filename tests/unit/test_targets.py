import numpy as np
import pytest
from skimage.measure import label, regionprops

from irstlabel.core.labels.targets import find_targets, targets_table


def test_hand_made_targets():
    mask = np.zeros((6, 7), bool)
    mask[1, 1] = mask[2, 2] = True  # diagonal neighbours: one 8-connected target
    mask[4:6, 4:7] = True
    targets = find_targets(mask)
    assert len(targets) == 2
    assert targets.area.tolist() == [2, 6]
    assert targets.bbox.tolist() == [[1, 1, 3, 3], [4, 4, 6, 7]]
    assert targets.centroid.tolist() == [[1.5, 1.5], [5.0, 4.5]]
    assert len(find_targets(mask, connectivity=4)) == 3


def test_empty_mask_has_no_targets():
    targets = find_targets(np.zeros((4, 4), np.uint8))
    assert len(targets) == 0
    assert targets.bbox.shape == (0, 4) and targets.centroid.shape == (0, 2)


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("shape, density", [((90, 70), 0.2), ((1024, 1280), 0.02)])
def test_same_order_and_values_as_skimage(connectivity, shape, density):
    mask = np.random.default_rng(1).random(shape) < density
    targets = find_targets(mask, connectivity=connectivity)
    labels = label(mask, connectivity=1 if connectivity == 4 else 2)
    props = regionprops(labels)
    np.testing.assert_array_equal(targets.labels, labels)
    np.testing.assert_array_equal(targets.area, [p.area for p in props])
    np.testing.assert_array_equal(targets.bbox, [p.bbox for p in props])
    np.testing.assert_allclose(targets.centroid, [p.centroid[::-1] for p in props], rtol=0, atol=1e-9)


def test_table_columns():
    mask = np.zeros((5, 5), bool)
    mask[1:3, 2:4] = True
    table = targets_table(mask)
    assert table["label"].tolist() == [1]
    assert table["bbox-2"].tolist() == [3]
    assert table["centroid-x"].tolist() == [2.5] and table["centroid-y"].tolist() == [1.5]
    assert find_targets(mask).mask_of(0).sum() == 4


def test_rejects_3d_input():
    with pytest.raises(ValueError, match="2-D"):
        find_targets(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("shape", [(100, 130), (1024, 1280), (33, 8), (7, 300)])
def test_occupied_regions_hold_every_pixel_once_and_every_component_whole(shape):
    from irstlabel.core.labels.targets import occupied_regions

    rng = np.random.default_rng(3)
    a = rng.random(shape) > 0.995
    b = np.zeros(shape, bool)
    b[: shape[0] // 2, shape[1] // 3] = True  # a long thin component across many tiles
    b[0, : shape[1] // 2] = True  # ... joined into an L whose box holds other clusters
    regions = occupied_regions(a, b)
    covered = np.zeros(shape, int)
    for r in regions:
        covered[r.r0 : r.r1, r.c0 : r.c1] += r.crop(a | b)
    assert np.array_equal(covered, (a | b).astype(int))  # every pixel in exactly one region
    labels = label(a | b, connectivity=2)
    for r in regions:
        inside = np.unique(r.crop(labels))
        for k in inside[inside > 0]:
            assert (r.crop(labels) == k).sum() == (labels == k).sum()
    assert occupied_regions(np.zeros(shape, bool)) == []


def test_count_targets_equals_full_frame_labelling_on_hostile_masks():
    from hypothesis import given

    from irstlabel.core.labels.targets import count_targets
    from tests.strategies import FAST, frame_pair

    @FAST
    @given(frame_pair())
    def check(pair):
        mask = pair[0]
        for connectivity in (4, 8):
            assert count_targets(mask, connectivity=connectivity) == len(find_targets(mask, connectivity=connectivity))

    check()
