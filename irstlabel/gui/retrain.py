"""One-click retraining: the settings dialog, and the controller that drives the retrain pipeline.

The steps (train -> predict, the frame on screen first -> one evaluation pass
over the test split and every frame -> register) are declared once in
:class:`irstlabel.jobs.pipeline.RetrainPipeline`; this controller only starts
each step's worker when the previous one finishes and relays its signals.
The GUI process never imports torch: the train job reports the parameter
count, the predict job the speed and the device.
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

from ..core.starter import starter_checkpoint
from ..jobs.pipeline import RetrainPipeline, latest_test_metrics

GPU_DEFAULTS = {"epochs": 200, "height": 1024, "width": 1280, "batch": 8}
CPU_DEFAULTS = {"epochs": 5, "height": 256, "width": 256, "batch": 4}


class RetrainDialog(QDialog):
    """Settings of a retraining run, remembered between runs (QSettings)."""

    def __init__(self, settings: QSettings, *, checkpoint: dict | None, cuda: bool, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Retrain ISPANet")
        self.settings, self.checkpoint = settings, checkpoint
        has_checkpoint = checkpoint is not None
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
        for name in ("epochs", "height", "width", "batch", "loss", "variant", "channels"):
            getattr(self, name).setObjectName(name)  # found by name in journeys and by accessibility tools
        self.scratch = QCheckBox("train from scratch" + ("" if has_checkpoint else " (no model yet)"))
        self.scratch.setObjectName("scratch")
        self.scratch.setChecked(not has_checkpoint)
        self.scratch.setEnabled(has_checkpoint)
        self.scratch.setToolTip(f"unchecked: fine-tune {checkpoint['name']}" if has_checkpoint else "")
        self.scratch.toggled.connect(self._shape_follows_checkpoint)
        self._chosen_shape = (self.variant.currentText(), self.channels.currentText())
        self._shape_follows_checkpoint(self.scratch.isChecked())
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
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Retrain")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _shape_follows_checkpoint(self, scratch: bool) -> None:
        """Fine-tuning keeps the checkpoint's variant and channels; from scratch they are free."""
        if not scratch and self.checkpoint is not None:
            config = self.checkpoint.get("config") or {}
            self.variant.setCurrentText(str(config.get("variant", "B")))
            self.channels.setCurrentText(str(config.get("channels", 64)))
        elif scratch:
            self.variant.setCurrentText(self._chosen_shape[0])
            self.channels.setCurrentText(self._chosen_shape[1])
        self.variant.setEnabled(scratch)
        self.channels.setEnabled(scratch)

    def values(self) -> dict:
        values = {"epochs": self.epochs.value(), "height": self.height.value(), "width": self.width.value(),
                  "batch": self.batch.value(), "loss": self.loss.currentText(), "variant": self.variant.currentText(),
                  "channels": int(self.channels.currentText()), "scratch": self.scratch.isChecked()}
        for key, value in values.items():
            self.settings.setValue(f"retrain/{key}", value)
        return values


def job_settings(values: dict, checkpoint: dict | None) -> dict:
    """The train job's settings from the dialog's values; fine-tuning keeps `checkpoint`'s model shape."""
    fine_tune = checkpoint is not None and not values.get("scratch")
    model = {"name": "ispanet", **checkpoint["config"]} if fine_tune and checkpoint.get("config") else \
        {"name": "ispanet", "variant": values["variant"], "channels": values["channels"]}
    return {
        "model": model,
        "train": {"epochs": values["epochs"], "size": [values["height"], values["width"]], "batch": values["batch"],
                  "loss": values["loss"], "warmup_epochs": min(5, max(values["epochs"] // 4, 1))},
        "init_checkpoint": checkpoint["path"] if fine_tune else None,
    }


class RetrainController(QObject):
    """Runs a :class:`RetrainPipeline` step by step as worker jobs, and relays what they report."""

    stage = Signal(str)
    progress = Signal(int, int, str)
    epoch = Signal(dict)
    frames_ready = Signal(str, list)  # the new prediction set, the frames it holds so far
    finished = Signal(dict)  # the pipeline's summary (status finished or cancelled)
    failed = Signal(str, list)  # error, last log lines

    def __init__(self, project, runner, parent=None):
        super().__init__(parent)
        self.project, self.runner = project, runner
        self.job = None
        self.pipeline: RetrainPipeline | None = None
        self._step = None

    @property
    def running(self) -> bool:
        return self.pipeline is not None

    def newest_checkpoint(self) -> dict | None:
        """The project's newest checkpoint, else the shipped starter model: what Retrain fine-tunes."""
        checkpoints = self.project.checkpoints()
        return checkpoints[-1] if checkpoints else starter_checkpoint()

    def start(self, values: dict, *, first=()) -> None:
        """Start retraining with the dialog's `values`; `first`: frames to predict first."""
        if self.running:
            return
        settings = job_settings(values, self.newest_checkpoint())
        self.pipeline = RetrainPipeline(str(self.project.dataset.root), str(self.project.folder), settings,
                                        first=first, previous=latest_test_metrics(self.project))
        self._next()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _next(self) -> None:
        self._step = self.pipeline.next_step()
        if self._step is None:
            pipeline, self.pipeline, self.job = self.pipeline, None, None
            self.finished.emit(pipeline.summary())
            return
        self.job = self.runner.submit(self._step.spec, priority=self._step.priority)
        self.job.progress.connect(self.progress)
        self.job.epoch.connect(self.epoch)
        self.job.frames_ready.connect(self._frames_ready)
        self.job.finished.connect(self._job_finished)
        self.stage.emit(self._step.stage)

    def _frames_ready(self, name: str, frames: list) -> None:
        self.pipeline.frames_ready(self.project)
        self.frames_ready.emit(name, frames)

    def _job_finished(self, state: str, result, error: str, log: list) -> None:
        if state == "finished" or state == "cancelled":
            self.pipeline.record(self._step, result if state == "finished" else {"status": "cancelled"}, self.project)
            self._next()
            return
        self.pipeline, self.job = None, None
        self.failed.emit(error or "the job failed", log)
