"""A second view for comparing prediction sets: the same frame, another set, the main view's region."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..core.datasets.predictions import to_levels
from ..core.metrics.evaluation import binarize
from .canvas import ImageCanvas
from .overlays import COLOURS, centroids, heat_lut, mask_index, mask_lut


class ComparePanel(QWidget):
    """Shows the label's outline and a chosen prediction set, with markers; follows the main canvas's pan and zoom."""

    def __init__(self, main_canvas: ImageCanvas, parent=None):
        super().__init__(parent)
        self.set_combo = QComboBox()
        self.set_combo.setObjectName("compare-set")
        self.canvas = ImageCanvas()
        # locked to the main view, one way: it shows the main view's region (a linked pair of aspect-locked views
        # of different shapes widened each other, so the main view's "fit" showed the frame at half its size)
        self.canvas.view.setMouseEnabled(x=False, y=False)
        self.main_canvas = main_canvas
        main_canvas.view.sigRangeChanged.connect(lambda *args: self.follow())
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare with"))
        row.addWidget(self.set_combo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.canvas, 1)
        self._mask_lut = mask_lut(COLOURS["mask"], fill_alpha=0)
        self._heat_lut = heat_lut()

    def follow(self) -> None:
        """Show the region the main view shows (while on screen)."""
        if self.isVisible():
            self.canvas.view.setRange(rect=self.main_canvas.view.viewRect(), padding=0)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.follow()

    def display(self, frame, probability: np.ndarray | None, threshold: float = 0.5) -> None:
        """The frame at the main view's levels, its labels and the compared set, each target with its marker."""
        if frame is None:
            return
        levels = self.main_canvas.image_item.getLevels()
        self.canvas.show_frame(frame.image, keep_view=True, levels=tuple(float(v) for v in levels))
        self.canvas.set_layer("mask", mask_index(frame.mask), self._mask_lut)
        records = frame.targets.records
        self.canvas.set_markers(np.array([r.centroid for r in records], float).reshape(-1, 2),
                                [r.id for r in records], None)
        if probability is None:
            self.canvas.set_layer("prediction", None)
            self.canvas.set_prediction_markers(None)
        else:
            self.canvas.set_layer("prediction", to_levels(probability), self._heat_lut)
            self.canvas.set_prediction_markers(centroids(binarize(probability, threshold)))
