"""Evaluating all metrics: irstlabel against BasicIRSTD's metrics.py, pyirstdmetrics and a skimage loop.

    python bench/metrics_speed.py [--basicirstd PATH/TO/BasicIRSTD/metrics.py] [--synthetic 200]

Four sets, every implementation timed on each in the same run:

* the 427 real SIRST v1 frames (../shared/data/sirst-v1), predictions made by
  shifting each label one pixel and adding a false blob (gentle);
* the same frames with cluttered predictions: L-shapes and rings of a few
  hundred pixels with small blobs and single pixels inside their boxes, and
  scattered false pixels (what a briefly trained model draws);
* N synthetic 1280x1024 frames, gentle and cluttered (``--unique`` distinct
  frames cycled to N, since generating is slower than evaluating).

Predictions are probability maps held as the 8-bit levels irstlabel stores
(its prediction cache, `irstlabel evaluate`); irstlabel evaluates the levels,
the others the same map as float32 probabilities (levels / 255, prepared
before timing).

Implementations: irstlabel's Evaluator (everything `irstlabel evaluate`
computes: pixel, both nIoU readings, target level, legacy, Pd(d)/Pa(d), ROC/PR
histograms; and without ROC/PR); BasicIRSTD's ``mIoU`` + ``PD_FA`` exactly as
its evaluate.py calls them, loaded from the file given with ``--basicirstd``
(not part of this repository; skipped when absent); pyirstdmetrics 1.0.2's
``ProbabilityDetectionAndFalseAlarmRate`` + ``CMMetrics`` IoU (skipped when
not installed); a plain skimage ``label`` + ``regionprops`` loop. Every run
checks that all of them agree on IoU, legacy Pd and legacy pixel Fa.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from skimage.measure import label, regionprops

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.datasets.dataset import Dataset  # noqa: E402
from irstlabel.core.metrics.evaluation import Evaluator  # noqa: E402
from irstlabel.core.datasets.synthetic import synthetic_frame  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"


def skimage_loop(pairs) -> dict:
    """Per-frame skimage labelling and BasicIRSTD's first-found matching in Python loops."""
    tp = fp = fn = targets = legacy_hits = false_pixels = pixels = 0
    for mask_true, pred, _ in pairs:
        mask_pred = pred > 0.5
        tp += np.sum(mask_true & mask_pred)
        fp += np.sum(~mask_true & mask_pred)
        fn += np.sum(mask_true & ~mask_pred)
        pixels += mask_true.size
        true_props = regionprops(label(mask_true, connectivity=2))
        pred_props = regionprops(label(mask_pred, connectivity=2))
        targets += len(true_props)
        taken = [False] * len(pred_props)
        for t in true_props:
            for j, p in enumerate(pred_props):
                if not taken[j] and np.linalg.norm(np.subtract(t.centroid, p.centroid)) < 3:
                    taken[j] = True
                    legacy_hits += 1
                    break
        false_pixels += sum(p.area for j, p in enumerate(pred_props) if not taken[j])
    return {"iou": tp / (tp + fp + fn), "legacy_pd": legacy_hits / targets, "legacy_fa": false_pixels / pixels}


def irstlabel_all(pairs, **options) -> dict:
    evaluator = Evaluator(keep_frames=False, **options)
    for mask_true, _, levels in pairs:
        evaluator.add(mask_true, levels)
    r = evaluator.result()
    return {"iou": r.pixel["iou"], "legacy_pd": r.legacy["pd"], "legacy_fa": r.legacy["fa_pixel"]}


def irstlabel_lean(pairs) -> dict:
    return irstlabel_all(pairs, curve_bins=0)


def load_basicirstd(path: Path):
    spec = importlib.util.spec_from_file_location("basicirstd_metrics", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def basicirstd(module):
    """BasicIRSTD's evaluate.py: mIoU on (1,1,H,W) tensors, PD_FA on the (H,W) map, per frame."""
    import torch

    def run(pairs) -> dict:
        miou, pd_fa = module.mIoU(), module.PD_FA()
        for mask_true, pred, _ in pairs:
            pre = torch.from_numpy(np.ascontiguousarray(pred, np.float32))[None, None]
            gt = torch.from_numpy(mask_true.astype(np.float32))[None, None]
            miou.update(pre > 0.5, gt)
            pd_fa.update(pre[0, 0] > 0.5, gt[0, 0], mask_true.shape)
        # PD_FA.get() calls .cpu() on a numpy float; read its sums instead
        return {"iou": float(miou.get()[1]), "legacy_pd": pd_fa.PD / pd_fa.target,
                "legacy_fa": float(pd_fa.dismatch_pixel) / pd_fa.all_pixel}

    return run


def pyirstdmetrics(module):
    def run(pairs) -> dict:
        pd_fa = module.ProbabilityDetectionAndFalseAlarmRate(num_bins=1, distance_threshold=3)
        iou = module.CMMetrics(num_bins=1, threshold=0.5, metric_handlers={
            "iou": module.IoUHandler(with_dynamic=False, with_binary=True, sample_based=False)})
        for mask_true, pred, _ in pairs:
            pd_fa.update(pred, mask_true)
            iou.update(pred, mask_true)
        got = pd_fa.get()
        return {"iou": float(iou.get()["iou"]["binary"]), "legacy_pd": float(got["probability_detection"][0]),
                "legacy_fa": float(got["false_alarm"][0])}

    return run


def clutter(mask: np.ndarray, rng: np.random.Generator, shapes: int) -> np.ndarray:
    """The label moved a pixel, plus L-shapes and rings with blobs and pixels inside their boxes."""
    h, w = mask.shape
    pred = np.roll(mask, 1, axis=1)
    for _ in range(shapes):
        hh, ww = int(rng.integers(min(40, h // 2), max(h // 3, 41))), int(rng.integers(min(40, w // 2), max(w // 3, 41)))
        r, c = int(rng.integers(0, max(h - hh, 1))), int(rng.integers(0, max(w - ww, 1)))
        pred[r, c : c + ww] = pred[r : r + hh, c] = True
        if rng.random() < 0.5:
            pred[min(r + hh, h) - 1, c : c + ww] = pred[r : r + hh, min(c + ww, w) - 1] = True
        for _ in range(int(rng.integers(1, 5))):
            pr, pc = r + int(rng.integers(2, max(hh - 2, 3))), c + int(rng.integers(2, max(ww - 2, 3)))
            pred[pr : pr + int(rng.integers(1, 4)), pc : pc + int(rng.integers(1, 4))] = True
    pred |= rng.random(mask.shape) > 0.9995
    return pred


def as_maps(mask_true: np.ndarray, hit: np.ndarray, rng: np.random.Generator):
    """(label, float32 probabilities, 8-bit levels) with `hit` above 0.5 and the rest below."""
    levels = np.where(hit, rng.integers(140, 256, hit.shape), rng.integers(0, 80, hit.shape)).astype(np.uint8)
    return mask_true, levels.astype(np.float32) / 255, levels


def real_pairs(cluttered: bool):
    dataset = Dataset.open(REAL)
    rng = np.random.default_rng(1)
    pairs = []
    for frame_id in dataset.frame_ids:
        mask = dataset.read_mask(frame_id).mask
        if cluttered:
            pred = clutter(mask, rng, shapes=2)
        else:
            pred = np.roll(mask, 1, axis=1)
            pred[5:7, 5:7] = True
        pairs.append(as_maps(mask, pred, rng))
    return pairs


def synthetic_pairs(n: int, unique: int, cluttered: bool):
    rng = np.random.default_rng(0)
    base = []
    for k in range(unique):
        f = synthetic_frame((1024, 1280), seed=k, n_targets=(1, 6), max_extent=112)
        if cluttered:
            hit = clutter(f.mask, rng, shapes=6)
        else:
            hit = np.roll(f.mask, 1, axis=0)
            r, c = rng.integers(0, 1000), rng.integers(0, 1250)
            hit[r : r + 4, c : c + 4] = True
        base.append(as_maps(f.mask, hit, rng))
    return [base[k % unique] for k in range(n)]


def _time(fn, pairs):
    start = time.perf_counter()
    out = fn(pairs)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--basicirstd", type=Path, help="BasicIRSTD's metrics.py (a checkout of XinyiYing/BasicIRSTD)")
    parser.add_argument("--synthetic", type=int, default=200)
    parser.add_argument("--unique", type=int, default=20)
    args = parser.parse_args()
    implementations = {"irstlabel (all)": irstlabel_all, "irstlabel (no ROC/PR)": irstlabel_lean}
    if args.basicirstd:
        implementations["BasicIRSTD metrics.py"] = basicirstd(load_basicirstd(args.basicirstd))
    try:
        import py_irstd_metrics

        implementations["pyirstdmetrics"] = pyirstdmetrics(py_irstd_metrics)
    except ImportError:
        print("pyirstdmetrics not installed: left out")
    implementations["skimage loop"] = skimage_loop
    reference = "BasicIRSTD metrics.py" if args.basicirstd else "skimage loop"
    sets = []
    if REAL.is_dir():
        sets += [("SIRST v1 real, gentle (427)", real_pairs(False)), ("SIRST v1 real, cluttered (427)", real_pairs(True))]
    for cluttered in (False, True):
        name = f"synthetic 1280x1024, {'cluttered' if cluttered else 'gentle'} ({args.synthetic})"
        sets.append((name, synthetic_pairs(args.synthetic, args.unique, cluttered)))
    rows = []
    for name, pairs in sets:
        timings, outputs = {}, {}
        for impl, fn in implementations.items():
            timings[impl], outputs[impl] = _time(fn, pairs)
        first = outputs["irstlabel (all)"]
        for impl, out in outputs.items():
            for key in first:
                assert abs(out[key] - first[key]) <= 1e-12 * max(1.0, abs(first[key])), (name, impl, key, out, first)
        ms = {impl: 1000 * t / len(pairs) for impl, t in timings.items()}
        rows.append([name] + [ms[i] for i in implementations]
                    + [ms[reference] / ms["irstlabel (all)"], ms[reference] / ms["irstlabel (no ROC/PR)"]])
    print_table(
        f"Evaluating all metrics, ms per frame; all implementations agree on IoU, legacy Pd and Fa ({machine()})",
        ["set"] + list(implementations) + [f"{reference} / irstlabel (all)", f"{reference} / irstlabel (no ROC/PR)"],
        rows,
    )


if __name__ == "__main__":
    main()
