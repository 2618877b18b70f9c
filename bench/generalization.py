"""How starter models do on data they never trained on: the generalisation table.

    python bench/generalization.py --sirst path/to/sirst-v1 --nudt path/to/NUDT-SIRST \
        --model old=path/to/old.safetensors --model new=resources/models/ispanet-sirst-v1.safetensors

Per model and set: Pd, Pa, F1-T, IoU, nIoU (%), false alarms per target-free frame, frames/s (prediction
only), each model at its own recorded inference settings through the default prediction path
(`--backend` to choose). Sets: SIRST v1 test_v1, NUDT-SIRST's test half, synthetic high-resolution frames
with small targets (512x640 to 1080x1920; sky, ground, sea, bright clouds) and synthetic target-free frames
of the same sizes (`irstlabel.model.scorecard.check_sets`; written once into `--work`). `--json` keeps the
figures. Without `--model`, the installed starter is scored.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sirst", default=None, help="SIRST v1 folder (its test split)")
    parser.add_argument("--nudt", default=None, help="NUDT-SIRST folder (its 50_50 test half)")
    parser.add_argument("--model", action="append", default=[], help="NAME=CHECKPOINT (repeat); default: the starter")
    parser.add_argument("--work", default=None, help="where the synthetic check sets are kept (default: a temporary folder)")
    parser.add_argument("--frames", type=int, default=24, help="frames per synthetic set")
    parser.add_argument("--backend", default=None, choices=("auto", "torch", "openvino"))
    parser.add_argument("--json", default=None, help="write the figures here too")
    args = parser.parse_args()

    from irstlabel.model.scorecard import check_sets, score_models, table_rows

    models = dict(item.split("=", 1) for item in args.model) or {"starter": "starter"}
    with tempfile.TemporaryDirectory() as tmp:
        sets = check_sets(sirst=args.sirst, nudt=args.nudt, work=args.work or tmp, synthetic_frames=args.frames)
        table = score_models(models, sets, backend=args.backend, progress=lambda line: print(line, file=sys.stderr))
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2))
    settings = "; ".join(f"{name}: {table[name]['inference']} ({table[name]['backend']})" for name in table)
    print_table(f"Generalisation, d = 2 ({settings}); {machine()}",
                ["model", "set", "frames", "Pd %", "Pa %", "F1-T %", "IoU %", "nIoU %", "false alarms / target-free frame",
                 "frames/s"], table_rows(table))


if __name__ == "__main__":
    main()
