"""Reproduce the shipped starter model (resources/models/): the CPU training recipe on SIRST v1.

    OMP_NUM_THREADS=1 python scripts/train_starter.py path/to/sirst-v1 --out runs/starter

Stages, each resumable from what the run folder already holds:
1. train   full ISPANet (c = 64) on train_v1, validated on val_v1 every epoch (CPU recipe below);
2. scale   the inference scale and threshold chosen on val_v1 (never test), sweep saved in the run;
3. export  fp16 safetensors into --ship (default: the run folder);
4. test    test_v1 scored once (d = 2) through the shipped file, as `irstlabel evaluate` runs it;
5. card    the model card beside the shipped file.

The recipe departs from the paper's GPU settings where a 2-core CPU needs it (docs/choices.md):
384x384 crops that hold a target, batch 4, 34 epochs, 1 warm-up epoch, bf16 autocast and
channels-last, one torch thread, best checkpoint by validation nIoU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

RECIPE = {"epochs": 34, "batch": 4, "size": (384, 384), "lr": 0.01, "min_lr": 1e-5, "warmup_epochs": 1,
          "loss": "fsiou", "seed": 0, "workers": 1, "device": "cpu", "best_metric": "pixel.niou",
          "sampling": "fill"}  # how the shipped starter was made (scale-consistent crops came after it)


def stage_train(dataset: str, run: Path) -> None:
    import torch

    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.datasets.pairs import DatasetPairs
    from irstlabel.model.config import ISPANetConfig
    from irstlabel.model.train import TrainConfig, train

    torch.set_num_threads(1)
    config = TrainConfig(**RECIPE)
    data = Dataset.open(dataset)
    train_ids, val_ids = data.split("train"), data.split("val")
    started = time.perf_counter()

    def on_event(event):
        if event["event"] == "epoch":
            m = event["metrics"]
            val = m.get("val", {})
            print(f"epoch {event['epoch']:3d}  loss {m['loss']:.4f}  {m['seconds']:.0f}s  "
                  f"IoU {val.get('pixel', {}).get('iou', float('nan')):.4f}  "
                  f"nIoU {val.get('pixel', {}).get('niou', float('nan')):.4f}  "
                  f"F1-T {val.get('target', {}).get('f1', float('nan')):.4f}  "
                  f"elapsed {time.perf_counter() - started:.0f}s", flush=True)

    summary = train(ISPANetConfig(), config, DatasetPairs(dataset), train_ids, val_ids, run, on_event=on_event,
                    resume=(run / "last.pt").exists())
    summary["wall_seconds"] = time.perf_counter() - started
    (run / "train_summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary), flush=True)


def stage_scale(dataset: str, run: Path) -> dict:
    import torch

    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.datasets.pairs import DatasetPairs
    from irstlabel.model.run_scales import choose_inference_scale
    from irstlabel.model.train import TrainConfig

    torch.set_num_threads(1)
    started = time.perf_counter()
    inference = choose_inference_scale(run / "best.pt", DatasetPairs(dataset), Dataset.open(dataset).split("val"),
                                       TrainConfig(**RECIPE), torch.device("cpu"))
    inference["sweep_seconds"] = round(time.perf_counter() - started, 1)
    (run / "inference.json").write_text(json.dumps(inference, indent=2))
    print("inference:", json.dumps(inference), flush=True)
    return inference


def stage_export(run: Path, ship: Path, command: str) -> Path:
    from irstlabel.model.checkpoint import load_checkpoint
    from irstlabel.model.safetensors_io import save_safetensors
    from irstlabel.core.models.starter import STARTER_FILE

    best = load_checkpoint(run / "best.pt")
    summary = json.loads((run / "train_summary.json").read_text()) if (run / "train_summary.json").exists() else {}
    sweep = json.loads((run / "inference.json").read_text())
    provenance = {"data": "SIRST v1 (Dai et al., WACV 2021), official split: trained on train_v1, chosen on val_v1",
                  "command": command, "seed": RECIPE["seed"], "epoch": best.get("epoch"),
                  "train_seconds": round(summary.get("wall_seconds", 0.0), 1),
                  "sweep_seconds": sweep.get("sweep_seconds")}
    ship.mkdir(parents=True, exist_ok=True)
    out = ship / STARTER_FILE
    save_safetensors(out, model_config=best["model_config"], state_dict=best["state_dict"],
                     inference={k: v for k, v in best["inference"].items()}, train=best.get("train"),
                     metrics=best.get("metrics"), provenance=provenance)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)", flush=True)
    return out


def _score(checkpoint: Path, dataset: str, backend: str) -> dict:
    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.metrics.evaluation import Evaluator, MetricOptions
    from irstlabel.model.predict import Predictor

    predictor = Predictor.from_checkpoint(checkpoint, device="cpu", backend=backend)
    data = Dataset.open(dataset)
    evaluator = Evaluator(MetricOptions(threshold=predictor.threshold, distance=2.0), keep_frames=False)
    started = time.perf_counter()
    for frame_id in data.split("test"):
        evaluator.add(data.read_mask(frame_id).mask, predictor.levels(data.read_frame(frame_id)), frame_id=frame_id)
    result = evaluator.result()
    return {"backend": predictor.backend, "settings": predictor.settings.describe(),
            "seconds": round(time.perf_counter() - started, 1),
            **{f"pixel.{k}": result.pixel[k] for k in ("iou", "niou", "precision", "recall")},
            **{f"target.{k}": result.target[k] for k in ("pd", "fa", "f1")}}


def stage_test(dataset: str, run: Path, ship: Path) -> dict:
    """test_v1, scored once per way of running the model: the shipped file (default path and eager) and best.pt."""
    from irstlabel.core.models.starter import STARTER_FILE

    scores = {"shipped_default": _score(ship / STARTER_FILE, dataset, "auto"),
              "shipped_torch": _score(ship / STARTER_FILE, dataset, "torch"),
              "best_pt_fp32_torch": _score(run / "best.pt", dataset, "torch")}
    (run / "test_scores.json").write_text(json.dumps(scores, indent=2))
    for name, score in scores.items():
        print(name, json.dumps(score), flush=True)
    return scores


CARD_FIGURES = ("pixel.iou", "pixel.niou", "pixel.precision", "pixel.recall", "target.pd", "target.fa", "target.f1")


def stage_card(run: Path, ship: Path) -> Path:
    """The model card beside the shipped file: data, split, command, seed, wall time, figures, licence."""
    from irstlabel.core.models.starter import STARTER_FILE
    from irstlabel.model.checkpoint import load_checkpoint

    shipped = load_checkpoint(ship / STARTER_FILE)
    scores = json.loads((run / "test_scores.json").read_text())
    default, eager, fp32 = scores["shipped_default"], scores["shipped_torch"], scores["best_pt_fp32_torch"]
    provenance, inference = shipped["provenance"], shipped["inference"]
    curve = (run / "metrics.csv").read_text().splitlines()
    figures = {"test_v1": {key: round(default[key], 6) for key in CARD_FIGURES}, "backend": default["backend"],
               "inference": {k: inference[k] for k in ("scale", "threshold")}}

    def pct(score, key):
        return f"{100 * score[key]:.2f}"

    rows = "\n".join(f"| {label} | {pct(default, key)} | {pct(eager, key)} | {pct(fp32, key)} |" for label, key in (
        ("IoU", "pixel.iou"), ("nIoU", "pixel.niou"), ("precision", "pixel.precision"), ("recall", "pixel.recall"),
        ("Pd", "target.pd"), ("Fa (share of predicted targets)", "target.fa"), ("F1-T", "target.f1")))
    minutes = (provenance["train_seconds"] + (provenance.get("sweep_seconds") or 0)) / 60
    card = CARD.format(
        epochs=RECIPE["epochs"], best_epoch=provenance["epoch"], seed=provenance["seed"],
        train_minutes=provenance["train_seconds"] / 60, sweep_seconds=provenance.get("sweep_seconds") or 0,
        minutes=minutes, scale=inference["scale"], threshold=inference["threshold"],
        val_iou=100 * inference["val"]["iou"], val_niou=100 * inference["val"]["niou"], val_f1=100 * inference["val"]["f1_t"], rows=rows,
        backend=default["backend"], figures=json.dumps(figures, indent=2), epochs_logged=len(curve) - 1,
        size_mib=(ship / STARTER_FILE).stat().st_size / 2**20)
    out = ship / Path(STARTER_FILE).with_suffix(".md").name
    out.write_text(card)
    print(f"wrote {out}", flush=True)
    return out


CARD = """# ISPANet starter model (SIRST v1)

`ispanet-sirst-v1.safetensors` ({size_mib:.1f} MiB): the full ISPANet of irstlabel (variant B,
c = 64, 13.68 M parameters), weights in fp16, settings in the safetensors header (loading runs
no pickle). irstlabel uses it wherever no checkpoint is given: `irstlabel predict DATASET`,
`irstlabel evaluate DATASET`, the GUI's first predictions, and Retrain's fine-tuning.

## Data and split
SIRST v1 (Dai et al., "Asymmetric Contextual Modulation for Infrared Small Target Detection",
WACV 2021), the 427 `Misc_*` frames as the SIRST-V2 repository publishes them, with its official
v1 split: trained on `train_v1` (256 frames), best epoch and inference settings chosen on
`val_v1` (85 frames), scored once on `test_v1` (86 frames). Never trained or chosen on test.

## How it was made
`OMP_NUM_THREADS=1 python scripts/train_starter.py path/to/sirst-v1 --out RUN --ship resources/models`
on a 2-core x86_64 CPU (AVX512-BF16), one torch thread, seed {seed}: {epochs} epochs at 384x384 crops
that hold a target, batch 4, Adagrad 0.01 with 1 warm-up epoch then cosine to 1e-5, F-SIoU
(alpha = 2, gamma = 2), bf16 autocast and channels-last; best epoch by validation nIoU: epoch
{best_epoch}. Training took {train_minutes:.1f} minutes; the inference sweep on val_v1
{sweep_seconds:.0f} s; {minutes:.1f} minutes in all. The learning curve ({epochs_logged} epochs) is in
docs/benchmarks.md.

## Inference settings (chosen on val_v1)
Frames are resized by **x{scale:g}** for the network and thresholded at **{threshold:g}**: the
pair with the best mean of validation IoU ({val_iou:.2f}), nIoU ({val_niou:.2f}) and F1-T
({val_f1:.2f}) over scales 1-3 and thresholds 0.3-0.8. `--scale`, `--size` and `--threshold` override them.

## Test figures (test_v1, d = 2, once)
| figure (%) | shipped fp16 file, default path ({backend}) | fp16 file, eager PyTorch | fp32 weights, eager PyTorch |
|---|---|---|---|
{rows}

`irstlabel predict path/to/sirst-v1 --split test --out preds` then
`irstlabel eval --gt path/to/sirst-v1 --pred preds --split test` reports the first column:

```json
{figures}
```

## Licence and use
The weights are irstlabel's (MIT, as the code). They were learnt from SIRST v1, which its
authors publish for research; check their terms before using the model commercially. The model
has seen 256 frames of one sensor family: expect to retrain (Ctrl+R fine-tunes it) on your data.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--stages", default="train,scale,export,test,card")
    parser.add_argument("--ship", default=None, help="where the safetensors file goes (default: the run folder)")
    args = parser.parse_args(argv)
    run = Path(args.out)
    ship = Path(args.ship) if args.ship else run
    stages = args.stages.split(",")
    if "train" in stages:
        stage_train(args.dataset, run)
    if "scale" in stages:
        stage_scale(args.dataset, run)
    if "export" in stages:
        stage_export(run, ship, "OMP_NUM_THREADS=1 python scripts/train_starter.py DATASET --out RUN")
    if "test" in stages:
        stage_test(args.dataset, run, ship)
    if "card" in stages:
        stage_card(run, ship)
    return 0


if __name__ == "__main__":
    sys.exit(main())
