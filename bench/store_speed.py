"""Saving an edited 1280x1024 mask through the store, and reading one frame from the cache.

    python bench/store_speed.py [--saves 100] [--reads 200]

A save is the whole user action: PNG encode, atomic write with fsync,
LPD/target records against the original label, and one SQLite transaction
(WAL, synchronous=FULL). The comparison in the same run is the PNG write
alone (encode + atomic write), the floor the store cannot go below.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.io.files import write_mask  # noqa: E402
from irstlabel.core.datasets.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.project.store import Project  # noqa: E402


def _ms(samples):
    return statistics.median(samples) * 1000, np.percentile(samples, 95) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_demo_dataset(Path(tmp) / "d", frames=4, size=(1024, 1280), seed=0, bit_depth=16, max_extent=60)
        project = Project.open(root)
        frame_id = project.frame_ids[0]
        base = project.load_mask(frame_id)
        rng = np.random.default_rng(0)
        saves, writes = [], []
        for k in range(args.saves):
            mask = base.copy()
            r, c = rng.integers(0, 1000, 2)
            mask[r : r + 8, c : c + 8] = True
            start = time.perf_counter()
            project.save_mask(frame_id, mask)
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            write_mask(Path(tmp) / "plain.png", mask)
            writes.append(time.perf_counter() - start)
        with project.predictions.writer("bench") as writer:
            for fid in project.frame_ids:
                prob = np.clip(rng.normal(0.02, 0.01, (1024, 1280)), 0, 1)
                prob[project.load_mask(fid)] = 0.9
                writer.write(fid, prob.astype(np.float32))
        reads = []
        for k in range(args.reads):
            start = time.perf_counter()
            project.predictions.read("bench", project.frame_ids[k % 4])
            reads.append(time.perf_counter() - start)
        size = project.predictions.path_of("bench").stat().st_size / 4 / 1024
        project.close()
    rows = [["save an edited mask (PNG + LPD + SQLite)", *_ms(saves)],
            ["atomic PNG write alone (same masks)", *_ms(writes)],
            [f"cache read of one frame ({size:.0f} KiB/frame on disk)", *_ms(reads)]]
    print_table(f"Store, 1280x1024 ({machine()})", ["operation", "median ms", "p95 ms"], rows)


if __name__ == "__main__":
    main()
