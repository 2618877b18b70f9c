"""What Retrain does by default, for the dialog and ``irstlabel retrain`` alike: one table, one translation.

A retraining is given a **time budget**: train for N minutes, stop earlier
when validation stops improving, keep the best epoch. The rest (crop size,
batch, learning rate, warm-up, crops per epoch) follows from where it runs:
the CPU values were chosen by the adaptation benchmark (``bench/adaptation.py``,
docs/benchmarks.md) on a 2-core machine; the GPU values by the paper's batch
and a crop of a quarter of its frames. Fine-tuning starts from the newest
checkpoint of the project, else the shipped starter model.
"""

from __future__ import annotations

__all__ = ["RETRAIN_DEFAULTS", "retrain_defaults", "job_settings", "model_to_fine_tune", "HELP"]

# CPU: the best of three configurations by the adaptation benchmark on real frames of an unseen sensor
# (NUDT-SIRST's test half, K = 20: F1-T 0.739 against 0.733 and 0.667; docs/benchmarks.md, "Adaptation")
CPU = {"minutes": 10.0, "crop": 256, "batch": 4, "lr": 0.002, "warmup_epochs": 1, "epoch_samples": 64,
       "max_epochs": 200, "patience": 10, "loss": "fsiou+bce", "background_crops": 0.5, "variant": "B", "channels": 64, "scratch": False,
       "train_on_test": False}
GPU = {**CPU, "minutes": 30.0, "crop": 512, "batch": 8, "lr": 0.005, "epoch_samples": 512}  # not measured: no GPU lent
RETRAIN_DEFAULTS = {"cpu": CPU, "cuda": GPU}

HELP = {
    "minutes": "train for this many minutes at most (the best epoch is kept)",
    "crop": "side of the square crops the network trains on, in network pixels",
    "batch": "crops per optimiser step",
    "lr": "peak learning rate (Adagrad), after the warm-up",
    "warmup_epochs": "epochs of linear learning-rate warm-up",
    "epoch_samples": "crops per epoch (validation runs after each); at least one per training frame",
    "max_epochs": "an upper bound on epochs; the time budget usually ends training first",
    "patience": "stop after this many validations without a better score",
    "loss": "training loss: fsiou (the paper's F-SIoU), fsiou+bce (F-SIoU plus BCE, which sees target-free crops), "
            "softiou or bce",
    "background_crops": "share of crops cut anywhere rather than around a target (teaches what is not a target "
                        "with a loss that sees target-free crops)",
    "variant": "ISPANet variant (Table XI) when training from scratch",
    "channels": "ISPANet width c when training from scratch",
    "scratch": "train from scratch instead of fine-tuning the newest model (else the starter)",
    "train_on_test": "when no labelled frame is left outside the held-out ones, train on those (figures not held out)",
}


def retrain_defaults(cuda: bool) -> dict:
    """The defaults for a machine with (True) or without a CUDA GPU: a copy, safe to change."""
    return dict(RETRAIN_DEFAULTS["cuda" if cuda else "cpu"])


def job_settings(values: dict, checkpoint: dict | None, *, device: str = "auto", plan: dict | None = None) -> dict:
    """The train job's settings from retrain `values`; fine-tuning keeps `checkpoint`'s model shape.

    `checkpoint` is ``{"name", "path", "config"}`` of the model to fine-tune
    (read once by the caller, who shows it), or None to train from scratch.
    """
    fine_tune = checkpoint is not None and not values.get("scratch")
    model = {"name": "ispanet", **checkpoint["config"]} if fine_tune and checkpoint.get("config") else \
        {"name": "ispanet", "variant": values["variant"], "channels": int(values["channels"])}
    crop = int(values["crop"])
    train = {"epochs": int(values["max_epochs"]), "size": [crop, crop], "batch": int(values["batch"]),
             "lr": float(values["lr"]), "min_lr": min(1e-5, float(values["lr"])),
             "warmup_epochs": int(values["warmup_epochs"]), "loss": values["loss"],
             "minutes": float(values["minutes"]), "patience": int(values["patience"]),
             "epoch_samples": int(values["epoch_samples"]), "background_crops": float(values["background_crops"]),
             "best_metric": "mean", "device": device}
    out = {"model": model, "train": train, "init_checkpoint": checkpoint["path"] if fine_tune else None,
           "train_on_test": bool(values.get("train_on_test"))}
    if plan is not None:
        out["plan"] = plan
    return out


def model_to_fine_tune(project, *, starter_only: bool = False) -> dict | None:
    """``{"name", "path", "config"}`` of what a retrain fine-tunes: the model in use.

    The model in use is the project's default model set (a retrain that came
    out worse is not it), else its newest model, else the shipped starter
    (`starter_only`: the starter); None when there is nothing to fine-tune.
    Read once: the dialog shows it and the job trains from it.
    """
    from ..core.models.starter import STARTER_NAME, starter_checkpoint
    from .pipeline import previous_model

    current = None if starter_only else previous_model(project)
    if current is None or current["set"] == STARTER_NAME:
        return starter_checkpoint()
    checkpoints = {c["name"]: c for c in project.registry.checkpoints()}
    if current["set"] in checkpoints:
        return checkpoints[current["set"]]
    return {"name": current["set"], "path": current["checkpoint"], "config": {}}
