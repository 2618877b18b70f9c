"""SSIM de-duplication cost at 1280x1024.

    python bench/dedup_speed.py [--frames 60] [--screen 1000]

1. `--frames` synthetic 1280x1024 frames plus a noisy and a shifted copy of
   every sixth one: time of `deduplicate`, and how many pairs needed the
   full-resolution SSIM.
2. The screening alone for `--screen` frames (reduced copies compared with every
   kept one), the part that grows with the square of the number of frames.
3. For comparison, one full-resolution SSIM, the cost of the naive all-pairs method.
4. On real SIRST v1 frames (../shared/data/sirst-v1, when present): every pair of
   same-size frames, the screening SSIM (64-px copies) against the paper's
   full-resolution SSIM, and how many duplicates each screening margin misses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.curation.dedup import ScreenStack, deduplicate, reduced, ssim_full  # noqa: E402
from irstlabel.core.datasets.dataset import Dataset  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"
from irstlabel.core.datasets.synthetic import synthetic_frame  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--screen", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    frames, order = {}, []
    for k in range(args.frames):
        frame = synthetic_frame((1024, 1280), seed=k, n_targets=2).image
        frames[f"f{k}"] = frame
        order.append(f"f{k}")
        if k % 6 == 0:
            frames[f"f{k}_noisy"] = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
            frames[f"f{k}_shift"] = np.roll(frame, 2, axis=1)
            order += [f"f{k}_noisy", f"f{k}_shift"]
    start = time.perf_counter()
    result = deduplicate(order, frames.__getitem__, threshold=0.85)
    seconds = time.perf_counter() - start
    planted = {k for k in order if "_" in k}
    start = time.perf_counter()
    ssim_full(frames["f0"], frames["f1"])
    one_full = time.perf_counter() - start
    noisy = {k for k in planted if k.endswith("_noisy")}
    dropped = set(result.dropped)
    rows = [[len(order), seconds, 1000 * seconds / len(order), result.confirmed_at_full, result.screened,
             f"{len(dropped & noisy)} of {len(noisy)}", f"{len(dropped & (planted - noisy))} of {len(planted - noisy)}",
             len(dropped - planted)]]
    print_table(f"De-duplication of 1280x1024 frames, threshold 0.85 ({machine()})",
                ["frames", "seconds", "ms per frame", "full-res SSIMs", "screened pairs", "noisy copies dropped",
                 "2-px shifted copies dropped", "other frames dropped"], rows)
    smalls = [reduced(synthetic_frame((128, 160), seed=10_000 + k, n_targets=1).image) for k in range(args.screen)]
    start = time.perf_counter()
    for k in range(1, len(smalls)):  # every kept frame's window statistics recomputed per new frame
        uncached = ScreenStack()
        for small in smalls[:k]:
            uncached.add(small)
        uncached.ssim(smalls[k])
    recomputed = time.perf_counter() - start
    start = time.perf_counter()
    screen = ScreenStack()
    for k in range(len(smalls) - 1):
        screen.add(smalls[k])
        screen.ssim(smalls[k + 1])
    cached = time.perf_counter() - start
    pairs = args.screen * (args.screen - 1) / 2
    print_table("Screening cost, and the naive alternative",
                ["frames", "pairs", "screening s (statistics recomputed)", "screening s (cached)", "ratio",
                 "naive all-pairs at full resolution (estimate, hours)"],
                [[args.screen, int(pairs), recomputed, cached, recomputed / cached, pairs * one_full / 3600]])
    if REAL.is_dir():
        real_screen_margins()


def real_screen_margins() -> None:
    dataset = Dataset.open(REAL)
    by_shape: dict[tuple, list[np.ndarray]] = {}
    for frame_id in dataset.frame_ids:
        frame = dataset.read_frame(frame_id)
        by_shape.setdefault(frame.shape, []).append(frame)
    screened, full = [], []
    for frames in by_shape.values():
        for i in range(len(frames)):
            for j in range(i + 1, len(frames)):
                stack = ScreenStack()
                stack.add(reduced(frames[i]))
                screened.append(float(stack.ssim(reduced(frames[j]))[0]))
                full.append(ssim_full(frames[i], frames[j]))
    screened, full = np.array(screened), np.array(full)
    print(f"\nSIRST v1, {len(full)} same-size pairs: paper's SSIM median {np.median(full):.3f} (max {full.max():.3f}), "
          f"64-px screen median {np.median(screened):.3f}; screen - full: median {np.median(screened - full):.3f}, "
          f"min {np.min(screened - full):.3f}")
    rows = []
    for margin in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        for limit in (0.85, 0.9):
            duplicates = full > limit
            passed = screened >= limit - margin
            rows.append([margin, limit, int(duplicates.sum()), int((duplicates & ~passed).sum()), int(passed.sum())])
    print_table("Screening margin against the paper's SSIM on real frames",
                ["margin", "threshold", "duplicates (full SSIM > threshold)", "missed by the screen",
                 "pairs compared at full resolution"], rows)


if __name__ == "__main__":
    main()
