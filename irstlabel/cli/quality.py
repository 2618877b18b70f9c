"""Evaluation and dataset-quality commands: ``eval``, ``stats`` and ``lpd``.

None of them imports Qt or torch.
"""

from __future__ import annotations

import argparse
import math

from ._progress import progress_bar
from ..core.io.jsonio import to_json


def register(commands) -> None:
    ev = commands.add_parser("eval", help="score predictions against labels (pixel, target and legacy metrics)")
    ev.add_argument("--gt", required=True, help="labels: a dataset folder (any layout) or a folder of masks")
    ev.add_argument("--pred", required=True, help="folder of binary masks or probability maps (PNG, TIFF, .npy)")
    ev.add_argument("--split", default="all", help="split of the dataset to score (default: all frames)")
    ev.add_argument("--threshold", type=float, default=0.5, help="probability > threshold is target (0.5)")
    ev.add_argument("--distance", type=float, default=2.0, help="centroid distance d for a detection (2)")
    ev.add_argument("--strict", action="store_true", help="a detection needs distance < d (default: <= d)")
    ev.add_argument("--matching", choices=("hungarian", "greedy"), default="hungarian")
    ev.add_argument("--niou", choices=("target", "image"), default="target", help="reading of nIoU reported as niou")
    ev.add_argument("--json", action="store_true", help="print exactly one JSON object")
    ev.add_argument("--curves", action="store_true", help="with --json: add ROC, PR, Pd(d) and Pa(d) curves")
    ev.set_defaults(run=run_eval)

    st = commands.add_parser("stats", help="dataset statistics as in the paper's Table V")
    st.add_argument("dataset", help="dataset folder")
    st.add_argument("--split", default="all")
    st.add_argument("--scr-margin", type=int, default=20, help="background window around a target for SCR (20 px)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(run=run_stats)

    lp = commands.add_parser("lpd", help="compare two label sets by LPD, target by target (Table IV)")
    lp.add_argument("--images", required=True, help="dataset folder or folder of frames")
    lp.add_argument("--old", required=True, help="folder (or dataset) of the old masks")
    lp.add_argument("--new", required=True, help="folder (or dataset) of the new masks")
    lp.add_argument("--margin", type=int, default=1, help="pixels around the rectangle wrapping both labels (1)")
    lp.add_argument("--json", action="store_true")
    lp.set_defaults(run=run_lpd)



def _options(args):
    from ..core.errors import IrstlabelError
    from ..core.metrics.evaluation import MetricOptions

    if not 0.0 <= args.threshold < 1.0:
        raise IrstlabelError(None, f"--threshold must be in [0, 1), got {args.threshold}")
    if not (math.isfinite(args.distance) and args.distance >= 0):
        raise IrstlabelError(None, f"--distance must be a finite number >= 0, got {args.distance}")
    return MetricOptions(
        threshold=args.threshold,
        distance=args.distance,
        inclusive=not args.strict,
        matching=args.matching,
        niou=args.niou,
    )


def run_eval(args: argparse.Namespace) -> int:
    from ..core.errors import IrstlabelError, display_path
    from ..core.metrics.evaluation import Evaluator
    from ..core.datasets.predictions import index_folder, open_labels, read_prediction, require_ids

    options = _options(args)
    labels = open_labels(args.gt)
    frame_ids = labels.split(args.split)
    if not frame_ids:
        raise IrstlabelError(args.gt, f"split '{args.split}' has no frames")
    pred_files = require_ids(index_folder(args.pred), frame_ids, args.pred, "prediction")
    evaluator = Evaluator(options, keep_frames=False)
    with progress_bar(len(frame_ids), "eval") as bar:
        for frame_id, pred_path in zip(frame_ids, pred_files):
            mask_true = labels.read_mask(frame_id).mask
            pred = read_prediction(pred_path)
            if pred.shape != mask_true.shape:
                raise IrstlabelError(
                    pred_path,
                    f"prediction is {pred.shape[1]}x{pred.shape[0]} but the label of "
                    f"'{display_path(frame_id)}' is {mask_true.shape[1]}x{mask_true.shape[0]}",
                )
            evaluator.add(mask_true, pred, frame_id=frame_id)
            bar.update(1)
    result = evaluator.result()
    if args.json:
        print(to_json(result.as_dict(curves=args.curves)))
    else:
        print(format_table(result))
    return 0


def format_table(result) -> str:
    """The metrics as a text table in the column order of the paper's Table VII (percent)."""
    p, t, legacy = result.pixel, result.target, result.legacy
    columns = [
        ("Pd", t["pd"]), ("Md", t["md"]), ("Pa", t["pa"]), ("Fa", t["fa"]), ("F1-T", t["f1"]),
        ("nIoU", p["niou"]), ("IoU", p["iou"]), ("R", p["recall"]), ("P", p["precision"]), ("F1-P", p["f1"]),
    ]
    head = "  ".join(f"{name:>6}" for name, _ in columns)
    values = "  ".join(f"{100 * v:6.2f}" for _, v in columns)
    lines = [
        f"{result.frames} frames, {t['targets']} targets, {t['predicted']} predicted targets "
        f"(d = {t['distance']:g}): {t['true_detections']} detected, {t['missed']} missed, "
        f"{t['false_alarms']} false alarms",
        head,
        values,
        f"legacy (BasicIRSTD): Pd {100 * legacy['pd']:.2f}  Fa {legacy['fa_pixel'] * 1e6:.2f} x 1e-6  "
        f"IoU {100 * legacy['iou']:.2f}",
    ]
    return "\n".join(lines)


def run_stats(args: argparse.Namespace) -> int:
    from ..core.datasets.dataset import Dataset
    from ..core.datasets.stats import dataset_statistics

    dataset = Dataset.open(args.dataset)
    frame_ids = dataset.split(args.split)
    with progress_bar(len(frame_ids), "stats") as bar:
        summary = dataset_statistics(
            dataset, frame_ids, scr_margin=args.scr_margin, progress=lambda done, total: bar.update(1)
        )
    if args.json:
        print(to_json(summary))
        return 0
    print(f"{summary['frames']} frames, {summary['targets']} targets")
    if summary["targets"]:
        px, size, scr = summary["pixels"], summary["size"], summary["scr"]
        print(f"target pixels   {px['min']}-{px['max']} (mean {px['mean']:.2f})")
        print(f"target size HxW {size['min'][0]}x{size['min'][1]}-{size['max'][0]}x{size['max'][1]} "
              f"(mean {size['mean'][0]:.2f}x{size['mean'][1]:.2f})")
        if scr["mean"] is not None:
            print(f"target SCR      {scr['min']:.3g}-{scr['max']:.4g} (mean {scr['mean']:.2f})")
        print("frames by target share of the frame:")
        for b in summary["frame_share_bins"]:
            print(f"  {b['from']:g}% to {b['to']:g}%: {b['count']} ({100 * b['share']:.1f}%)")
    return 0


def run_lpd(args: argparse.Namespace) -> int:
    from ..core.errors import IrstlabelError
    from ..core.labels.label_compare import compare_labels, summarize_changes
    from ..core.datasets.predictions import FrameFolder, open_labels, require_ids

    images = FrameFolder(args.images)
    old, new = open_labels(args.old), open_labels(args.new)
    frame_ids = list(images.frame_ids)
    for labels, folder, what in ((old, args.old, "old mask"), (new, args.new, "new mask")):
        have = set(labels.frame_ids)
        missing = [i for i in frame_ids if i not in have]
        if missing:
            require_ids({}, missing, folder, what)
    changes = []
    with progress_bar(len(frame_ids), "lpd") as bar:
        for frame_id in frame_ids:
            image = images.read_frame(frame_id)
            mask_old = old.read_mask(frame_id).mask
            mask_new = new.read_mask(frame_id).mask
            if not (image.shape == mask_old.shape == mask_new.shape):
                raise IrstlabelError(args.images, f"frame '{frame_id}' and its masks differ in size")
            changes += compare_labels(image, mask_old, mask_new, margin=args.margin, frame_id=frame_id)
            bar.update(1)
    summary = summarize_changes(changes)
    if args.json:
        summary["decreased_targets"] = [c.as_dict() for c in changes if c.change == "decreased"]
        print(to_json(summary))
        return 0
    print(f"{summary['targets']} targets compared ({summary['added']} added, {summary['removed']} removed)")
    print(f"{'LPD':8} {'Increase':>9} {'Constant':>9} {'Decrease':>9}")
    for row in ("old", "new"):
        r = summary["table"][row]
        print(f"{row:8} {r['increase']:9d} {r['constant']:9d} {r['decrease']:9d}")
    return 0
