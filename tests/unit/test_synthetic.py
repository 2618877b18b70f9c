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


@pytest.mark.parametrize("scene", ["sky", "ground", "sea", "cloud"])
def test_every_scene_keeps_the_mask_exact(scene):
    frame = synthetic_frame((120, 200), seed=3, scene=scene, n_targets=3, max_extent=10)
    changed = frame.image != frame.background
    assert not (changed & ~frame.mask).any() and frame.mask.any()


def test_sea_glints_are_small_bright_clutter_outside_the_mask():
    sea = synthetic_frame((400, 600), seed=1, scene="sea", n_targets=0)
    sky = synthetic_frame((400, 600), seed=1, scene="sky", n_targets=0)
    lower = slice(300, 400)
    assert not sea.mask.any()
    # glints: isolated pixels far above their neighbourhood, which a smooth sky does not have
    def spikes(image):
        x = image[lower].astype(float)
        return int((x - np.median(x) > 6 * x.std()).sum())
    assert spikes(sea.image) > 10 * max(spikes(sky.image), 1)


def test_a_scene_is_named_from_the_list_and_not_beside_ground():
    with pytest.raises(ValueError, match="scene"):
        synthetic_frame((64, 64), scene="desert")
    with pytest.raises(ValueError, match="scene"):
        synthetic_frame((64, 64), scene="sea", ground=True)


def test_scene_sets_cycle_sizes_and_scenes_with_target_free_frames(tmp_path):
    from irstlabel.core.datasets.synthetic_sets import make_scene_set

    sizes = ((40, 64), (48, 72))
    root = make_scene_set(tmp_path / "a", frames=8, seed=4, sizes=sizes, scenes=("sky", "sea"), target_free=0.25,
                          n_targets=(1, 2), max_extent=6)
    data = Dataset.open(str(root))
    shapes = [data.read_frame(f).shape for f in data.frame_ids]
    assert sorted(shapes) == sorted(list(sizes) * 4)
    free = [f for f in data.frame_ids if not data.read_mask(f).mask.any()]
    assert len(free) == 2 and all(f.startswith("free_") for f in free)
    again = make_scene_set(tmp_path / "b", frames=8, seed=4, sizes=sizes, scenes=("sky", "sea"), target_free=0.25,
                           n_targets=(1, 2), max_extent=6)
    for name in ("images/frame_0001.png", "masks/frame_0003.png", "images/free_0008.png"):
        assert (root / name).read_bytes() == (again / name).read_bytes()
    with pytest.raises(ValueError, match="scenes"):
        make_scene_set(tmp_path / "c", frames=1, seed=0, scenes=("desert",))
