"""Overlay index images worked out on parts of the frame equal the plain full-frame computation."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from irstlabel.gui.overlays import mask_index, proposal_index
from tests.strategies import FAST, cluttered_mask


def full_frame_index(mask):
    inner = cv2.erode(mask.view(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return mask.view(np.uint8) + (mask & ~(inner > 0)).view(np.uint8)


@FAST
@given(st.integers(1, 300), st.integers(1, 300), st.data())
def test_mask_index_equals_the_full_frame_outline(h, w, data):
    mask = data.draw(cluttered_mask((h, w)))
    np.testing.assert_array_equal(mask_index(mask), full_frame_index(mask))
    out = np.full((h, w), 7, np.uint8)
    np.testing.assert_array_equal(mask_index(mask, out), full_frame_index(mask))


def test_the_proposal_ring_lies_outside_the_target():
    mask = np.zeros((9, 9), bool)
    mask[4, 4] = True
    index = proposal_index(mask)
    assert index[4, 4] == 1 and (index == 2).sum() == 8 and index[2].sum() == 0
