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
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from ..jobs.pipeline import RetrainPipeline, previous_model
from ..jobs.plan import plan_training
from ..jobs.retrain_settings import HELP, job_settings, retrain_defaults
from ..jobs.sources import ProjectPairs

# (key, label, kind, range); kinds: int, float, choice, bool
FIELDS = (("minutes", "Train for (minutes)", float, (0.5, 1440.0)), ("crop", "Crop size (px)", int, (32, 2048)),
          ("batch", "Batch", int, (1, 256)), ("lr", "Learning rate", float, (1e-5, 1.0)),
          ("warmup_epochs", "Warm-up epochs", int, (0, 50)), ("epoch_samples", "Crops per epoch", int, (1, 100000)),
          ("max_epochs", "At most epochs", int, (1, 10000)), ("patience", "Stop after epochs without gain", int, (1, 1000)),
          ("background_crops", "Share of crops anywhere", float, (0.0, 1.0)))
CHOICES = {"loss": ("fsiou", "fsiou+bce", "softiou", "bce"), "variant": ("B", "A", "C", "D"),
           "channels": ("16", "32", "64", "128")}
SETTINGS_GROUP = "retrain-budget"  # remembered values (the older epochs/size settings are not read back)


class RetrainDialog(QDialog):
    """Settings of a retraining run, remembered between runs (QSettings), with the frames it will use.

    `checkpoint` is what the run fine-tunes (read once by the caller and used
    by the job); `plan_for(train_on_test)` gives the frames that train,
    validate and are held out, shown as counts.
    """

    def __init__(self, settings: QSettings, *, checkpoint: dict | None, cuda: bool, plan_for, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Retrain ISPANet")
        self.settings, self.checkpoint, self.plan_for = settings, checkpoint, plan_for
        defaults = retrain_defaults(cuda)
        self.boxes = {}
        form = QFormLayout()
        self.start_label = QLabel(f"Fine-tunes: {checkpoint['name']}" if checkpoint else "No model yet: trains from scratch")
        self.start_label.setObjectName("retrain-start")
        form.addRow(self.start_label)
        for key, label, kind, (low, high) in FIELDS:
            box = QDoubleSpinBox() if kind is float else QSpinBox()
            if kind is float:
                box.setDecimals({"lr": 4, "background_crops": 2}.get(key, 1))
                box.setSingleStep({"lr": 0.001, "background_crops": 0.05}.get(key, 1.0))
            box.setRange(low, high)
            box.setValue(kind(settings.value(f"{SETTINGS_GROUP}/{key}", defaults[key])))
            self._add(form, key, label, box)
        for key, items in CHOICES.items():
            box = QComboBox()
            box.addItems(list(items))
            box.setCurrentText(str(settings.value(f"{SETTINGS_GROUP}/{key}", defaults[key])))
            self._add(form, key, key.capitalize() if key != "channels" else "Channels c", box)
        self.scratch = QCheckBox("train from scratch" + ("" if checkpoint else " (no model yet)"))
        self.scratch.setChecked(checkpoint is None)
        self.scratch.setEnabled(checkpoint is not None)
        self.scratch.toggled.connect(self._shape_follows_checkpoint)
        self.train_on_test = QCheckBox("train on the held-out frames (their figures are then not held out)")
        for key, box in (("scratch", self.scratch), ("train_on_test", self.train_on_test)):
            box.setObjectName(key)
            box.setToolTip(HELP[key])
            form.addRow(box)
        self.train_on_test.toggled.connect(self._show_plan)
        self._chosen_shape = (self.boxes["variant"].currentText(), self.boxes["channels"].currentText())
        self._shape_follows_checkpoint(self.scratch.isChecked())
        self.note = QLabel("CUDA GPU found: mixed precision, larger crops by default." if cuda else
                           "No CUDA GPU: training runs on the CPU for the time you give it; "
                           "you can keep editing meanwhile.")
        self.note.setWordWrap(True)
        self.counts = QLabel()
        self.counts.setObjectName("retrain-counts")
        self.counts.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Retrain")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.counts)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.plan = None
        self._show_plan()

    def _add(self, form, key: str, label: str, box) -> None:
        box.setObjectName(key)  # found by name in journeys and by accessibility tools
        box.setToolTip(HELP[key])
        self.boxes[key] = box
        form.addRow(label, box)

    def _show_plan(self) -> None:
        """The frames this run will use; Retrain is enabled only when some can train."""
        self.plan = self.plan_for(self.train_on_test.isChecked())
        problem = self.plan.problem
        self.counts.setText(self.plan.counts() + (f"\n{problem}" if problem else ""))
        self.train_on_test.setVisible(bool(self.plan.test) and (problem is not None or self.plan.trains_on_test))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)

    def _shape_follows_checkpoint(self, scratch: bool) -> None:
        """Fine-tuning keeps the checkpoint's variant and channels; from scratch they are free."""
        variant, channels = self.boxes["variant"], self.boxes["channels"]
        if not scratch and self.checkpoint is not None:
            config = self.checkpoint.get("config") or {}
            variant.setCurrentText(str(config.get("variant", "B")))
            channels.setCurrentText(str(config.get("channels", 64)))
        elif scratch:
            variant.setCurrentText(self._chosen_shape[0])
            channels.setCurrentText(self._chosen_shape[1])
        variant.setEnabled(scratch)
        channels.setEnabled(scratch)

    def values(self) -> dict:
        values = {key: box.value() for key, box in self.boxes.items() if key not in CHOICES}
        values.update({key: self.boxes[key].currentText() for key in CHOICES})
        values["channels"] = int(values["channels"])
        for key, value in values.items():
            self.settings.setValue(f"{SETTINGS_GROUP}/{key}", value)
        values["scratch"] = self.scratch.isChecked()
        values["train_on_test"] = self.train_on_test.isChecked()
        return values


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

    def plan(self, train_on_test: bool = False):
        """The frames a retraining would use now (the dialog shows them; the job trains on them)."""
        return plan_training(ProjectPairs(str(self.project.dataset.root), str(self.project.folder)),
                             train_on_test=train_on_test)

    def start(self, values: dict, *, checkpoint: dict | None, plan, first=()) -> None:
        """Start retraining with the dialog's `values`, from `checkpoint`, on `plan`'s frames; `first`: frames to
        predict first."""
        if self.running:
            return
        settings = job_settings(values, checkpoint, plan=plan.to_dict())
        self.pipeline = RetrainPipeline(str(self.project.dataset.root), str(self.project.folder), settings,
                                        first=first, previous=previous_model(self.project))
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
        self.job.stage.connect(self.stage)
        self.job.epoch.connect(self.epoch)
        self.job.frames_ready.connect(self.frames_ready)
        self.job.finished.connect(self._job_finished)
        self.stage.emit(self._step.stage)


    def _job_finished(self, state: str, result, error: str, log: list) -> None:
        if state == "finished" or state == "cancelled":
            self.pipeline.record(self._step, result if state == "finished" else {"status": "cancelled"}, self.project)
            self._next()
            return
        kept = self.pipeline.salvage(self.project, self._step.stage, error or "")
        self.pipeline, self.job = None, None
        message = error or "the job failed"
        self.failed.emit(f"{message}\n\n{kept}" if kept else message, log)
