"""Which part of a frame the display levels come from."""

import numpy as np

from irstlabel.gui.levels import auto_levels, levels_region


def test_whole_frame_levels_ignore_the_view_and_the_selection():
    assert levels_region((100, 200), mode="global", box=(10, 10, 12, 12), view_range=((0, 20), (0, 20))) is None


def test_around_a_target_at_least_48_px_clipped_to_the_frame():
    assert levels_region((100, 200), mode="view", box=(2, 3, 5, 6)) == (0, 0, 27, 28)
    assert levels_region((100, 200), mode="view", box=(40, 100, 60, 130)) == (0, 55, 100, 175)


def test_the_view_when_zoomed_in_else_the_whole_frame():
    shape = (100, 200)
    assert levels_region(shape, mode="view", view_range=((10.5, 60.2), (20.0, 50.7))) == (20, 10, 51, 61)
    assert levels_region(shape, mode="view", view_range=((-5, 205), (-3, 103))) is None  # fit: the frame
    assert levels_region(shape, mode="view", view_range=((10, 15), (10, 60))) is None  # too narrow to judge


def test_auto_levels_are_percentiles_and_never_collapse():
    frame = np.arange(10_000, dtype=np.uint16).reshape(100, 100)
    lo, hi = auto_levels(frame)
    assert lo == np.percentile(frame, 0.5) and hi == np.percentile(frame, 99.8)
    assert auto_levels(np.full((8, 8), 7, np.uint8)) == (7.0, 8.0)
