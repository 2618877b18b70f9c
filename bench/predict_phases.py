"""Where the time of `irstlabel predict` goes, per backend: start, model load, new shapes, steady compute.

    python bench/predict_phases.py --sirst path/to/sirst-v1 [--hr 12] [--checkpoint PATH]

Each backend runs in its own process (as `irstlabel predict` does) and reports: importing the
prediction code (torch, and OpenVINO where used), loading the model (for OpenVINO: reading the cached
converted model and compiling it), predicting every frame once (each new frame shape costs a reshape
on OpenVINO and new kernels on torch), and predicting them all again (shapes seen: the steady
compute). The end-to-end ratio of `bench/predict_end_to_end.py` is these phases plus writing masks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

CHILD = r"""
import json, sys, time
started = time.perf_counter()
from irstlabel.model.predict import Predictor
from irstlabel.core.datasets.dataset import Dataset
imported = time.perf_counter()
checkpoint, backend, precision, root, split = sys.argv[1:6]
predictor = Predictor.from_checkpoint(None if checkpoint == "starter" else checkpoint, device="cpu", backend=backend,
                                      precision=precision)
loaded = time.perf_counter()
data = Dataset.open(root)
frames = [data.read_frame(f) for f in (data.split(split) if split != "all" else data.frame_ids)]
passes = []
for _ in range(2):
    t = time.perf_counter()
    for frame in frames:
        predictor.levels(frame)
    passes.append(time.perf_counter() - t)
print(json.dumps({"import": imported - started, "load": loaded - imported, "first": passes[0], "again": passes[1],
                  "frames": len(frames), "shapes": len({f.shape for f in frames}), "backend": predictor.backend,
                  "threads": predictor.threads}))
"""

RUNS = {"default": ("auto", "auto"), "torch bf16": ("torch", "auto"), "torch fp32": ("torch", "f32")}


def phases(checkpoint: str, backend: str, precision: str, root: Path, split: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, checkpoint, backend, precision, str(root), split],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sirst", default=None, help="SIRST v1 folder (its test split)")
    parser.add_argument("--hr", type=int, default=12, help="synthetic high-resolution frames (0: none)")
    parser.add_argument("--checkpoint", default="starter")
    args = parser.parse_args()
    from irstlabel.core.datasets.synthetic_sets import make_scene_set

    with tempfile.TemporaryDirectory() as tmp:
        sets = [("SIRST v1 test_v1", Path(args.sirst), "test")] if args.sirst else []
        if args.hr:
            sets.append((f"synthetic 512x640..1080x1920 ({args.hr})",
                         make_scene_set(Path(tmp) / "hr", frames=args.hr, seed=4242), "all"))
        rows = []
        for label, root, split in sets:
            for run, (backend, precision) in RUNS.items():
                p = phases(args.checkpoint, backend, precision, root, split)
                rows.append([label, run, f"{p['frames']} ({p['shapes']} shapes)", round(p["import"], 2),
                             round(p["load"], 2), round(p["first"], 2), round(p["again"], 2),
                             round(p["first"] - p["again"], 2), round(p["import"] + p["load"] + p["first"], 2)])
        print_table(f"Phases of prediction in seconds, {args.checkpoint}; {machine()}",
                    ["set", "run", "frames", "import", "load", "predict (new shapes)", "predict again",
                     "new-shape cost", "start + first pass"], rows)


if __name__ == "__main__":
    main()
