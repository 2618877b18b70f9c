import numpy as np
import pytest

from irstlabel.core.labels.editing import (
    delete_target,
    fill_polygon,
    magic_wand,
    merge_along,
    paint_stroke,
    split_along,
    target_at,
)
from irstlabel.core.labels.targets import find_targets


def test_brush_stroke_covers_the_segment_and_the_eraser_removes_it():
    mask = np.zeros((20, 30), bool)
    box = paint_stroke(mask, [(5, 10), (20, 10)], radius=2)
    assert mask[10, 5:21].all() and mask[8, 12] and not mask[7, 12]
    r0, c0, r1, c1 = box
    assert not mask[:r0].any() and not mask[r1:].any() and not mask[:, :c0].any() and not mask[:, c1:].any()
    paint_stroke(mask, [(5, 10), (20, 10)], radius=2, value=False)
    assert not mask.any()


def test_stroke_outside_the_frame_is_clipped():
    mask = np.zeros((10, 10), bool)
    paint_stroke(mask, [(-5, -5), (2, 2)], radius=1)
    assert mask[0, 0] and mask[2, 2]
    assert paint_stroke(mask, [(50, 50)], radius=1) == (0, 0, 0, 0)


def test_polygon_fill():
    mask = np.zeros((20, 20), bool)
    fill_polygon(mask, [(2, 2), (10, 2), (10, 8), (2, 8)])
    assert mask[2:9, 2:11].all() and mask.sum() == 9 * 7


def test_magic_wand_takes_the_connected_similar_region():
    image = np.zeros((30, 30), np.uint16)
    image[5:10, 5:10] = 1000
    image[20:25, 20:25] = 1000  # similar but not connected
    region, _ = magic_wand(image, (7, 7), tolerance=50)
    assert region.sum() == 25 and region[5:10, 5:10].all()
    with pytest.raises(ValueError, match="outside"):
        magic_wand(image, (40, 7), tolerance=1)


def test_delete_merge_split():
    mask = np.zeros((20, 30), bool)
    mask[5:8, 5:8] = True
    mask[5:8, 12:15] = True
    merge_along(mask, [(7, 6), (12, 6)])
    assert len(find_targets(mask)) == 1
    split_along(mask, [(9.5, 3), (9.5, 10)], radius=1)
    assert len(find_targets(mask)) == 2
    assert target_at(mask, (6, 6)).sum() > 0
    delete_target(mask, (13, 6))
    assert len(find_targets(mask)) == 1 and not mask[5:8, 12:15].any()
    assert delete_target(mask, (28, 18)) == (0, 0, 0, 0)
