"""The results dock: metrics of every prediction set side by side, curves, training progress, export."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..reports import CURVE_PLOTS, curve_points, evaluation_plots
from ..core.io.jsonio import to_json

# Table VII's columns: (group, key, label, higher is better)
COLUMNS = (("target", "pd", "Pd", True), ("target", "md", "Md", False), ("target", "pa", "Pa", True),
           ("target", "fa", "Fa", False), ("target", "f1", "F1-T", True), ("pixel", "niou", "nIoU", True),
           ("pixel", "iou", "IoU", True), ("pixel", "recall", "R", True), ("pixel", "precision", "P", True),
           ("pixel", "f1", "F1-P", True))
PENS = [(255, 90, 90), (90, 200, 255), (120, 230, 120), (255, 200, 60), (200, 120, 255), (255, 255, 255)]
PLOT_MIN_HEIGHT = 160  # readable: ticks, a label and a curve (issue 26 found them ~40 px tall)
EMPTY_RANGES = {"pr": ((0, 100), (0, 100)), "roc": ((0, 100), (0, 100)), "pd": ((0, 10), (0, 100)),
                "pa": ((0, 10), (0, 100)), "loss": ((1, 10), (0, 1)), "val": ((1, 10), (0, 100))}


def latest_evaluations(project) -> dict[str, dict]:
    """The newest evaluation of each prediction set on a held-out split (not the all-frames review)."""
    latest = {}
    for evaluation in project.registry.evaluations():
        if evaluation["split"] != "all":
            latest[evaluation["prediction_set"]] = evaluation
    return latest


class ResultsPanel(QScrollArea):
    """The table of every evaluated set and its curves, scrolled when the dock is short (plots keep their height)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        body = QWidget()
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.table = QTableWidget(0, len(COLUMNS) + 4)
        self.table.setHorizontalHeaderLabels(["prediction set", "split"] + [c[2] for c in COLUMNS] + ["fps", "params (M)"])
        self.table.verticalHeader().setVisible(False)
        self.plots: dict[str, pg.PlotWidget] = {}
        tabs = QTabWidget()
        plots = [(key, title, x_label, y_label) for key, title, _, _, x_label, y_label in CURVE_PLOTS]
        for key, title, x, y in plots + [("loss", None, "epoch", "training loss"),
                                         ("val", None, "epoch", "val F1-T (%)")]:
            plot = pg.PlotWidget()
            plot.setLabel("bottom", x)
            plot.setLabel("left", y)
            for side in ("bottom", "left"):  # one unit everywhere: no "x0.001" SI prefixes on the axes
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.addLegend(offset=(-10, 10))
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMinimumHeight(PLOT_MIN_HEIGHT)
            plot.empty_note = pg.TextItem("no data yet", color=(170, 170, 170), anchor=(0.5, 0.5))
            plot.addItem(plot.empty_note, ignoreBounds=True)
            self.plots[key] = plot
            if title is not None:
                tabs.addTab(plot, title)
        training = QWidget()  # loss and validation F1-T, each on its own axis, epochs linked
        column = QVBoxLayout(training)
        column.setContentsMargins(0, 0, 0, 0)
        self.plots["val"].setXLink(self.plots["loss"])
        column.addWidget(self.plots["loss"])
        column.addWidget(self.plots["val"])
        tabs.addTab(training, "Training")
        self.export_button = QPushButton("Export evaluation")
        self.loss_curve = self.plots["loss"].plot([], [], pen=pg.mkPen(PENS[0], width=2), name="loss")
        self.f1_curve = self.plots["val"].plot([], [], pen=pg.mkPen(PENS[1], width=2), symbol="o", symbolSize=5,
                                               name="val F1-T")
        self._epochs: list[dict] = []
        self.evaluations: dict[str, dict] = {}
        self.summary = QLabel()
        self.summary.setObjectName("results-retrain-summary")
        self.summary.setWordWrap(True)
        self.summary.setVisible(False)
        tabs.setMinimumHeight(2 * PLOT_MIN_HEIGHT + 40)  # the Training tab holds two plots
        self.table.setMinimumHeight(90)
        layout = QVBoxLayout(body)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(tabs, 2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.export_button)
        layout.addLayout(row)
        for key in self.plots:
            self._show_empty(key, True)

    def _show_empty(self, key: str, empty: bool) -> None:
        """An empty plot says so, over axes in the units its curves will have."""
        plot = self.plots[key]
        plot.empty_note.setVisible(empty)
        if empty:
            (x0, x1), (y0, y1) = EMPTY_RANGES[key]
            plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            plot.empty_note.setPos((x0 + x1) / 2, (y0 + y1) / 2)
        else:
            plot.enableAutoRange()

    def empty_plots(self) -> list[str]:
        """The plots that show "no data yet"."""
        return [key for key, plot in self.plots.items() if plot.empty_note.isVisible()]

    def set_summary(self, text: str) -> None:
        """How the last retraining ended (which model is the default, and why), above the table."""
        self.summary.setText(f"Last retraining: {text}")
        self.summary.setVisible(bool(text))

    def refresh(self, project) -> None:
        self.evaluations = latest_evaluations(project)
        models = {c["name"]: c for c in project.registry.checkpoints()}
        names = list(self.evaluations)
        self.table.setRowCount(len(names))
        for r, name in enumerate(names):
            result = self.evaluations[name]["result"]
            name_item = QTableWidgetItem(name)
            model = models.get(name)
            if model is not None:
                name_item.setToolTip(model["path"])
                name_item.setData(Qt.ItemDataRole.UserRole, model["path"])
            self.table.setItem(r, 0, name_item)
            self.table.setItem(r, 1, QTableWidgetItem(self.evaluations[name]["split"]))
            for c, (group, key, _, _) in enumerate(COLUMNS, start=2):
                item = QTableWidgetItem(f"{100 * result[group][key]:.2f}")
                item.setData(Qt.ItemDataRole.UserRole, result[group][key])  # the exact fraction behind the text
                item.setToolTip(repr(result[group][key]))
                self.table.setItem(r, c, item)
            fps, params = _speed_and_size(model)
            self.table.setItem(r, len(COLUMNS) + 2, QTableWidgetItem(fps))
            self.table.setItem(r, len(COLUMNS) + 3, QTableWidgetItem(params))
        self._bold_best(names)
        self.table.resizeColumnsToContents()
        self._curves(names)

    def _bold_best(self, names) -> None:
        for c, (group, key, _, higher) in enumerate(COLUMNS, start=2):
            values = [self.evaluations[n]["result"][group][key] for n in names]
            if not values:
                continue
            best = max(values) if higher else min(values)
            for r, value in enumerate(values):
                font = QFont()
                font.setBold(value == best)
                self.table.item(r, c).setFont(font)

    def _curves(self, names) -> None:
        drawn = set()
        for key in ("pr", "roc", "pd", "pa"):
            plot = self.plots[key]
            plot.clear()
            plot.addItem(plot.empty_note, ignoreBounds=True)
        for k, name in enumerate(names):
            curves = self.evaluations[name]["result"].get("curves", {})
            pen = pg.mkPen(PENS[k % len(PENS)], width=2)
            for key, _, x, y, _, _ in CURVE_PLOTS:
                points = curve_points(curves, x, y)
                if points is None:
                    continue
                symbols = {"symbol": "o", "symbolSize": 4} if x == "distance" else {}
                self.plots[key].plot(*points, pen=pen, name=name, **symbols)
                drawn.add(key)
        for key in ("pr", "roc", "pd", "pa"):
            self._show_empty(key, key not in drawn)

    def reset_training(self) -> None:
        self._epochs = []
        self.loss_curve.setData([], [])
        self.f1_curve.setData([], [])
        for key in ("loss", "val"):
            self._show_empty(key, True)

    def add_epoch(self, event: dict) -> None:
        self._epochs.append(event)
        epochs = [e["epoch"] for e in self._epochs]
        self.loss_curve.setData(epochs, [e["metrics"]["loss"] for e in self._epochs])
        with_val = [e for e in self._epochs if "val" in e["metrics"]]
        self.f1_curve.setData([e["epoch"] for e in with_val],
                              [100 * e["metrics"]["val"]["target"]["f1"] for e in with_val])
        self._show_empty("loss", False)
        self._show_empty("val", not with_val)

    def export(self, folder) -> Path:
        """metrics.csv, metrics.json and the curves as publication PNGs (white, 300 dpi) in a new folder."""
        out = Path(folder) / time.strftime("%Y%m%d-%H%M%S")
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(to_json(self.evaluations, indent=2, default=_plain))
        with (out / "metrics.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["prediction set", "split"] + [c[2] for c in COLUMNS])
            for name, evaluation in self.evaluations.items():
                result = evaluation["result"]
                writer.writerow([name, evaluation["split"]] + [result[g][k] for g, k, _, _ in COLUMNS])
        evaluation_plots({name: e["result"] for name, e in self.evaluations.items()}, out)
        return out


def _speed_and_size(checkpoint: dict | None) -> tuple[str, str]:
    """Frames per second of the prediction run and parameters (millions), as the jobs reported them."""
    if checkpoint is None:
        return "-", "-"
    fps, params = checkpoint["metrics"].get("fps"), checkpoint["metrics"].get("parameters")
    return ("-" if fps is None else f"{fps:.1f}"), ("-" if params is None else f"{params / 1e6:.2f}")


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))
