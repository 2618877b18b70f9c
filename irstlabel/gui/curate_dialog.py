"""The curation dialog: unify sizes, find duplicates, statistics, run as background jobs with progress."""

from __future__ import annotations


from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from ..jobs.spec import JobSpec
from ..core.io.jsonio import to_json

STEPS = {"dedup": "find near-duplicate frames (SSIM)", "stats": "statistics (Table V) and histograms",
         "unify": "write a copy at one size (fill or crop)"}


class CurateDialog(QDialog):
    def __init__(self, project, runner, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Curate the dataset")
        self.project, self.runner, self.job = project, runner, None
        self.step = QComboBox()
        for key, text in STEPS.items():
            self.step.addItem(text, key)
        self.height, self.width = QSpinBox(), QSpinBox()
        for box, value in ((self.height, 1024), (self.width, 1280)):
            box.setRange(8, 8192)
            box.setValue(value)
        self.method = QComboBox()
        self.method.addItems(["fill", "crop"])
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.01)
        self.threshold.setValue(0.0)
        self.threshold.setSpecialValueText("paper rule (0.9 simple / 0.85 complex)")
        self.out = QLineEdit()
        browse = QPushButton("...")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        size_row = QHBoxLayout()
        size_row.addWidget(self.height)
        size_row.addWidget(self.width)
        form = QFormLayout()
        form.addRow("Step", self.step)
        form.addRow("Size H x W (unify)", size_row)
        form.addRow("Method (unify)", self.method)
        form.addRow("SSIM threshold (dedup)", self.threshold)
        form.addRow("Output folder (unify, plots)", out_row)
        self.progress = QProgressBar()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(lambda: self.job and self.job.cancel())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.report, 1)
        layout.addLayout(buttons)
        self.resize(640, 520)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder")
        if folder:
            self.out.setText(folder)

    def settings(self) -> dict:
        step = self.step.currentData()
        settings = {"step": step}
        if step == "unify":
            settings.update(out=self.out.text(), size=[self.height.value(), self.width.value()],
                            method=self.method.currentText())
        elif step == "dedup" and self.threshold.value() > 0:
            settings["threshold"] = self.threshold.value()
        elif step == "stats" and self.out.text():
            settings["plots"] = self.out.text()
        return settings

    def run(self) -> None:
        settings = self.settings()
        if settings["step"] == "unify" and not settings["out"]:
            self.report.setPlainText("Choose an output folder for the unified copy (a new or empty folder).")
            return
        spec = JobSpec(kind="curate", dataset=str(self.project.dataset.root), project=str(self.project.folder),
                       settings=settings)
        self.job = self.runner.submit(spec, priority=5)
        self.job.progress.connect(self._progress)
        self.job.finished.connect(self._finished)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.report.setPlainText(f"{STEPS[settings['step']]}...")

    def _progress(self, step: int, total: int, message: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(step)

    def _finished(self, state: str, result, error: str, log: list) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if state == "finished":
            self.report.setPlainText(_describe(result))
        else:
            self.report.setPlainText(f"{state}: {error}\n" + "\n".join(log))


def _describe(result: dict) -> str:
    if result.get("step") == "dedup":
        lines = [f"{result['frames']} frames: keep {len(result['kept'])}, drop {len(result['duplicates'])}",
                 f"mean pairwise SSIM {result['mean_ssim_before']:.4f} -> {result['mean_ssim_after']:.4f}"]
        lines += [f"{k} duplicates {v['of']} (SSIM {v['ssim']:.3f})" for k, v in result["duplicates"].items()]
        return "\n".join(lines)
    return to_json(result, indent=2)
