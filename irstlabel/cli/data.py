"""Dataset commands: ``demo-data`` and ``info``."""

from __future__ import annotations

import argparse
from ..core.io.jsonio import to_json


def register(commands) -> None:
    demo = commands.add_parser("demo-data", help="write a synthetic infrared dataset (generic layout)")
    demo.add_argument("out", help="output folder")
    demo.add_argument("--frames", type=int, default=24, help="number of frames (default 24)")
    demo.add_argument("--size", type=int, nargs=2, default=(256, 320), metavar=("H", "W"))
    demo.add_argument("--bit-depth", type=int, choices=(8, 16), default=8)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=run_demo_data)

    info = commands.add_parser("info", help="detect a dataset's layout and count its frames and splits")
    info.add_argument("dataset", help="dataset folder")
    info.add_argument("--layout", default="auto", help="layout name, or auto (default)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(run=run_info)


def run_demo_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..core.errors import IrstlabelError
    from ..core.datasets.synthetic import make_demo_dataset

    if args.frames < 1:
        raise IrstlabelError(None, f"--frames must be at least 1, got {args.frames}")
    if min(args.size) < 8:
        raise IrstlabelError(None, f"--size must be at least 8 8, got {args.size[0]} {args.size[1]}")
    with tqdm(total=args.frames, desc="demo-data", unit="frame", disable=args.frames < 50) as bar:
        root = make_demo_dataset(
            args.out,
            frames=args.frames,
            size=tuple(args.size),
            seed=args.seed,
            bit_depth=args.bit_depth,
            progress=lambda done, total: bar.update(1),
        )
    print(root)
    return 0


def run_info(args: argparse.Namespace) -> int:
    from ..core.datasets.dataset import Dataset
    from ..core.errors import display_path

    dataset = Dataset.open(args.dataset, layout=args.layout)
    summary = {
        "root": display_path(dataset.root),
        "layout": dataset.layout,
        "frames": len(dataset),
        "with_mask": sum(dataset.record(i).mask_path is not None for i in dataset.frame_ids),
        "splits": {name: len(ids) for name, ids in sorted(dataset.splits.items())},
    }
    if args.json:
        print(to_json(summary))
    else:
        print(f"{summary['root']}: layout {summary['layout']}, {summary['frames']} frames "
              f"({summary['with_mask']} with masks)")
        for name, n in summary["splits"].items():
            print(f"  split {name}: {n} frames")
    return 0
