"""LPD after an edit and Canny proposals, on 1280x1024 frames.

    python bench/quality_speed.py [--repeats 200]

LPD is timed the way an editor calls it: the target's mask changes, and the
editor passes the box it knows the stroke touched (``box=``); the same call
without the box (a scan of the whole frame for the target) is the comparison
in the same run. Proposals are timed from a clicked point.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.labels.proposals import propose_target  # noqa: E402
from irstlabel.core.labels.quality import lpd  # noqa: E402
from irstlabel.core.datasets.synthetic import synthetic_frame  # noqa: E402


def _median_us(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def _target_of_area(area: int) -> tuple[np.ndarray, np.ndarray, tuple]:
    frame = synthetic_frame((1024, 1280), seed=1, n_targets=0, bit_depth=16).image
    side = int(np.sqrt(area))
    mask = np.zeros(frame.shape, bool)
    r0, c0 = 500, 600
    mask[r0 : r0 + side, c0 : c0 + side] = True
    return frame, mask, (r0 - 4, c0 - 4, r0 + side + 4, c0 + side + 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for area in (16, 200, 2000):
        frame, mask, box = _target_of_area(area)
        with_box = _median_us(lambda: lpd(frame, mask, box=box), args.repeats)
        whole = _median_us(lambda: lpd(frame, mask), args.repeats // 4)
        rows.append([f"LPD, {mask.sum()}-pixel target", with_box, whole, whole / with_box])
    print_table(f"LPD of one target on a 1280x1024 16-bit frame, median us ({machine()})",
                ["case", "with box hint", "whole-frame scan", "ratio"], rows)

    rows = []
    for kind, extent in (("point", 8), ("ellipse", 24), ("ellipse", 100)):
        f = synthetic_frame((1024, 1280), seed=3, n_targets=1, kinds=(kind,), max_extent=extent, scr=6, bit_depth=16)
        t = f.targets[0]
        us = _median_us(lambda: propose_target(f.image, t.centroid), max(args.repeats // 4, 10))
        p = propose_target(f.image, t.centroid)
        iou = (p.mask & f.mask).sum() / (p.mask | f.mask).sum()
        rows.append([f"{kind}, {t.area} px", us / 1000, iou, p.method])
    print_table(f"Canny proposal from a click, 1280x1024 16-bit, median ms ({machine()})",
                ["target", "ms", "IoU with truth", "method"], rows)


if __name__ == "__main__":
    main()
