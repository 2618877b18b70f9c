"""The main window: frame list, image view with levels and mask overlay."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QMainWindow, QMessageBox, QSplitter

from ..core.datasets import Dataset
from ..core.errors import IrstlabelError, display_path
from ..core.targets import find_targets

MASK_RGBA = (255, 64, 64, 110)


class ImageView(pg.GraphicsLayoutWidget):
    """A frame with a histogram/levels widget and a mask overlay.

    Levels only change how the frame is displayed: the array handed to the
    ImageItem is the frame as stored (16-bit stays 16-bit).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = self.addViewBox(lockAspect=True, invertY=True)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.mask_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.view.addItem(self.mask_item)
        self.histogram = pg.HistogramLUTItem(image=self.image_item)
        self.addItem(self.histogram)
        self.frame: np.ndarray | None = None

    def show_frame(self, frame: np.ndarray, mask: np.ndarray) -> None:
        self.frame = frame
        low, high = np.percentile(frame, (0.5, 99.8))
        self.image_item.setImage(frame, autoLevels=False, levels=(float(low), float(max(high, low + 1))))
        overlay = np.zeros(mask.shape + (4,), np.uint8)
        overlay[mask] = MASK_RGBA
        self.mask_item.setImage(overlay, autoLevels=False, levels=(0, 255))
        self.view.autoRange(padding=0.02)

    def value_at(self, scene_pos) -> tuple[int, int, float] | None:
        if self.frame is None:
            return None
        point = self.view.mapSceneToView(scene_pos)
        x, y = int(np.floor(point.x())), int(np.floor(point.y()))
        if 0 <= y < self.frame.shape[0] and 0 <= x < self.frame.shape[1]:
            return x, y, float(self.frame[y, x])
        return None


class MainWindow(QMainWindow):
    def __init__(self, dataset: Dataset):
        super().__init__()
        self.dataset = dataset
        self.setWindowTitle(f"irstlabel - {display_path(dataset.root)} ({dataset.layout})")
        self.frame_list = QListWidget()
        self.frame_list.addItems([display_path(i) for i in dataset.frame_ids])
        self.image_view = ImageView()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.frame_list)
        splitter.addWidget(self.image_view)
        splitter.setStretchFactor(1, 4)
        splitter.setSizes([220, 1000])
        self.setCentralWidget(splitter)
        self.frame_list.currentRowChanged.connect(self.show_frame)
        self.image_view.scene().sigMouseMoved.connect(self._report_pixel)
        self._frame_text = ""
        if len(dataset):
            self.frame_list.setCurrentRow(0)

    def show_frame(self, row: int) -> None:
        if row < 0:
            return
        frame_id = self.dataset.frame_ids[row]
        try:
            frame = self.dataset.read_frame(frame_id)
            mask = self.dataset.read_mask(frame_id).mask
        except IrstlabelError as exc:
            self.show_error("Cannot show this frame", str(exc))
            return
        self.image_view.show_frame(frame, mask)
        count = len(find_targets(mask))
        self._frame_text = (
            f"{display_path(frame_id)}  {frame.shape[1]}x{frame.shape[0]} {frame.dtype}  {count} targets"
        )
        self.statusBar().showMessage(self._frame_text)

    def show_error(self, title: str, text: str) -> None:
        """Tell the user about a problem they can fix; the app keeps running."""
        QMessageBox.warning(self, title, text)

    def _report_pixel(self, scene_pos) -> None:
        found = self.image_view.value_at(scene_pos)
        if found is not None:
            x, y, value = found
            self.statusBar().showMessage(f"{self._frame_text}   x={x} y={y} value={value:g}")
