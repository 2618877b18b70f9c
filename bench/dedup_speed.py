"""SSIM de-duplication cost at 1280x1024.

    python bench/dedup_speed.py [--frames 60] [--screen 1000]

1. `--frames` synthetic 1280x1024 frames plus a noisy and a shifted copy of
   every sixth one: time of `deduplicate`, and how many pairs needed the
   full-resolution SSIM.
2. The screening alone for `--screen` frames (reduced copies compared with every
   kept one), the part that grows with the square of the number of frames.
3. For comparison, one full-resolution SSIM, the cost of the naive all-pairs method.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.dedup import deduplicate, reduced, ssim_full, ssim_many  # noqa: E402
from irstlabel.core.synthetic import synthetic_frame  # noqa: E402


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
    rows = [[len(order), seconds, 1000 * seconds / len(order), result.confirmed_at_full, result.screened,
             len(result.dropped), set(result.dropped) == planted]]
    print_table(f"De-duplication of 1280x1024 frames ({machine()})",
                ["frames", "seconds", "ms per frame", "full-res SSIMs", "screened pairs", "dropped",
                 "dropped = planted"], rows)
    smalls = [reduced(synthetic_frame((128, 160), seed=10_000 + k, n_targets=1).image) for k in range(args.screen)]
    start = time.perf_counter()
    for k in range(1, len(smalls)):
        ssim_many(np.stack(smalls[:k]), smalls[k])
    screening = time.perf_counter() - start
    pairs = args.screen * (args.screen - 1) / 2
    print_table("Screening cost, and the naive alternative",
                ["frames", "screening seconds", "pairs", "naive all-pairs at full resolution (estimate, hours)"],
                [[args.screen, screening, int(pairs), pairs * one_full / 3600]])


if __name__ == "__main__":
    main()
