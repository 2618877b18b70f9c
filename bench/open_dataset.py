"""Opening (indexing) datasets: 10,000-frame folders in several layouts, and the real SIRST v1.

    python bench/open_dataset.py [--frames 10000]

Opening lists folders and reads split files only; nothing is decoded. The
figures are medians of several opens of a warm (page-cached) folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.datasets.dataset import Dataset  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"


def _write_layout(root: Path, layout: str, n: int) -> Path:
    png = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
    images, masks, suffix = {
        "generic": ("images", "masks", ""),
        "sirst-v2": ("images/targets", "annotations/masks", "_pixels0"),
        "irstd-1k": ("IRSTD1k_Img", "IRSTD1k_Label", ""),
    }[layout]
    (root / images).mkdir(parents=True)
    (root / masks).mkdir(parents=True)
    ids = [f"XDU{k}" for k in range(n)]
    for frame_id in ids:
        (root / images / f"{frame_id}.png").write_bytes(png)
        (root / masks / f"{frame_id}{suffix}.png").write_bytes(png)
    if layout == "sirst-v2":
        (root / "splits").mkdir()
        (root / "splits/train_v1.txt").write_text("\n".join(ids[: n * 8 // 10]))
        (root / "splits/test_v1.txt").write_text("\n".join(ids[n * 8 // 10 :]))
    if layout == "irstd-1k":
        (root / "trainval.txt").write_text("\n".join(ids[: n * 8 // 10]))
        (root / "test.txt").write_text("\n".join(ids[n * 8 // 10 :]))
    return root


def _median_open(root: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Dataset.open(root)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for layout in ("generic", "sirst-v2", "irstd-1k"):
            root = _write_layout(Path(tmp) / layout, layout, args.frames)
            seconds = _median_open(root, args.repeats)
            rows.append([layout, args.frames, seconds * 1000, args.frames / seconds])
    if REAL.is_dir():
        seconds = _median_open(REAL, args.repeats)
        rows.append(["sirst-v1 (real)", 427, seconds * 1000, 427 / seconds])
        dataset = Dataset.open(REAL)
        start = time.perf_counter()
        for frame_id in dataset.frame_ids:
            dataset.read_mask(frame_id)
        per_frame = (time.perf_counter() - start) / len(dataset)
        print(f"decode frame + mask (real, first read): {per_frame * 1000:.2f} ms per frame")
    print_table(f"Opening datasets ({machine()})", ["layout", "frames", "open ms (median)", "frames/s"], rows)


if __name__ == "__main__":
    main()
