import numpy as np
import pytest

from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.datasets.synthetic import make_demo_dataset, synthetic_frame
from irstlabel.core.labels.targets import find_targets


def test_same_seed_same_frame_other_seed_other_frame():
    a = synthetic_frame((64, 80), seed=5)
    b = synthetic_frame((64, 80), seed=5)
    c = synthetic_frame((64, 80), seed=6)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("bit_depth, dtype", [(8, np.uint8), (16, np.uint16)])
def test_high_resolution_frames_of_both_depths(bit_depth, dtype):
    frame = synthetic_frame((1024, 1280), seed=2, bit_depth=bit_depth, n_targets=6, max_extent=112)
    assert frame.image.shape == (1024, 1280) and frame.image.dtype == dtype
    if bit_depth == 16:
        assert frame.image.max() > 255  # really 16-bit data, not 8-bit in a wider type
    assert len(find_targets(frame.mask)) == len(frame.targets) >= 1


def test_mask_is_exact_targets_change_only_their_pixels():
    for seed in range(5):
        frame = synthetic_frame((96, 128), seed=seed, n_targets=(2, 4), scr=(3, 8))
        changed = frame.image != frame.background
        assert not (changed & ~frame.mask).any()
        assert changed[frame.mask].mean() > 0.9


def test_target_sizes_and_separation():
    sizes = []
    for seed in range(30):
        frame = synthetic_frame((256, 320), seed=seed, n_targets=3, max_extent=112)
        targets = find_targets(frame.mask)
        assert len(targets) == len(frame.targets)
        heights = targets.bbox[:, 2] - targets.bbox[:, 0]
        widths = targets.bbox[:, 3] - targets.bbox[:, 1]
        sizes += list(zip(heights, widths))
        assert targets.area.min() >= 4
    longest = [max(s) for s in sizes]
    assert min(longest) <= 4 and max(longest) >= 40  # point-like up to extended


def test_requested_scr_is_met_at_moderate_scr():
    errors = []
    for seed in range(10):
        frame = synthetic_frame((128, 160), seed=seed, n_targets=2, scr=(3.0, 6.0), bit_depth=16)
        errors += [abs(t.scr - t.scr_requested) / t.scr_requested for t in frame.targets]
    assert np.median(errors) < 0.05


def test_demo_dataset_opens_in_the_generic_layout(tmp_path):
    root = make_demo_dataset(tmp_path / "demo", frames=4, size=(48, 64), seed=1, bit_depth=16)
    dataset = Dataset.open(root)
    assert dataset.layout == "generic" and len(dataset) == 4
    assert dataset.read_frame(dataset.frame_ids[0]).dtype == np.uint16
    assert dataset.read_mask(dataset.frame_ids[0]).encoding in ("0/255", "0/1")


@pytest.mark.parametrize("kwargs", [{"bit_depth": 12}, {"size": (4, 4)}, {"kinds": ("square",)}])
def test_bad_options(kwargs):
    options = {"size": (32, 32), **kwargs}
    with pytest.raises(ValueError):
        synthetic_frame(options.pop("size"), **options)
