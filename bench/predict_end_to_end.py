"""`irstlabel predict` end to end, per backend, on sets of many frame sizes: what a user waits for.

    python bench/predict_end_to_end.py --sirst path/to/sirst-v1 [--hr 24] [--rounds 2]

Times the whole command (process start to the last mask file) with the defaults (`auto`: OpenVINO
where installed, bf16 on CPUs with native bf16), with `--backend torch` (eager, bf16 autocast there) and with
`--backend torch --precision f32` (eager fp32, the reference the speed-up goal is set against), in turn
(the order rotates each round), best of `--rounds`, on:

* SIRST v1 test_v1 (86 frames of many small sizes), when `--sirst` is given;
* `--hr` synthetic frames from `core.datasets.synthetic`, cycling through 640x512, 1280x720, 1280x1024
  and 1080x1918 (cloud and ground clutter, small targets), written once to a temporary folder.

The starter model predicts (no checkpoint), with the threads `irstlabel predict` picks by default.
Ratios are of the two backends in the same round order on the same machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

HR_SIZES = ((512, 640), (720, 1280), (1024, 1280), (1080, 1918))
RUNS = {"auto": ["--backend", "auto"], "torch": ["--backend", "torch"],
        "fp32": ["--backend", "torch", "--precision", "f32"]}


def make_hr_set(folder: Path, frames: int) -> Path:
    """Synthetic high-resolution frames of the four sizes, in the generic layout (images/, masks/)."""
    from irstlabel.core.datasets.synthetic import synthetic_frame
    from irstlabel.core.io.files import write_mask

    import cv2

    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    for k in range(frames):
        frame = synthetic_frame(HR_SIZES[k % len(HR_SIZES)], seed=100 + k, n_targets=(2, 6), max_extent=12)
        cv2.imwrite(str(folder / "images" / f"hr_{k:03d}.png"), frame.image)
        write_mask(folder / "masks" / f"hr_{k:03d}.png", frame.mask)
    return folder


def predict_seconds(dataset: Path, options: list[str], out: Path, split: str) -> float:
    """Wall seconds of one `irstlabel predict` process, start to exit."""
    command = [sys.executable, "-m", "irstlabel.cli", "predict", str(dataset), "--out", str(out), "--split", split,
               *options]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sirst", default=None, help="SIRST v1 folder (its test split is timed)")
    parser.add_argument("--hr", type=int, default=24, help="synthetic high-resolution frames (0: none)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        if args.sirst:
            sets.append(("SIRST v1 test_v1", Path(args.sirst), "test"))
        if args.hr:
            sets.append((f"synthetic 640x512..1918x1080 ({args.hr})", make_hr_set(Path(tmp) / "hr", args.hr), "all"))
        rows = []
        for number, (label, dataset, split) in enumerate(sets):
            best = {run: float("inf") for run in RUNS}
            names = list(RUNS)
            for round_ in range(args.rounds):
                for run in names[round_ % 3:] + names[:round_ % 3]:  # rotated: none always goes first
                    out = Path(tmp) / f"out-{number}-{run}-{round_}"
                    best[run] = min(best[run], predict_seconds(dataset, RUNS[run], out, split))
            frames = len(list((Path(tmp) / f"out-{number}-auto-0").glob("*.png")))
            rows.append([label, frames, round(best["auto"], 1), round(best["torch"], 1), round(best["fp32"], 1),
                         round(best["torch"] / best["auto"], 2), round(best["fp32"] / best["auto"], 2)])
        print_table(f"`irstlabel predict` end to end, best of {args.rounds}; {machine()}",
                    ["set", "frames", "default s", "torch (bf16) s", "torch fp32 s", "default vs torch",
                     "default vs eager fp32"], rows)


if __name__ == "__main__":
    main()
