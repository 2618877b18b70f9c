
import numpy as np
import pytest

from irstlabel.cli import main
from irstlabel.core.curation.steps import crop_resize, fill_resize, fill_resize_mask, to_output, to_source
from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.curation.dedup import deduplicate, mean_pairwise_ssim, sample_sequence
from irstlabel.core.errors import IrstlabelError
from irstlabel.core.curation.merge import group_split, merge_datasets, sequence_of
from irstlabel.core.datasets.synthetic import make_demo_dataset, synthetic_frame
from irstlabel.core.labels.targets import find_targets
from tests.helpers import write_image, write_mask_file, strict_loads


def test_planted_duplicates_are_found_and_nothing_else():
    frames = {f"base{k}": synthetic_frame((128, 160), seed=100 + k, n_targets=2).image for k in range(6)}
    rng = np.random.default_rng(0)
    noisy = np.clip(frames["base1"].astype(int) + rng.normal(0, 2, (128, 160)), 0, 255).astype(np.uint8)
    frames["noisy_of_1"] = noisy
    frames["shifted_of_3"] = np.roll(frames["base3"], 2, axis=1)
    order = ["base0", "base1", "base2", "noisy_of_1", "base3", "shifted_of_3", "base4", "base5"]
    # the paper's SSIM is not shift-invariant: a 2-px shift of a textured frame scores 0.82
    result = deduplicate(order, frames.__getitem__, threshold=0.85)
    assert set(result.dropped) == {"noisy_of_1"} and result.dropped["noisy_of_1"][0] == "base1"
    # smoothing first (an option) also finds the shifted copy, and nothing else
    smoothed = deduplicate(order, frames.__getitem__, threshold=0.85, smooth=1.0)
    assert set(smoothed.dropped) == {"noisy_of_1", "shifted_of_3"}
    assert smoothed.dropped["shifted_of_3"][0] == "base3"
    assert smoothed.kept == ["base0", "base1", "base2", "base3", "base4", "base5"]
    assert mean_pairwise_ssim(smoothed.kept, frames.__getitem__) < mean_pairwise_ssim(order, frames.__getitem__)
    exact = deduplicate(order, frames.__getitem__, threshold=0.85, screen_margin=None)
    assert exact.dropped == result.dropped and exact.confirmed_at_full >= result.confirmed_at_full


def test_cached_screen_equals_the_plain_reduced_ssim():
    from irstlabel.core.curation.dedup import ScreenStack, reduced

    smalls = [reduced(synthetic_frame((96, 128), seed=k, n_targets=1).image) for k in range(5)]
    screen = ScreenStack()
    for small in smalls[:4]:
        screen.add(small)
    from skimage.metrics import structural_similarity

    expected = [structural_similarity(s.astype(np.float64), smalls[4].astype(np.float64), data_range=1.0,
                                      win_size=7, use_sample_covariance=False) for s in smalls[:4]]
    # skimage averages over the window centres whose window fits: the same windows as the valid region
    np.testing.assert_allclose(screen.ssim(smalls[4]), expected, atol=1e-6)


def test_fill_keeps_every_target_and_maps_back_exactly():
    f = synthetic_frame((240, 320), seed=3, n_targets=4, max_extent=20)
    image, transform = fill_resize(f.image, (1024, 1280))
    mask = fill_resize_mask(f.mask, (1024, 1280))
    assert image.shape == (1024, 1280) and transform.padded == (256, 320)
    before, after = find_targets(f.mask), find_targets(mask)
    assert len(after) == len(before)
    for (x, y), (x2, y2) in zip(before.centroid, after.centroid):
        ox, oy = to_output(transform, x, y)
        assert abs(ox - x2) < 1.0 and abs(oy - y2) < 1.0
        assert to_source(transform, ox, oy) == pytest.approx((x, y), abs=1e-9)


def test_crop_keeps_every_target_whole_and_maps_back_exactly():
    for seed in range(5):
        f = synthetic_frame((240, 400), seed=seed, n_targets=3, max_extent=16)
        image, mask, transform = crop_resize(f.image, f.mask, (256, 320))
        r0, c0, r1, c1 = transform.box
        assert (r1 - r0) * 320 == (c1 - c0) * 256  # the target aspect ratio
        assert f.mask[r0:r1, c0:c1].sum() == f.mask.sum()  # nothing cut off
        assert len(find_targets(mask)) == len(find_targets(f.mask))
        x, y = find_targets(f.mask).centroid[0]
        assert to_source(transform, *to_output(transform, x, y)) == pytest.approx((x, y), abs=1e-9)
    wide = np.zeros((100, 400), bool)
    wide[50, 10] = wide[50, 390] = True
    with pytest.raises(ValueError, match="no 100x125 crop can keep them whole"):
        crop_resize(np.zeros((100, 400), np.uint8), wide, (64, 80))


def test_sequence_sampling_keeps_frames_that_changed():
    base = synthetic_frame((96, 128), seed=1, n_targets=1).image
    other = synthetic_frame((96, 128), seed=2, n_targets=1).image
    sequence = {f"seq_{k:04d}": (base if k < 100 else other) for k in range(200)}
    kept = sample_sequence(sorted(sequence), sequence.__getitem__, every=50, max_ssim=0.85)
    assert kept == ["seq_0000", "seq_0100"]


def test_group_split_keeps_sequences_together_and_is_seeded():
    ids = [f"seq{s}_{k:03d}" for s in range(10) for k in range(7)] + [f"single{k}" for k in range(10)]
    train, val, test = group_split(ids, seed=3)
    assert sorted(train + val + test) == sorted(ids)
    for part in (train, val, test):
        for other in (train, val, test):
            if part is not other:
                assert not {sequence_of(i) for i in part if i.startswith("seq")} & {sequence_of(i) for i in other if i.startswith("seq")}
    assert abs(len(train) / len(ids) - 0.6) < 0.12
    assert (train, val, test) == group_split(ids, seed=3)
    assert sequence_of("seq3_012") == "seq3" and sequence_of("Misc_12") == "Misc"


def test_merge_writes_provenance_and_refuses_mixed_bit_depths(tmp_path):
    a = make_demo_dataset(tmp_path / "a", frames=2, size=(48, 64), seed=1)
    b = make_demo_dataset(tmp_path / "b", frames=2, size=(60, 60), seed=2)
    sources = [("A", Dataset.open(a), Dataset.open(a).frame_ids), ("B", Dataset.open(b), Dataset.open(b).frame_ids)]
    summary = merge_datasets(sources, tmp_path / "m", size=(64, 80), method="fill")
    merged = Dataset.open(tmp_path / "m")
    assert summary["frames"] == len(merged) == 4
    assert {merged.read_frame(i).shape for i in merged.frame_ids} == {(64, 80)}
    provenance = (tmp_path / "m" / "provenance.csv").read_text().splitlines()
    assert provenance[0].startswith("frame,source,original_id") and len(provenance) == 5
    c = make_demo_dataset(tmp_path / "c", frames=1, size=(48, 64), seed=3, bit_depth=16)
    sources.append(("C", Dataset.open(c), Dataset.open(c).frame_ids))
    with pytest.raises(IrstlabelError, match="frame_0001.png: frame is uint16 but earlier frames are uint8"):
        merge_datasets(sources, tmp_path / "m2")
    with pytest.raises(IrstlabelError, match="nothing to merge"):
        merge_datasets([("A", Dataset.open(a), ())], tmp_path / "m3")


def test_curate_commands(tmp_path, capsys):
    root = make_demo_dataset(tmp_path / "d", frames=4, size=(48, 64), seed=5)
    write_image(root / "images" / "frame_0005.png", Dataset.open(root).read_frame("frame_0001"))  # an exact copy
    write_mask_file(root / "masks" / "frame_0005.png", Dataset.open(root).read_mask("frame_0001").mask)
    assert main(["curate", "dedup", str(root), "--json", "--keep-list", str(tmp_path / "keep.txt")]) == 0
    out = strict_loads(capsys.readouterr().out)
    assert out["dropped"] == 1 and out["duplicates"]["frame_0005"]["of"] == "frame_0001"
    assert (tmp_path / "keep.txt").read_text().split() == [f"frame_000{k}" for k in range(1, 5)]
    # --exact compares every screened pair at full resolution: the same decision here
    assert main(["curate", "dedup", str(root), "--json", "--exact"]) == 0
    exact = strict_loads(capsys.readouterr().out)
    assert exact["duplicates"] == out["duplicates"]
    assert exact["confirmed_at_full_resolution"] >= out["confirmed_at_full_resolution"]
    assert exact["confirmed_at_full_resolution"] == exact["screened_pairs"] - 3  # stops at the copy's match
    assert main(["curate", "unify", str(root), "--out", str(tmp_path / "u"), "--size", "64", "64"]) == 0
    assert Dataset.open(tmp_path / "u").read_frame(Dataset.open(tmp_path / "u").frame_ids[0]).shape == (64, 64)
    capsys.readouterr()
    assert main(["curate", "split", str(root), "--out", str(tmp_path / "s")]) == 0
    assert sum(strict_loads(capsys.readouterr().out).values()) == 5
    assert main(["curate", "stats", str(root), str(tmp_path / "u"), "--json", "--plots", str(tmp_path / "plots")]) == 0
    assert len(strict_loads(capsys.readouterr().out)) == 2
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["scr.png", "share.png", "size.png"]
    assert main(["curate", "split", str(root), "--out", str(tmp_path / "s2"), "--ratios", "0.5", "0.5", "0.5"]) == 2
    (root / "images" / "frame_0002.png").write_bytes(b"broken")
    assert main(["curate", "dedup", str(root)]) == 2
    assert "frame_0002.png: truncated or corrupt" in capsys.readouterr().err


def test_statistics_of_the_real_frames_match_an_independent_count(sirst_v1):
    from skimage.measure import label, regionprops

    from irstlabel.core.io.files import read_mask
    from irstlabel.core.datasets.stats import dataset_statistics

    areas, heights, widths = [], [], []
    masks = sorted((sirst_v1 / "annotations" / "masks").glob("*_pixels0.png"))
    for path in masks:
        for region in regionprops(label(read_mask(path).mask, connectivity=2)):
            areas.append(region.area)
            heights.append(region.bbox[2] - region.bbox[0])
            widths.append(region.bbox[3] - region.bbox[1])
    dataset = Dataset.open(sirst_v1)
    summary = dataset_statistics(dataset, dataset.frame_ids)
    assert summary["frames"] == len(masks) == 427
    assert summary["targets"] == len(areas)
    assert summary["pixels"] == {"min": min(areas), "max": max(areas), "mean": pytest.approx(np.mean(areas))}
    assert summary["size"]["max"] == [max(heights), max(widths)]
    assert summary["size"]["mean"] == [pytest.approx(np.mean(heights)), pytest.approx(np.mean(widths))]


def test_mean_pairwise_ssim_samples_pairs_without_listing_them_all():
    import tracemalloc

    from irstlabel.core.curation.dedup import _pairs_from_numbers

    rng = np.random.default_rng(0)
    frames = {f"f{k}": rng.integers(0, 255, (12, 12), dtype=np.uint8) for k in range(3000)}  # 4.5 M pairs
    tracemalloc.start()
    value = mean_pairwise_ssim(list(frames), frames.__getitem__, max_pairs=2000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # the 64-px copies take 2 x 49 MB; listing the 4.5 M pairs took another ~500 MB
    assert 0 <= value <= 1 and peak < 200 << 20, peak
    n = 7
    i, j = _pairs_from_numbers(np.arange(n * (n - 1) // 2), n)
    assert list(zip(i.tolist(), j.tolist())) == [(a, b) for a in range(n) for b in range(a + 1, n)]
    few = {k: frames[k] for k in list(frames)[:5]}
    assert mean_pairwise_ssim(list(few), few.__getitem__) == pytest.approx(
        np.mean([mean_pairwise_ssim([a, b], few.__getitem__) for a in few for b in few if a < b]))
