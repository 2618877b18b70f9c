"""The simulated user: label K frames of a dataset the starter never saw, retrain with the defaults, score the rest.

    python bench/adaptation.py --nudt path/to/NUDT-SIRST --out RESULTS [--ks 5 10 20 40] [--minutes M]
                               [--synthetic 60] [--sets nudt synthetic] [--seed 0] [--set key=value ...]

For each dataset and each K:

1. a dataset folder with every frame of the pool and **no** label: NUDT-SIRST's
   test half (DNANet's 50_50 ``test.txt``; never its train half, never the
   ``Misc_*`` frames), or synthetic high-resolution frames from
   ``core.synthetic`` (640x512 to 1920x1080, cloud and ground clutter, a
   quarter of them target-free);
2. the user labels K frames chosen by the seed: a frame with targets gets its
   true mask as a project edit (what saving a drawn mask writes), a
   target-free one is marked done (what D does);
3. ``irstlabel retrain`` with its defaults (the dialog's on this machine), run
   in-process through the same pipeline: train within the time budget, predict
   every frame, evaluate, compare with the starter, adopt if not worse;
4. the frames nobody labelled are scored from the prediction cache the
   retrain wrote, against their true masks: F1-T, Pd, Pa, IoU, nIoU and false
   alarms per target-free frame; the same for the starter (K = 0).

Each (dataset, K) result is a JSON file in ``--out``; a rerun skips those that
exist, so the benchmark can be stopped and resumed. The table is printed from
all results, and ``adaptation.png`` plots F1-T against K.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.io.files import write_mask  # noqa: E402
from irstlabel.core.metrics.evaluation import Evaluator, MetricOptions  # noqa: E402
from irstlabel.core.datasets.synthetic import synthetic_frame  # noqa: E402

SIZES = ((512, 640), (720, 1280), (1024, 1280), (1080, 1920))


def nudt_pool(nudt: Path, work: Path) -> Path:
    """NUDT-SIRST's test half as a generic dataset (images + true masks kept aside in ``truth/``)."""
    root = work / "nudt-test"
    if (root / "truth").is_dir():
        return root
    ids = [line.strip() for line in (nudt / "50_50" / "test.txt").read_text().split() if line.strip()]
    ids = [i for i in ids if not i.startswith("Misc")]
    for sub in ("images", "truth"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for frame_id in ids:
        shutil.copyfile(nudt / "images" / f"{frame_id}.png", root / "images" / f"{frame_id}.png")
        shutil.copyfile(nudt / "masks" / f"{frame_id}.png", root / "truth" / f"{frame_id}.png")
    return root


def synthetic_pool(count: int, work: Path, seed: int) -> Path:
    """High-resolution synthetic frames with cloud and ground clutter; every fourth one target-free."""
    root = work / f"synthetic-{count}"
    if (root / "truth").is_dir():
        return root
    for sub in ("images", "truth"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for k in range(count):
        size = SIZES[k % len(SIZES)]
        frame = synthetic_frame(size, seed=int(rng.integers(2**31)), n_targets=0 if k % 4 == 3 else (1, 4),
                                scr=(2.5, 8.0), max_extent=int(rng.choice([6, 12, 24])), ground=None)
        cv2.imwrite(str(root / "images" / f"hr_{k:03d}.png"), frame.image)
        write_mask(root / "truth" / f"hr_{k:03d}.png", frame.mask)
    return root


def read_truth(pool: Path, frame_id: str) -> np.ndarray:
    return cv2.imread(str(pool / "truth" / f"{frame_id}.png"), cv2.IMREAD_GRAYSCALE) > 127


def labelled_dataset(pool: Path, k: int, seed: int, work: Path) -> tuple[Path, list[str]]:
    """A dataset folder of the pool's frames without labels, and the K frames the simulated user labels."""
    root = work / f"{pool.name}-k{k}-s{seed}"
    if root.exists():
        shutil.rmtree(root)
    (root / "images").mkdir(parents=True)
    ids = sorted(p.stem for p in (pool / "images").glob("*.png"))
    for frame_id in ids:
        os.symlink((pool / "images" / f"{frame_id}.png").resolve(), root / "images" / f"{frame_id}.png")
    chosen = [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))[:k]]
    return root, sorted(chosen)


def label_as_a_user(dataset: Path, pool: Path, chosen: list[str]) -> None:
    """Targets drawn (the true mask saved as the project's edit), target-free frames marked done."""
    from irstlabel.project.store import Project

    with Project.open(dataset, dataset.parent / f"{dataset.name}.irstlabel") as project:
        for frame_id in chosen:
            mask = read_truth(pool, frame_id)
            if mask.any():
                project.save_mask(frame_id, mask)
            project.set_frame_state(frame_id, "done")


def retrain(dataset: Path, overrides: dict) -> dict:
    """What `irstlabel retrain DATASET` does with its defaults (plus `overrides`), in this process."""
    from irstlabel.jobs.devices import cuda_likely
    from irstlabel.jobs.pipeline import run_retrain
    from irstlabel.jobs.plan import plan_training
    from irstlabel.jobs.retrain_settings import job_settings, model_to_fine_tune, retrain_defaults
    from irstlabel.jobs.runner import run_job
    from irstlabel.jobs.sources import ProjectPairs
    from irstlabel.project.store import Project

    values = {**retrain_defaults(cuda_likely()), **overrides}
    with Project.open(dataset, dataset.parent / f"{dataset.name}.irstlabel") as project:
        plan = plan_training(ProjectPairs(str(project.dataset.root), str(project.folder)))
        settings = job_settings(values, model_to_fine_tune(project), plan=plan.to_dict())
        times = {}

        def run(spec):
            started = time.perf_counter()
            result = run_job(spec, lambda event: None, lambda: False)
            times[spec.kind] = times.get(spec.kind, 0.0) + time.perf_counter() - started
            return result

        summary = run_retrain(project, settings, run)
    return {**summary, "times": times, "counts": plan.counts(), "values": values}


def score_rest(dataset: Path, pool: Path, set_name: str, rest: list[str]) -> dict:
    """The cached predictions of `set_name` on the frames nobody labelled, against their true masks."""
    from irstlabel.project.store import Project

    with Project.open(dataset, dataset.parent / f"{dataset.name}.irstlabel", readonly=True) as project:
        threshold = project.predictions.threshold(set_name)
        evaluator = Evaluator(MetricOptions(threshold=threshold, curve_bins=0), keep_frames=False)
        empty_frames, empty_alarms = 0, 0
        for frame_id in rest:
            truth = read_truth(pool, frame_id)
            levels = project.predictions.read_levels(set_name, frame_id, shape=truth.shape)
            evaluator.add(truth, levels)
            if not truth.any():
                empty_frames += 1
                count, _ = cv2.connectedComponents((levels >= round(255 * threshold)).astype(np.uint8), connectivity=8)
                empty_alarms += count - 1
    result = evaluator.result()
    return {"f1_t": result.target["f1"], "pd": result.target["pd"], "pa": result.target["pa"],
            "iou": result.pixel["iou"], "niou": result.pixel["niou"], "frames": len(rest),
            "fa_per_empty_frame": empty_alarms / empty_frames if empty_frames else None}


def starter_on_rest(dataset: Path, pool: Path, rest: list[str]) -> dict:
    """The starter's predictions of the same frames (the K = 0 row), through the same predict job."""
    from irstlabel.core.models.starter import STARTER_NAME
    from irstlabel.jobs.runner import run_job
    from irstlabel.jobs.spec import JobSpec

    project = dataset.parent / f"{dataset.name}.irstlabel"
    spec = JobSpec(kind="predict", dataset=str(dataset), project=str(project),
                   settings={"checkpoint": STARTER_NAME, "set": STARTER_NAME, "frames": rest, "resume": True})
    run_job(spec, lambda event: None, lambda: False)
    return score_rest(dataset, pool, STARTER_NAME, rest)


def one_run(name: str, pool: Path, k: int, seed: int, work: Path, overrides: dict) -> dict:
    dataset, chosen = labelled_dataset(pool, k, seed, work)
    label_as_a_user(dataset, pool, chosen)
    started = time.perf_counter()
    summary = retrain(dataset, overrides)
    wall = time.perf_counter() - started
    rest = sorted(set(p.stem for p in (dataset / "images").glob("*.png")) - set(chosen))
    after = score_rest(dataset, pool, summary["name"], rest)
    before = starter_on_rest(dataset, pool, rest)
    return {"dataset": name, "k": k, "seed": seed, "labelled": chosen,
            "target_free_labelled": sum(not read_truth(pool, f).any() for f in chosen),
            "after": after, "before": before, "adopted": summary.get("adopted"), "verdict": summary.get("verdict"),
            "minutes_total": wall / 60, "minutes_train": summary["times"].get("train", 0) / 60,
            "stopped_because": summary.get("stopped_because"), "counts": summary["counts"],
            "overrides": overrides, "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nudt", type=Path, help="the NUDT-SIRST folder (images/, masks/, 50_50/)")
    parser.add_argument("--out", type=Path, required=True, help="results folder (JSON per run, the plot)")
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--sets", nargs="+", default=["nudt", "synthetic"], choices=["nudt", "synthetic"])
    parser.add_argument("--synthetic", type=int, default=60, help="synthetic frames in the pool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=None, help="override the default time budget")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override other retrain defaults (e.g. loss=fsiou+bce lr=0.01)")
    parser.add_argument("--tag", default="", help="a name for this configuration in the result files")
    args = parser.parse_args()
    overrides = {}
    for item in args.overrides:
        key, value = item.split("=", 1)
        overrides[key] = type_like(value)
    if args.minutes is not None:
        overrides["minutes"] = args.minutes
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "work"
    pools = {}
    if "nudt" in args.sets:
        if args.nudt is None:
            parser.error("--nudt is needed for the nudt set")
        pools["nudt"] = nudt_pool(args.nudt, work)
    if "synthetic" in args.sets:
        pools["synthetic"] = synthetic_pool(args.synthetic, work, args.seed)
    for k in args.ks:
        for name, pool in pools.items():
            result_file = args.out / f"{name}-k{k}-s{args.seed}{'-' + args.tag if args.tag else ''}.json"
            if result_file.exists():
                continue
            print(f"{name}: K = {k} ...", flush=True)
            result = one_run(name, pool, k, args.seed, work, overrides)
            result_file.write_text(json.dumps(result, indent=2))
            shutil.rmtree(work / f"{pool.name}-k{k}-s{args.seed}", ignore_errors=True)
            shutil.rmtree(work / f"{pool.name}-k{k}-s{args.seed}.irstlabel", ignore_errors=True)
            print_results(args.out)
    print_results(args.out)


def type_like(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def print_results(out: Path) -> None:
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    rows = []
    for r in sorted(results, key=lambda r: (r["dataset"], r.get("overrides") and json.dumps(r["overrides"]) or "", r["k"])):
        b, a = r["before"], r["after"]
        tag = ",".join(f"{k}={v}" for k, v in (r.get("overrides") or {}).items()) or "defaults"
        rows.append([r["dataset"], tag, r["k"], a["frames"], f"{b['f1_t']:.3f} -> {a['f1_t']:.3f}",
                     f"{b['pd']:.3f} -> {a['pd']:.3f}", f"{b['pa']:.3f} -> {a['pa']:.3f}",
                     f"{b['iou']:.3f} -> {a['iou']:.3f}", f"{b['niou']:.3f} -> {a['niou']:.3f}",
                     _fa(b, a), f"{r['minutes_train']:.1f}", f"{r['minutes_total']:.1f}", r["adopted"]])
    print_table(f"Adaptation: K labelled frames, default retrain, scored on the rest ({machine()})",
                ["dataset", "settings", "K", "rest", "F1-T", "Pd", "Pa", "IoU", "nIoU", "FA/empty frame",
                 "train min", "total min", "adopted"], rows)
    _plot(results, out / "adaptation.png")


def _fa(before: dict, after: dict) -> str:
    if before.get("fa_per_empty_frame") is None:
        return "-"
    return f"{before['fa_per_empty_frame']:.2f} -> {after['fa_per_empty_frame']:.2f}"


def _plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.5), dpi=120)
    for name in sorted({r["dataset"] for r in results}):
        runs = sorted((r for r in results if r["dataset"] == name and not r.get("overrides")), key=lambda r: r["k"])
        if not runs:
            continue
        axis.plot([0] + [r["k"] for r in runs], [runs[0]["before"]["f1_t"]] + [r["after"]["f1_t"] for r in runs],
                  marker="o", label=name)
    axis.axhline(0.8, color="grey", linestyle="--", linewidth=1, label="goal 0.80")
    axis.set_xlabel("labelled frames K (0: the starter)")
    axis.set_ylabel("F1-T on the rest")
    axis.set_ylim(0, 1)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    main()
