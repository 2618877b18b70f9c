"""One-click retraining: the settings dialog and the controller that chains the jobs.

Retrain = train (fine-tune the newest checkpoint, or from scratch) on the
project's current masks -> predict every frame into the cache (the frame on
screen first) -> evaluate on the test split -> evaluate every frame (per-frame
misses and false alarms for the frame list). Each step is a worker process;
the controller only relays their events and registers the results.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from ..jobs.pipeline import follow_up_specs, register_results, review_spec, train_spec_for

GPU_DEFAULTS = {"epochs": 200, "height": 1024, "width": 1280, "batch": 8}
CPU_DEFAULTS = {"epochs": 5, "height": 256, "width": 256, "batch": 4}


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


class RetrainDialog(QDialog):
    """Settings of a retraining run, remembered between runs (QSettings)."""

    def __init__(self, settings: QSettings, *, has_checkpoint: bool, cuda: bool, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Retrain ISPANet")
        self.settings = settings
        defaults = GPU_DEFAULTS if cuda else CPU_DEFAULTS
        value = lambda key: int(settings.value(f"retrain/{key}", defaults[key]))  # noqa: E731
        self.epochs, self.height, self.width, self.batch = (QSpinBox() for _ in range(4))
        for box, key, top in ((self.epochs, "epochs", 1000), (self.height, "height", 4096),
                              (self.width, "width", 4096), (self.batch, "batch", 256)):
            box.setRange(1 if key in ("epochs", "batch") else 32, top)
            box.setValue(value(key))
        self.loss = QComboBox()
        self.loss.addItems(["fsiou", "softiou", "bce"])
        self.loss.setCurrentText(settings.value("retrain/loss", "fsiou"))
        self.variant = QComboBox()
        self.variant.addItems(["B", "A", "C", "D"])
        self.variant.setCurrentText(settings.value("retrain/variant", "B"))
        self.channels = QComboBox()
        self.channels.addItems(["16", "32", "64", "128"])
        self.channels.setCurrentText(str(settings.value("retrain/channels", "64")))
        self.scratch = QCheckBox("train from scratch")
        self.scratch.setChecked(not has_checkpoint)
        self.scratch.setEnabled(has_checkpoint)
        size = QHBoxLayout()
        size.addWidget(self.height)
        size.addWidget(QLabel("x"))
        size.addWidget(self.width)
        form = QFormLayout()
        form.addRow("Epochs", self.epochs)
        form.addRow("Training size (H x W)", size)
        form.addRow("Batch", self.batch)
        form.addRow("Loss", self.loss)
        form.addRow("Variant (Table XI)", self.variant)
        form.addRow("Channels c", self.channels)
        form.addRow(self.scratch)
        note = ("CUDA GPU found: mixed precision, the paper's settings by default." if cuda else
                "No CUDA GPU: training runs on the CPU, so the defaults are a small size and few epochs. "
                "Expect minutes per epoch; you can keep editing meanwhile.")
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> dict:
        values = {"epochs": self.epochs.value(), "height": self.height.value(), "width": self.width.value(),
                  "batch": self.batch.value(), "loss": self.loss.currentText(), "variant": self.variant.currentText(),
                  "channels": int(self.channels.currentText()), "scratch": self.scratch.isChecked()}
        for key, value in values.items():
            self.settings.setValue(f"retrain/{key}", value)
        return values


def job_settings(values: dict, init_checkpoint: str | None) -> dict:
    """The train job's settings from the dialog's values."""
    return {
        "model": {"name": "ispanet", "variant": values["variant"], "channels": values["channels"]},
        "train": {"epochs": values["epochs"], "size": [values["height"], values["width"]], "batch": values["batch"],
                  "loss": values["loss"], "warmup_epochs": min(5, max(values["epochs"] // 4, 1))},
        "init_checkpoint": None if values.get("scratch") else init_checkpoint,
    }


class RetrainController(QObject):
    """Chains train -> predict -> evaluate (test) -> evaluate (all) and registers the results."""

    stage = Signal(str)
    progress = Signal(int, int, str)
    epoch = Signal(dict)
    finished = Signal(dict)
    failed = Signal(str, list)

    def __init__(self, project, runner, parent=None):
        super().__init__(parent)
        self.project, self.runner = project, runner
        self.job = None
        self._chain: dict = {}
        runner.events.event.connect(self._on_event)

    @property
    def running(self) -> bool:
        return self.job is not None

    def newest_checkpoint(self) -> str | None:
        checkpoints = self.project.checkpoints()
        return checkpoints[-1]["path"] if checkpoints else None

    def start(self, values: dict, *, first_frame: str | None = None) -> None:
        if self.running:
            return
        settings = job_settings(values, self.newest_checkpoint())
        spec = train_spec_for(str(self.project.dataset.root), str(self.project.folder), settings)
        previous = self._latest_test_metrics()
        self._chain = {"train_spec": spec, "first": first_frame, "previous": previous}
        self._submit(spec, "training")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _submit(self, spec, stage: str, priority: int = 10) -> None:
        self._chain["stage"] = stage
        self.job = self.runner.submit(spec, priority=priority)
        self.stage.emit(stage)

    def _on_event(self, event: dict) -> None:
        if self.job is None or event.get("job") != self.job.spec.job_id:
            return
        kind = event.get("event")
        if kind == "progress":
            self.progress.emit(event["step"], event["total"], event.get("message", ""))
        elif kind == "epoch":
            self.epoch.emit(event)
        elif kind == "finished":
            self._job_finished(event)

    def _job_finished(self, event: dict) -> None:
        job, self.job = self.job, None
        if event["state"] == "cancelled" or (job.result or {}).get("status") == "cancelled":
            self.finished.emit({"status": "cancelled", "stage": self._chain["stage"]})
            return
        if event["state"] != "finished":
            self.failed.emit(event.get("error") or "the job failed", list(job.log))
            return
        stage = self._chain["stage"]
        if stage == "training":
            self._chain["train"] = job.result
            predict, evaluate = follow_up_specs(self._chain["train_spec"], job.result, first=self._chain["first"])
            self._chain["evaluate_spec"] = evaluate
            self._submit(predict, "predicting", priority=0)
        elif stage == "predicting":
            self._chain["predict"] = job.result
            self._submit(self._chain["evaluate_spec"], "evaluating")
        elif stage == "evaluating":
            self._chain["evaluate"] = job.result
            register_results(self.project, self._chain["train"], job.result, self._chain.get("predict"))
            self._submit(review_spec(self._chain["train_spec"], self._chain["train"]), "reviewing")
        elif stage == "reviewing":
            self.project.add_evaluation(self._chain["train"]["name"], "all",
                                        {**job.result["metrics"], "per_frame": job.result["per_frame"]})
            self.finished.emit(self._summary())

    def _latest_test_metrics(self) -> dict | None:
        for evaluation in reversed(self.project.evaluations()):
            if evaluation["split"] != "all":
                return evaluation["result"]
        return None

    def _summary(self) -> dict:
        now = self._chain["evaluate"]["metrics"]
        before = self._chain["previous"]
        lines = []
        for group, key, label in (("target", "f1", "F1-T"), ("target", "pd", "Pd"), ("target", "pa", "Pa"),
                                  ("pixel", "iou", "IoU"), ("pixel", "niou", "nIoU")):
            value = now[group][key]
            if before:
                delta = value - before[group][key]
                word = "better" if delta > 0 else "worse" if delta < 0 else "same"
                lines.append(f"{label} {100 * before[group][key]:.2f} -> {100 * value:.2f} ({word})")
            else:
                lines.append(f"{label} {100 * value:.2f}")
        return {"status": "finished", "name": self._chain["train"]["name"], "checkpoint": self._chain["train"]["checkpoint"],
                "split": self._chain["evaluate"]["split"], "lines": lines}
