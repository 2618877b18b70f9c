"""``irstlabel curate``: unify sizes, de-duplicate, sample sequences, merge, split, compare statistics."""

from __future__ import annotations


from ._progress import progress_bar
from ..core.io.jsonio import to_json


def register(commands) -> None:
    curate = commands.add_parser("curate", help="build a dataset: unify sizes, de-duplicate, sample, merge, split")
    sub = curate.add_subparsers(dest="curate_command", metavar="STEP", required=True)

    unify = sub.add_parser("unify", help="write a copy with every frame at one size (fill or crop)")
    unify.add_argument("dataset")
    unify.add_argument("--out", required=True)
    unify.add_argument("--size", type=int, nargs=2, default=(1024, 1280), metavar=("H", "W"))
    unify.add_argument("--method", choices=("fill", "crop"), default="fill")
    unify.set_defaults(run=run_unify)

    dedup = sub.add_parser("dedup", help="frames to drop because an earlier kept frame is too similar (SSIM)")
    dedup.add_argument("dataset")
    dedup.add_argument("--threshold", type=float, default=None, help="fixed SSIM threshold (default: the paper's rule)")
    dedup.add_argument("--simple", type=float, default=0.9, help="threshold for simple backgrounds (0.9)")
    dedup.add_argument("--complex", type=float, default=0.85, help="threshold for complex backgrounds (0.85)")
    dedup.add_argument("--exact", action="store_true",
                       help="compare every pair at full resolution (no screening on 64-px copies; slow)")
    dedup.add_argument("--screen-margin", type=float, default=0.5,
                       help="compare at full resolution when the 64-px SSIM is within this of the threshold (0.5)")
    dedup.add_argument("--smooth", type=float, default=0.0, help="Gaussian sigma before the SSIM (0: the paper's)")
    dedup.add_argument("--keep-list", help="write the kept frame ids to this file")
    dedup.add_argument("--json", action="store_true")
    dedup.set_defaults(run=run_dedup)

    sample = sub.add_parser("sample", help="every Nth frame of a sequence, kept if SSIM with the last kept < max")
    sample.add_argument("dataset")
    sample.add_argument("--every", type=int, default=50)
    sample.add_argument("--max-ssim", type=float, default=0.85)
    sample.add_argument("--keep-list", help="write the kept frame ids to this file")
    sample.set_defaults(run=run_sample)

    merge = sub.add_parser("merge", help="merge datasets into one generic dataset with a provenance table")
    merge.add_argument("datasets", nargs="+", help="dataset folders (optionally NAME=FOLDER)")
    merge.add_argument("--out", required=True)
    merge.add_argument("--size", type=int, nargs=2, default=None, metavar=("H", "W"))
    merge.add_argument("--method", choices=("fill", "crop"), default="fill")
    merge.set_defaults(run=run_merge)

    split = sub.add_parser("split", help="seeded train/val/test split keeping sequences together")
    split.add_argument("dataset")
    split.add_argument("--out", required=True, help="folder for train.txt, val.txt, test.txt")
    split.add_argument("--ratios", type=float, nargs=3, default=(0.6, 0.2, 0.2))
    split.add_argument("--seed", type=int, default=0)
    split.set_defaults(run=run_split)

    stats = sub.add_parser("stats", help="Table V for several datasets side by side")
    stats.add_argument("datasets", nargs="+")
    stats.add_argument("--json", action="store_true")
    stats.add_argument("--plots", help="write SCR, size and share histograms (PNG) into this folder")
    stats.set_defaults(run=run_stats)



def _open(path):
    from ..core.datasets.dataset import Dataset

    return Dataset.open(path)


def _outside(output, *datasets, what):
    """`output` when it is None or outside every dataset; else the one-line refusal."""
    from ..core.io.paths import refuse_inside

    if output is not None:
        refuse_inside(output, *(d.root for d in datasets), what=what)
    return output


def run_unify(args) -> int:
    from ..core.curation.merge import merge_datasets

    dataset = _open(args.dataset)
    _outside(args.out, dataset, what="--out")
    with progress_bar(len(dataset), "unify") as bar:
        summary = merge_datasets([(dataset.root.name, dataset, dataset.frame_ids)], args.out, size=tuple(args.size),
                                 method=args.method, progress=lambda d, t: bar.update(1))
    print(to_json(summary))
    return 0


def _refuse_line_breaks(path, ids) -> None:
    from ..core.errors import IrstlabelError, display_path

    broken = next((frame_id for frame_id in ids if "\n" in frame_id or "\r" in frame_id), None)
    if broken is not None:
        raise IrstlabelError(path, f"frame id {display_path(broken)!r} contains a line break and cannot be listed "
                                   "one per line; rename that file (nothing was written)")


def _write_list(path, ids) -> None:
    """One frame id per line; an id with a line break cannot be written so (it would read back as two)."""
    if not path:
        return
    _refuse_line_breaks(path, ids)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("\n".join(ids) + "\n")


def run_dedup(args) -> int:
    from functools import partial

    from ..core.curation.dedup import dedup_summary, paper_threshold

    dataset = _open(args.dataset)
    _outside(args.keep_list, dataset, what="--keep-list")
    rule = args.threshold if args.threshold is not None else partial(paper_threshold, simple=args.simple,
                                                                     complex_=args.complex)
    with progress_bar(len(dataset), "dedup") as bar:
        summary = dedup_summary(dataset.frame_ids, dataset.read_frame, threshold=rule,
                                screen_margin=None if args.exact else args.screen_margin, smooth=args.smooth,
                                progress=lambda d, t: bar.update(1))
    _write_list(args.keep_list, summary["kept"])
    if args.json:
        print(to_json({**summary, "kept": len(summary["kept"]), "dropped": len(summary["duplicates"])}))
    else:
        print(f"{summary['frames']} frames: keep {len(summary['kept'])}, drop {len(summary['duplicates'])}; "
              f"mean pairwise SSIM {summary['mean_ssim_before']:.4f} -> {summary['mean_ssim_after']:.4f}")
        for frame_id, found in summary["duplicates"].items():
            print(f"  {frame_id} duplicates {found['of']} (SSIM {found['ssim']:.3f})")
    return 0


def run_sample(args) -> int:
    from ..core.curation.dedup import sample_sequence
    from ..core.errors import IrstlabelError

    if args.every < 1:
        raise IrstlabelError(None, f"--every must be at least 1, got {args.every}")
    dataset = _open(args.dataset)
    _outside(args.keep_list, dataset, what="--keep-list")
    kept = sample_sequence(dataset.frame_ids, dataset.read_frame, every=args.every, max_ssim=args.max_ssim)
    _write_list(args.keep_list, kept)
    print(to_json({"frames": len(dataset), "kept": kept}))
    return 0


def run_merge(args) -> int:
    from pathlib import Path

    from ..core.curation.merge import merge_datasets

    sources = []
    for item in args.datasets:
        name, _, folder = item.partition("=") if "=" in item else (Path(item).name, "", item)
        dataset = _open(folder)
        sources.append((name, dataset, dataset.frame_ids))
    _outside(args.out, *(s[1] for s in sources), what="--out")
    with progress_bar(sum(len(s[2]) for s in sources), "merge") as bar:
        summary = merge_datasets(sources, args.out, size=tuple(args.size) if args.size else None, method=args.method,
                                 progress=lambda d, t: bar.update(1))
    print(to_json(summary))
    return 0


def run_split(args) -> int:
    from pathlib import Path

    from ..core.errors import IrstlabelError
    from ..core.curation.merge import group_split

    dataset = _open(args.dataset)
    _outside(args.out, dataset, what="--out")
    try:
        parts = group_split(dataset.frame_ids, ratios=tuple(args.ratios), seed=args.seed)
    except ValueError as exc:
        raise IrstlabelError(None, f"--ratios: {exc}") from None
    out = Path(args.out)
    _refuse_line_breaks(out, dataset.frame_ids)
    out.mkdir(parents=True, exist_ok=True)
    for name, ids in zip(("train", "val", "test"), parts):
        _write_list(out / f"{name}.txt", ids)
    print(to_json({name: len(ids) for name, ids in zip(("train", "val", "test"), parts)}))
    return 0


def run_stats(args) -> int:
    from ..core.datasets.stats import dataset_statistics

    table = {}
    for folder in args.datasets:
        dataset = _open(folder)
        _outside(args.plots, dataset, what="--plots")
        table[str(folder)] = dataset_statistics(dataset, dataset.frame_ids, keep_records=bool(args.plots))
    if args.plots:
        from ..reports import statistics_plots

        statistics_plots(table, args.plots)
        for summary in table.values():
            summary.pop("records", None)
            summary.pop("frame_shares", None)
    if args.json:
        print(to_json(table))
        return 0
    names = list(table)
    print("".ljust(24) + "".join(f"{n[-22:]:>24}" for n in names))
    rows = [("frames / targets", lambda s: f"{s['frames']}/{s['targets']}"),
            ("target pixels (mean)", lambda s: f"{s['pixels']['min']}-{s['pixels']['max']} ({s['pixels']['mean']:.2f})"),
            ("size HxW (mean)", lambda s: "{}x{}-{}x{} ({:.2f}x{:.2f})".format(*s["size"]["min"], *s["size"]["max"],
                                                                             *s["size"]["mean"])),
            ("SCR (mean)", lambda s: f"{s['scr']['min']:.3g}-{s['scr']['max']:.4g} ({s['scr']['mean']:.2f})")]
    for label, cell in rows:
        print(f"{label:24}" + "".join(f"{cell(table[n]) if table[n]['targets'] else '-':>24}" for n in names))
    return 0
