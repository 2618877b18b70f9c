"""Evaluating all metrics: irstlabel's evaluator against a straightforward skimage loop.

    python bench/metrics_speed.py [--synthetic 500] [--unique 25]

Two sets, each measured in the same run for both implementations:

* the 427 real SIRST v1 frames (../shared/data/sirst-v1), predictions made by
  shifting each label one pixel and adding a false blob;
* N synthetic 1280x1024 frames (``--unique`` distinct frames cycled to N, since
  generating is slower than evaluating), float32 probability maps.

The baseline is what research code usually does per frame: threshold, pixel
counts with numpy, ``skimage.measure.label`` + ``regionprops`` on label and
prediction, centroid matching in Python loops. irstlabel's figure includes
everything `irstlabel eval` computes (pixel, nIoU both ways, target level,
legacy, Pd(d)/Pa(d) and the ROC/PR histograms).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from skimage.measure import label, regionprops

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.datasets import Dataset  # noqa: E402
from irstlabel.core.metrics import Evaluator  # noqa: E402
from irstlabel.core.synthetic import synthetic_frame  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"


def baseline(pairs) -> dict:
    """Straightforward per-frame skimage loop (pixel, target, legacy counts)."""
    tp = fp = fn = targets = predicted = hits = legacy_hits = false_pixels = 0
    for mask_true, pred in pairs:
        mask_pred = pred > 0.5
        tp += np.sum(mask_true & mask_pred)
        fp += np.sum(~mask_true & mask_pred)
        fn += np.sum(mask_true & ~mask_pred)
        true_props = regionprops(label(mask_true, connectivity=2))
        pred_props = regionprops(label(mask_pred, connectivity=2))
        targets += len(true_props)
        predicted += len(pred_props)
        taken = [False] * len(pred_props)
        for t in true_props:
            for j, p in enumerate(pred_props):
                if not taken[j] and np.linalg.norm(np.subtract(t.centroid, p.centroid)) <= 2:
                    taken[j] = True
                    hits += 1
                    break
        taken = [False] * len(pred_props)
        for t in true_props:
            for j, p in enumerate(pred_props):
                if not taken[j] and np.linalg.norm(np.subtract(t.centroid, p.centroid)) < 3:
                    taken[j] = True
                    legacy_hits += 1
                    break
        false_pixels += sum(p.area for j, p in enumerate(pred_props) if not taken[j])
    return {"iou": tp / (tp + fp + fn), "pd": hits / targets, "legacy_pd": legacy_hits / targets}


def ours(pairs, **options) -> dict:
    evaluator = Evaluator(keep_frames=False, **options)
    for mask_true, pred in pairs:
        evaluator.add(mask_true, pred)
    r = evaluator.result()
    return {"iou": r.pixel["iou"], "pd": r.target["pd"], "legacy_pd": r.legacy["pd"]}


def _time(fn, pairs, **kw):
    start = time.perf_counter()
    out = fn(pairs, **kw)
    return time.perf_counter() - start, out


def real_pairs():
    dataset = Dataset.open(REAL)
    pairs = []
    for frame_id in dataset.frame_ids:
        mask = dataset.read_mask(frame_id).mask
        pred = np.roll(mask, 1, axis=1)
        pred[5:7, 5:7] = True
        pairs.append((mask, pred))
    return pairs


def synthetic_pairs(n, unique):
    rng = np.random.default_rng(0)
    base = []
    for k in range(unique):
        f = synthetic_frame((1024, 1280), seed=k, n_targets=(1, 6), max_extent=112)
        prob = np.where(np.roll(f.mask, 1, axis=0), 0.9, 0.02).astype(np.float32)
        r, c = rng.integers(0, 1000), rng.integers(0, 1250)
        prob[r : r + 4, c : c + 4] = 0.7
        base.append((f.mask, prob))
    return [base[k % unique] for k in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=500)
    parser.add_argument("--unique", type=int, default=25)
    args = parser.parse_args()
    sets = []
    if REAL.is_dir():
        sets.append(("SIRST v1 real (427)", real_pairs()))
    sets.append((f"synthetic 1280x1024 ({args.synthetic})", synthetic_pairs(args.synthetic, args.unique)))
    rows = []
    for name, pairs in sets:
        t_base, out_base = _time(baseline, pairs)
        t_ours, out_ours = _time(ours, pairs)
        t_lean, _ = _time(ours, pairs, curve_bins=0)
        assert abs(out_base["iou"] - out_ours["iou"]) < 1e-12, (out_base, out_ours)
        assert out_base["legacy_pd"] == out_ours["legacy_pd"], (out_base, out_ours)
        n = len(pairs)
        rows.append([name, n / t_base, n / t_ours, n / t_lean, t_base / t_ours, t_base / t_lean])
    print_table(
        f"Evaluating all metrics, frames/s ({machine()})",
        ["set", "skimage loop", "irstlabel (all)", "irstlabel (no ROC/PR)", "speed-up (all)", "speed-up (no ROC/PR)"],
        rows,
    )


if __name__ == "__main__":
    main()
