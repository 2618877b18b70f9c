"""The starter model's CPU recipe: SIRST v1 alone (the shipped starter), then every public set and synthetic frames.

    python scripts/train_starter.py --sirst path/to/sirst-v1 --nudt path/to/NUDT-SIRST --out runs/starter \
        [--init resources/models/ispanet-sirst-v1.safetensors] [--ship DIR]

Stage `base` alone reproduces the shipped starter (resources/models/, its model card says how);
the later stages make a multi-source candidate, which replaces it (`--ship resources/models`) only
when it holds the shipped starter's SIRST v1 test figures (docs/choices.md).

Stages, each resumable from what the run folder already holds (run it again after a stop):
0. base    the first starter (SIRST v1 only, the paper's fill crops) into RUN/base, unless --init names it;
1. data    synthetic training and validation frames of 512x640 to 1080x1920 (sky, ground, sea, bright
           clouds; a quarter target-free) and NUDT-SIRST's validation tenth, carved from its train half;
2. mine    the base model's false alarms on every training frame, as hard negatives (negatives.json);
3. train   fine-tune the base on all training sets at once, validated on all validation sets every
           epoch (checkpoint every epoch; a killed run resumes exactly from its last epoch);
           then the inference scale and threshold, chosen on the validation sets together;
4. export  fp16 safetensors into --ship (default: the run folder);
5. test    the generalisation table through the shipped file (check sets never trained or chosen on);
6. card    the model card beside the shipped file.

One thread trains and predicts (IRSTLABEL_THREADS=1 unless set), as the shipped starter was made;
the log is RUN/train.log when started with --log.
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
os.environ.setdefault("IRSTLABEL_THREADS", "1")  # predictors (mining, the sweep) too

# the first starter (v1): SIRST v1 only, the paper's fill reading of its augmentation
BASE_RECIPE = {"epochs": 34, "batch": 4, "size": (384, 384), "lr": 0.01, "min_lr": 1e-5, "warmup_epochs": 1,
               "loss": "fsiou", "seed": 0, "workers": 1, "device": "cpu", "best_metric": "pixel.niou",
               "sampling": "fill"}
# the shipped starter: the base fine-tuned on every training set at one scale, crops at that scale
RECIPE = {"epochs": 12, "batch": 8, "size": (256, 256), "lr": 0.005, "min_lr": 1e-5, "warmup_epochs": 1,
          "loss": "fsiou+bce", "seed": 0, "workers": 1, "device": "cpu", "best_metric": "mean",
          "sampling": "scale", "scale": 1.25, "background_crops": 0.15,
          # each validation set weighs the same (the first candidate's pooled choice followed the synthetic clutter)
          "val_weighting": "per-set", "sweep_thresholds": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}
REPEATS = {"sirst": 1, "nudt": 1, "synthetic": 1}  # times each training frame is sampled per epoch
# synthetic targets at SCR 4-10: the first candidate (SCR 2-10, its run of 2026-12-07) learnt to fire on noise bumps
# in plain sky, where a 2x2 px point target at SCR 2 hardly differs from noise (docs/benchmarks.md)
SYNTHETIC_TRAIN = {"frames": 128, "seed": 11, "target_free": 0.25, "scr": (4.0, 10.0)}
SYNTHETIC_VAL = {"frames": 16, "seed": 12, "target_free": 0.25, "sizes": ((512, 640), (720, 1280)), "scr": (4.0, 10.0)}
NUDT_VAL_SHARE, NUDT_VAL_SEED = 0.1, 0


def log(*parts) -> None:
    print(*parts, flush=True)


def _epoch_printer(started: float):
    def on_event(event):
        if event["event"] == "epoch":
            m = event["metrics"]
            val = m.get("val", {})
            log(f"epoch {event['epoch']:3d}  loss {m['loss']:.4f}  {m['seconds']:.0f}s  "
                f"IoU {val.get('pixel', {}).get('iou', float('nan')):.4f}  "
                f"nIoU {val.get('pixel', {}).get('niou', float('nan')):.4f}  "
                f"F1-T {val.get('target', {}).get('f1', float('nan')):.4f}  "
                f"elapsed {time.perf_counter() - started:.0f}s")
        elif event["event"] == "log":
            log(event["message"])
    return on_event


def stage_base(sirst: str, run: Path) -> Path:
    """The first starter: SIRST v1's train_v1, chosen on val_v1 (the v1 recipe, ~80 minutes on 2 cores)."""
    import torch

    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.datasets.pairs import DatasetPairs
    from irstlabel.model.config import ISPANetConfig
    from irstlabel.model.train import TrainConfig, train

    base = run / "base"
    if (base / "train_summary.json").exists():
        return base / "best.pt"
    torch.set_num_threads(1)
    data = Dataset.open(sirst)
    started = time.perf_counter()
    summary = train(ISPANetConfig(), TrainConfig(**BASE_RECIPE), DatasetPairs(sirst), data.split("train"),
                    data.split("val"), base, on_event=_epoch_printer(started), resume=(base / "last.pt").exists())
    summary["wall_seconds"] = time.perf_counter() - started
    (base / "train_summary.json").write_text(json.dumps(summary, indent=2))
    return base / "best.pt"


def stage_data(sirst: str, nudt: str, run: Path) -> dict:
    """Training and validation frame ids per source (written once to RUN/data/sets.json)."""
    import numpy as np

    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.datasets.synthetic_sets import make_scene_set

    data = run / "data"
    sets_file = data / "sets.json"
    if sets_file.exists():
        return json.loads(sets_file.read_text())
    for name, options in (("synthetic-train", SYNTHETIC_TRAIN), ("synthetic-val", SYNTHETIC_VAL)):
        log(f"writing {name} ({options['frames']} frames)")
        make_scene_set(data / name, **options)
    sirst_data, nudt_data = Dataset.open(sirst), Dataset.open(nudt)
    nudt_train = sorted(nudt_data.split("train"))  # DNANet's 50_50 train half; Misc_* (SIRST v1) is in neither half
    held = set(np.random.default_rng(NUDT_VAL_SEED).choice(len(nudt_train), round(NUDT_VAL_SHARE * len(nudt_train)),
                                                           replace=False).tolist())
    synthetic_train = Dataset.open(str(data / "synthetic-train")).frame_ids
    synthetic_val = Dataset.open(str(data / "synthetic-val")).frame_ids
    sets = {"train": {"sirst": list(sirst_data.split("train")),
                      "nudt": [f for k, f in enumerate(nudt_train) if k not in held],
                      "synthetic": list(synthetic_train)},
            "val": {"sirst": list(sirst_data.split("val")),
                    "nudt": [f for k, f in enumerate(nudt_train) if k in held],
                    "synthetic": list(synthetic_val)}}
    sets_file.write_text(json.dumps(sets, indent=1))
    return sets


def sources(sirst: str, nudt: str, run: Path, *, negatives: dict | None = None):
    """All sets as one source (ids ``sirst:...``, ``nudt:...``, ``synthetic:...``; validation frames under ``*-val``)."""
    from irstlabel.core.datasets.pairs import CombinedPairs, DatasetPairs, WithNegatives

    combined = CombinedPairs({"sirst": DatasetPairs(sirst), "nudt": DatasetPairs(nudt),
                              "synthetic": DatasetPairs(str(run / "data" / "synthetic-train")),
                              "synthetic-val": DatasetPairs(str(run / "data" / "synthetic-val"))})
    return WithNegatives(combined, negatives or {}), combined


def keys(combined, sets: dict, part: str, *, source: str | None = None, repeats: dict | None = None) -> list[str]:
    """Frame keys of one part ("train", "val") of every source (or of `source`), each source's block `repeats` times."""
    names = {"synthetic": "synthetic" if part == "train" else "synthetic-val"}
    return [key for name, ids in sets[part].items() if source in (None, name)
            for key in [combined.key(names.get(name, name), f) for f in ids] * (repeats or {}).get(name, 1)]


def stage_mine(sirst: str, nudt: str, run: Path, init: Path) -> dict:
    """The base model's false alarms on the training frames (RUN/negatives.json, kept per source as it goes)."""
    from irstlabel.model.mining import mine_false_alarms
    from irstlabel.model.predict import Predictor

    out = run / "negatives.json"
    found = json.loads(out.read_text()) if out.exists() else {}
    sets = stage_data(sirst, nudt, run)
    _, combined = sources(sirst, nudt, run)
    predictor = Predictor.from_checkpoint(init, device="cpu")  # one thread: IRSTLABEL_THREADS
    for source, ids in sets["train"].items():
        if f"done:{source}" in found:
            continue
        started = time.perf_counter()
        boxes = mine_false_alarms(predictor, combined, keys(combined, sets, "train", source=source))
        found.update(boxes)
        found[f"done:{source}"] = []
        out.write_text(json.dumps(found))
        log(f"mined {source}: {sum(len(b) for b in boxes.values())} false alarms on {len(boxes)} of {len(ids)} frames "
            f"({time.perf_counter() - started:.0f}s)")
    return {k: v for k, v in found.items() if not k.startswith("done:")}


def stage_train(sirst: str, nudt: str, run: Path, init: Path) -> dict:
    import torch

    from irstlabel.model.config import ISPANetConfig
    from irstlabel.model.train import TrainConfig, train

    done = run / "train_summary.json"
    if done.exists() and json.loads(done.read_text()).get("inference"):
        return json.loads(done.read_text())
    torch.set_num_threads(1)
    sets = stage_data(sirst, nudt, run)
    source, combined = sources(sirst, nudt, run, negatives=stage_mine(sirst, nudt, run, init))
    train_ids = keys(combined, sets, "train", repeats=REPEATS)
    val_ids = keys(combined, sets, "val")
    log(f"training on {len(train_ids)} samples per epoch, validating on {len(val_ids)} frames")
    started = time.perf_counter()
    summary = train(ISPANetConfig(), TrainConfig(**RECIPE), source, train_ids, val_ids, run,
                    on_event=_epoch_printer(started), resume=(run / "last.pt").exists(), init_checkpoint=str(init))
    previous = json.loads(done.read_text()) if done.exists() else {}
    summary["wall_seconds"] = previous.get("wall_seconds", 0.0) + time.perf_counter() - started  # over every resume
    done.write_text(json.dumps(summary, indent=2))
    if summary.get("inference"):
        (run / "inference.json").write_text(json.dumps(summary["inference"], indent=2))
    log(json.dumps(summary))
    return summary


def stage_export(run: Path, ship: Path, init: Path) -> Path:
    from irstlabel.core.models.starter import STARTER_FILE
    from irstlabel.model.checkpoint import load_checkpoint
    from irstlabel.model.safetensors_io import save_safetensors

    best = load_checkpoint(run / "best.pt")
    summary = json.loads((run / "train_summary.json").read_text())
    provenance = {"data": DATA, "command": COMMAND, "init": init.name, "seed": RECIPE["seed"], "epoch": best.get("epoch"),
                  "train_seconds": round(summary.get("wall_seconds", 0.0), 1)}
    ship.mkdir(parents=True, exist_ok=True)
    out = ship / STARTER_FILE
    save_safetensors(out, model_config=best["model_config"], state_dict=best["state_dict"],
                     inference=dict(best["inference"]), train=best.get("train"), metrics=best.get("metrics"),
                     provenance=provenance)
    log(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")
    return out


def stage_test(sirst: str, nudt: str, run: Path, ship: Path, init: Path) -> dict:
    """The generalisation table, the shipped file beside the base, through the default prediction path."""
    from irstlabel.core.models.starter import STARTER_FILE
    from irstlabel.model.scorecard import check_sets, score_models

    sets = check_sets(sirst=sirst, nudt=nudt, work=run / "checks")
    table = score_models({"base": init, "shipped": ship / STARTER_FILE}, sets, progress=log)
    (run / "generalization.json").write_text(json.dumps(table, indent=2))
    return table


def stage_card(run: Path, ship: Path) -> Path:
    """The model card beside the shipped file: data, recipe, wall time, per-set figures, inference rule, licence."""
    from irstlabel.core.models.starter import STARTER_FILE
    from irstlabel.model.checkpoint import load_checkpoint
    from irstlabel.model.scorecard import table_rows

    shipped = load_checkpoint(ship / STARTER_FILE)
    provenance, inference = shipped["provenance"], shipped["inference"]
    table = json.loads((run / "generalization.json").read_text())
    header = "| model | set | frames | Pd | Pa | F1-T | IoU | nIoU | false alarms / target-free frame | frames/s |"
    rows = "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in table_rows(table))
    curve = (run / "metrics.csv").read_text().splitlines()
    sets = json.loads((run / "data" / "sets.json").read_text())
    evaluation = table["shipped"]["sirst-v1 test"]["evaluation"]
    figures = {"test_v1": {key: round(evaluation[key.split(".")[0]][key.split(".")[1]], 6) for key in CARD_FIGURES},
               "backend": table["shipped"]["backend"], "inference": {k: inference[k] for k in ("scale", "threshold")}}
    card = CARD.format(figures=json.dumps(figures, indent=2),
        size_mib=(ship / STARTER_FILE).stat().st_size / 2**20, data=DATA, command=COMMAND,
        n_sirst=len(sets["train"]["sirst"]), n_nudt=len(sets["train"]["nudt"]), n_syn=len(sets["train"]["synthetic"]),
        v_sirst=len(sets["val"]["sirst"]), v_nudt=len(sets["val"]["nudt"]), v_syn=len(sets["val"]["synthetic"]),
        recipe=json.dumps(RECIPE), epochs=RECIPE["epochs"], best_epoch=provenance["epoch"], seed=provenance["seed"],
        train_minutes=provenance["train_seconds"] / 60, epochs_logged=len(curve) - 1,
        scale=inference["scale"], threshold=inference["threshold"],
        table="\n".join([header, "|" + "---|" * 10, rows]))
    out = ship / Path(STARTER_FILE).with_suffix(".md").name
    out.write_text(card)
    log(f"wrote {out}")
    return out


CARD_FIGURES = ("pixel.iou", "pixel.niou", "pixel.precision", "pixel.recall", "target.pd", "target.fa", "target.f1")
DATA = ("SIRST v1 (Dai et al., WACV 2021): train_v1 trains, val_v1 chooses; NUDT-SIRST (Li et al., IEEE TIP 2022, "
        "DNANet's 50_50 split): nine tenths of its train half train, a seeded tenth chooses, its Misc_* frames "
        "(SIRST v1 resized) left out; synthetic frames of irstlabel (core.datasets.synthetic)")
COMMAND = ("python scripts/train_starter.py --sirst SIRST_V1 --nudt NUDT_SIRST --out RUN "
           "--init ispanet-sirst-v1.safetensors --ship resources/models")

CARD = """# ISPANet starter model

`ispanet-sirst-v1.safetensors` ({size_mib:.1f} MiB; the name is kept from the first starter, so existing
projects find it): the full ISPANet of irstlabel (variant B, c = 64, 13.68 M parameters), weights in
fp16, settings in the safetensors header (loading runs no pickle). irstlabel uses it wherever no
checkpoint is given: `irstlabel predict DATASET`, `irstlabel evaluate DATASET`, the GUI's first
predictions, and Retrain's fine-tuning.

## Data
- **SIRST v1** (Dai et al., "Asymmetric Contextual Modulation for Infrared Small Target Detection",
  WACV 2021): `train_v1` ({n_sirst} frames) trains, `val_v1` ({v_sirst}) chooses; `test_v1` only checks.
- **NUDT-SIRST** (Li et al., "Dense Nested Attention Network for Infrared Small Target Detection",
  IEEE TIP 2022), DNANet's `50_50` split: {n_nudt} frames of its train half train, a seeded tenth
  ({v_nudt}) chooses; its test half only checks. Its `Misc_*` frames are SIRST v1 resized (test frames
  among them) and are in neither half.
- **Synthetic frames** of irstlabel (`core.datasets.synthetic`): {n_syn} training and {v_syn} validation
  frames of 512x640 to 1080x1920 in sky, ground, sea (glints) and bright-cloud scenes, a quarter
  without targets. The check sets below use other seeds.
- **Hard negatives**: the first starter's false alarms on every training frame, as crop centres.

Both public sets are published by their authors for research; check their terms before using the
model commercially. No frame of SIRST-V2 beyond SIRST v1's 427 was used for anything.

## How it was made
`{command}` on a 2-core x86_64 CPU (AVX512-BF16), one torch thread, seed {seed}. It fine-tunes the
first starter (`ispanet-sirst-v1.safetensors` of irstlabel 0.x: SIRST v1 only, 34 epochs; the script's
stage `base` retrains it when `--init` is not given) for {epochs} epochs on all training sets at once:
{recipe}. Crops are cut at the inference scale (x1.25, jitter x0.7-1.4) so targets have the size in
training that they have in prediction, whatever the frame's size. Best epoch by the mean of IoU, nIoU
and F1-T on all validation sets together: epoch {best_epoch}. Training took {train_minutes:.0f}
minutes; the learning curve ({epochs_logged} epochs) is `metrics.csv` of the run.

## Inference rule (chosen on all validation sets together)
One scale for every frame, in pixels: frames are resized by **x{scale:g}** and thresholded at
**{threshold:g}**, chosen among the scales the run trained at on SIRST v1, NUDT-SIRST and synthetic
validation frames together (docs/choices.md). `--scale`, `--size` and `--threshold` override them.

## Figures on data it never trained on (d = 2)
The first starter ("base") and this one, through the default prediction path; `python bench/generalization.py`
reproduces the table:

{table}

`irstlabel predict path/to/sirst-v1 --split test --out preds` then
`irstlabel eval --gt path/to/sirst-v1 --pred preds --split test` reports SIRST v1's row:

```json
{figures}
```

## Licence and use
The weights are irstlabel's (MIT, as the code). Expect to retrain (Ctrl+R fine-tunes it) on your data.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sirst", required=True, help="SIRST v1 (its official split)")
    parser.add_argument("--nudt", default=None, help="NUDT-SIRST (DNANet's 50_50 split); every stage but base needs it")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--init", default=None, help="the base model (default: train it, stage 'base')")
    parser.add_argument("--stages", default="base,data,mine,train,export,test,card")
    parser.add_argument("--ship", default=None, help="where the safetensors file goes (default: the run folder)")
    parser.add_argument("--log", action="store_true", help="also write everything printed to RUN/train.log")
    args = parser.parse_args(argv)
    run = Path(args.out)
    run.mkdir(parents=True, exist_ok=True)
    if args.log:
        sys.stdout = sys.stderr = _Tee(run / "train.log", sys.stdout)
    ship = Path(args.ship) if args.ship else run
    stages = args.stages.split(",")
    if args.nudt is None and set(stages) - {"base", "export", "card"}:
        parser.error("--nudt is needed for the stages data, mine, train and test")
    init = Path(args.init) if args.init else run / "base" / "best.pt"
    if "base" in stages and not args.init:
        init = stage_base(args.sirst, run)
    if "data" in stages:
        stage_data(args.sirst, args.nudt, run)
    if "mine" in stages:
        stage_mine(args.sirst, args.nudt, run, init)
    if "train" in stages:
        stage_train(args.sirst, args.nudt, run, init)
    if "export" in stages:
        stage_export(run, ship, init)
    if "test" in stages:
        stage_test(args.sirst, args.nudt, run, ship, init)
    if "card" in stages:
        stage_card(run, ship)
    return 0


class _Tee:
    """stdout that also appends to the run's log file (line-buffered)."""

    def __init__(self, path: Path, stream):
        self.file, self.stream = open(path, "a", buffering=1), stream

    def write(self, text: str) -> int:
        self.file.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.file.flush()
        self.stream.flush()


if __name__ == "__main__":
    sys.exit(main())
