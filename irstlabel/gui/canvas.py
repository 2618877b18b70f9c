"""The image canvas: the frame with levels, overlay layers, target markers, and drawing tools."""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsEllipseItem

from ..core.labels.quality import grown_box
from ..project.display import STROKE_TOOLS, TOOLS
from .levels import auto_levels, levels_region

HISTOGRAM_DELAY_MS = 120
LEVELS_DELAY_MS = 60  # levels follow the view once it has stopped moving for this long
LAYER_MARGIN = 48  # pixels of an overlay kept around its non-zero part, so strokes near it need no re-placing



class CanvasEvents(QObject):
    """Image-coordinate input from the canvas: (x, y) are pixel centres (column, row)."""

    stroke = Signal(str, float, float)  # phase ("start", "move", "end"), x, y
    click = Signal(float, float, int)  # x, y, Qt modifiers as int
    double_click = Signal(float, float)
    moved = Signal(float, float)


class _DrawingViewBox(pg.ViewBox):
    """A ViewBox whose left-drag draws when a drawing tool is active (panning otherwise)."""

    def __init__(self, events: CanvasEvents):
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.events = events
        self.tool = "select"

    def _image_xy(self, scene_pos):
        point = self.mapSceneToView(scene_pos)
        return point.x() - 0.5, point.y() - 0.5

    def mouseDragEvent(self, ev, axis=None):
        if self.tool in STROKE_TOOLS and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            if ev.isStart():  # the drag is noticed after a few pixels: begin where the button went down
                self.events.stroke.emit("start", *self._image_xy(ev.buttonDownScenePos()))
            x, y = self._image_xy(ev.scenePos())
            self.events.stroke.emit("end" if ev.isFinish() else "move", x, y)
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            x, y = self._image_xy(ev.scenePos())
            if ev.double():
                self.events.double_click.emit(x, y)
            else:
                self.events.click.emit(x, y, int(ev.modifiers().value))
            return
        super().mouseClickEvent(ev)


class _Markers(pg.ScatterPlotItem):
    """Circles that are only drawn: clicks and hovers pass through to the view (select, wand, polygon).

    pyqtgraph hands a click to the first item near it that has a click handler,
    whatever its accepted mouse buttons, so a marker on a target's centre took
    the click meant for the target.
    """

    def mouseClickEvent(self, ev):
        ev.ignore()

    def hoverEvent(self, ev):
        pass


class ImageCanvas(pg.GraphicsLayoutWidget):
    """The frame (any bit depth, shown through levels, never converted) and its overlays."""

    LAYERS = ("prediction", "original", "edges", "mask", "proposal")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.events = CanvasEvents()
        self.view = _DrawingViewBox(self.events)
        self.addItem(self.view)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.layers: dict[str, pg.ImageItem] = {}
        for z, name in enumerate(self.LAYERS, start=1):
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(z)
            self.view.addItem(item)
            self.layers[name] = item
        # markers keep a fixed size on screen, so small targets stay visible when zoomed out
        self.markers = _Markers(pxMode=True, size=14, brush=None, pen=pg.mkPen((80, 220, 255), width=1.5))
        self.markers.setZValue(10)
        self.view.addItem(self.markers)
        self.selected_marker = _Markers(pxMode=True, size=22, brush=None, pen=pg.mkPen((255, 255, 255), width=2))
        self.selected_marker.setZValue(11)
        self.view.addItem(self.selected_marker)
        self.labels: list[pg.TextItem] = []
        # the brush's footprint under the mouse, in image pixels (hidden for other tools)
        self.brush_outline = QGraphicsEllipseItem()
        self.brush_outline.setPen(pg.mkPen((255, 255, 255, 200), width=1, cosmetic=True))
        self.brush_outline.setZValue(14)
        self.brush_outline.setVisible(False)
        self.view.addItem(self.brush_outline)
        self._brush_diameter = 0.0
        # review markers, as in the paper's Fig. 14: hits green, misses red, false alarms yellow
        self.review = {}
        for kind, colour in (("hit", (60, 220, 90)), ("miss", (255, 60, 60)), ("false_alarm", (255, 220, 0))):
            item = _Markers(pxMode=True, size=20, brush=None, pen=pg.mkPen(colour, width=2))
            item.setZValue(13)
            self.view.addItem(item)
            self.review[kind] = item
        # predicted targets as squares of a fixed screen size: a 3-pixel false alarm is visible at fit zoom
        self.prediction_markers = _Markers(pxMode=True, size=12, symbol="s", brush=None,
                                           pen=pg.mkPen((255, 150, 0), width=1.5))
        self.prediction_markers.setZValue(9)
        self.view.addItem(self.prediction_markers)
        self.polygon_line = pg.PlotDataItem(pen=pg.mkPen((0, 255, 160), width=1.5))
        self.polygon_line.setZValue(12)
        self.view.addItem(self.polygon_line)
        for item in (self.markers, self.selected_marker, self.polygon_line, self.prediction_markers,
                     *self.review.values()):
            # markers are drawn over targets: a click on one must reach the view (select, wand), not stop here
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.histogram = pg.HistogramLUTItem(image=self.image_item)
        self.addItem(self.histogram)
        # The levels histogram follows a new frame a moment later, once, however fast frames change:
        # recomputing and repainting it with every frame cost ~10 ms of each switch.
        self.image_item.sigImageChanged.disconnect(self.histogram.imageChanged)
        self._histogram_timer = QTimer(self)
        self._histogram_timer.setSingleShot(True)
        self._histogram_timer.setInterval(HISTOGRAM_DELAY_MS)
        self._histogram_timer.timeout.connect(self._update_histogram)
        self._levels = None
        self._frame_levels = None
        self._levels_mode, self._levels_box = "global", None
        self._levels_timer = QTimer(self)
        self._levels_timer.setSingleShot(True)
        self._levels_timer.setInterval(LEVELS_DELAY_MS)
        self._levels_timer.timeout.connect(self._apply_levels)
        self.view.sigRangeChanged.connect(lambda *args: self._levels_mode == "view" and self._levels_timer.start())
        self._peeking = False
        self._label_count = 0
        self.scene().sigMouseMoved.connect(self._moved)
        self._layer_boxes: dict = {}  # layer -> (frame-sized index, shown part (r0, c0, r1, c1), lut)
        self.frame: np.ndarray | None = None

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool '{tool}'")
        self.view.tool = tool

    def show_frame(self, frame: np.ndarray, *, keep_view: bool = False, levels=None) -> None:
        """Show a frame as stored; levels from percentiles (or given), view fitted unless kept."""
        self.frame = frame
        if levels is None:
            levels = auto_levels(frame)
        self.image_item.setImage(frame, autoLevels=False, levels=levels)
        self._levels = self._frame_levels = levels
        self._levels_box = None
        self._histogram_timer.start()
        if not keep_view:
            self.fit()

    # --- levels ---------------------------------------------------------------------------

    def set_levels_mode(self, mode: str, box=None) -> None:
        """Levels from the whole frame ("global"), or ("view") from around `box` (a selected target's
        (r0, c0, r1, c1)) when given, else from the region in view when zoomed in."""
        if mode != self._levels_mode or not self.histogram.axis.labelText:
            self.histogram.axis.setLabel("levels: " + ("view" if mode == "view" else "whole frame"))  # relayouts
        self._levels_mode, self._levels_box = mode, box
        self._apply_levels()

    def levels_region(self):
        """The (r0, c0, r1, c1) part of the frame the levels come from now (None: the whole frame)."""
        if self.frame is None:
            return None
        return levels_region(self.frame.shape, mode=self._levels_mode, box=self._levels_box,
                             view_range=self.view.viewRange())

    def _apply_levels(self) -> None:
        if self.frame is None:
            return
        region = self.levels_region()
        levels = self._frame_levels if region is None else auto_levels(self.frame[region[0]:region[2],
                                                                                  region[1]:region[3]])
        shown = self.image_item.getLevels()
        if shown is not None and np.allclose(shown, levels):
            return  # setting them again would render the whole frame once more (~10 ms at 1280x1024)
        self._levels = levels
        self.image_item.setLevels(levels)
        # the histogram's region follows a moment later, once: setting it here, with every selection a stroke
        # makes, stalled strokes for ~0.7 s at 1280x1024 (bench/gui_latency.py)
        self._histogram_timer.start()

    # --- overlays ---------------------------------------------------------------------------

    def hide_overlays(self, held: bool) -> None:
        """Hold-to-peek: every overlay and marker hidden while `held` (the polygon being drawn stays)."""
        self._peeking = bool(held)
        for item in (*self.layers.values(), self.markers, self.selected_marker, self.prediction_markers,
                     *self.review.values()):
            item.setVisible(not held)
        for k, label in enumerate(self.labels):
            label.setVisible(not held and k < self._label_count)

    def set_prediction_markers(self, centroids) -> None:
        """Squares at predicted targets' (x, y) centroids; None clears them."""
        xy = None if centroids is None else np.asarray(centroids, float).reshape(-1, 2)
        if xy is None or len(xy) == 0:
            self.prediction_markers.clear()
        else:
            self.prediction_markers.setData(x=xy[:, 0] + 0.5, y=xy[:, 1] + 0.5)

    def _update_histogram(self) -> None:
        self.histogram.imageChanged()
        if self._levels is not None:
            self.histogram.setLevels(*self._levels)
            self.image_item.setLevels(self._levels)

    def fit(self) -> None:
        if self.frame is not None:
            self.view.setRange(xRange=(0, self.frame.shape[1]), yRange=(0, self.frame.shape[0]), padding=0.02)

    def one_to_one(self) -> None:
        """Zoom so that one frame pixel is one screen pixel, keeping the centre."""
        if self.frame is None:
            return
        centre = self.view.viewRect().center()
        width, height = self.view.width() or 1, self.view.height() or 1
        self.view.setRange(xRange=(centre.x() - width / 2, centre.x() + width / 2),
                           yRange=(centre.y() - height / 2, centre.y() + height / 2), padding=0)

    def centre_on(self, x: float, y: float, *, half_size: float = 40) -> None:
        self.view.setRange(xRange=(x - half_size, x + half_size), yRange=(y - half_size, y + half_size), padding=0)

    def set_layer(self, name: str, index: np.ndarray | None, lut: np.ndarray | None = None, *,
                  opacity: float = 1.0) -> None:
        """Show an overlay: a frame-sized uint8 index image through an RGBA lookup table (None hides it).

        Only the part holding non-zero indices (grown by LAYER_MARGIN) is handed
        to the image item, placed where it lies in the frame: small-target
        overlays are a few sparse boxes, and Qt converts an indexed image to
        RGBA on every paint, so painting the whole frame cost ~2 ms per layer.
        The item shows a view of `index`, so edits made to it in place show
        after :meth:`refresh_layer`.
        """
        item = self.layers[name]
        if index is None:
            item.clear()
            self._layer_boxes.pop(name, None)
            return
        x, y, w, h = cv2.boundingRect(index)
        if w == 0:
            item.clear()
            self._layer_boxes[name] = (index, (0, 0, 0, 0), lut)
            return
        box = grown_box((y, x, y + h, x + w), LAYER_MARGIN, index.shape)
        r0, c0, r1, c1 = box
        item.setImage(index[r0:r1, c0:c1], autoLevels=False, levels=(0, len(lut) - 1), lut=lut)
        item.setRect(c0, r0, c1 - c0, r1 - r0)
        item.setOpacity(opacity)
        self._layer_boxes[name] = (index, box, lut)

    def refresh_layer(self, name: str, box=None) -> None:
        """Repaint a layer whose index image was changed in place (inside `box`, when given)."""
        shown = self._layer_boxes.get(name)
        if shown is None:
            return
        index, (r0, c0, r1, c1), lut = shown
        if box is not None and not (r0 <= box[0] and c0 <= box[1] and box[2] <= r1 and box[3] <= c1):
            self.set_layer(name, index, lut, opacity=self.layers[name].opacity())  # grew past its part: place it again
            return
        item = self.layers[name]
        if item.image is not None:
            item.updateImage(item.image)

    def set_markers(self, centroids: np.ndarray, names, selected: int | None) -> None:
        """Circles at target centroids, each labelled with its name (the target id); `selected` is a position."""
        centroids = np.asarray(centroids, float).reshape(-1, 2)
        while len(self.labels) < len(centroids):  # labels are kept and reused: making one costs ~0.5 ms
            text = pg.TextItem("", color=(80, 220, 255), anchor=(-0.3, 1.2))
            text.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            text.setZValue(12)
            self.view.addItem(text)
            self.labels.append(text)
        for k, label in enumerate(self.labels):
            if k < len(centroids):
                label.setText(str(names[k]))
                label.setPos(centroids[k][0] + 0.5, centroids[k][1] + 0.5)
            label.setVisible(k < len(centroids) and not self._peeking)
        self._label_count = len(centroids)
        if len(centroids):
            self.markers.setData(x=centroids[:, 0] + 0.5, y=centroids[:, 1] + 0.5)
        else:
            self.markers.clear()
        self.select_marker(None if selected is None else centroids[selected])

    def select_marker(self, centroid) -> None:
        if centroid is None:
            self.selected_marker.clear()
        else:
            self.selected_marker.setData(x=[centroid[0] + 0.5], y=[centroid[1] + 0.5])

    def set_brush(self, diameter: float | None) -> None:
        """Show the brush's footprint (`diameter` image pixels) under the mouse; None hides it."""
        self._brush_diameter = diameter or 0.0
        self.brush_outline.setVisible(False)

    def _place_brush(self, x: float, y: float) -> None:
        d = self._brush_diameter
        if d <= 0:
            return
        self.brush_outline.setRect(x + 0.5 - d / 2, y + 0.5 - d / 2, d, d)
        self.brush_outline.setVisible(True)

    def set_review(self, points: dict | None) -> None:
        """Hit / miss / false-alarm circles at (x, y) centroids; None clears them."""
        for kind, item in self.review.items():
            xy = None if points is None else np.asarray(points.get(kind, []), float).reshape(-1, 2)
            if xy is None or len(xy) == 0:
                item.clear()
            else:
                item.setData(x=xy[:, 0] + 0.5, y=xy[:, 1] + 0.5)

    def review_counts(self) -> dict:
        return {kind: len(item.data) for kind, item in self.review.items()}

    def show_polygon(self, vertices) -> None:
        if vertices:
            pts = np.asarray(vertices) + 0.5
            self.polygon_line.setData(pts[:, 0], pts[:, 1])
        else:
            self.polygon_line.clear()

    def _moved(self, scene_pos) -> None:
        point = self.view.mapSceneToView(scene_pos)
        self._place_brush(point.x() - 0.5, point.y() - 0.5)
        self.events.moved.emit(point.x() - 0.5, point.y() - 0.5)

