"""The Tools dock: brush, wand, Canny thresholds, levels, overlays -- a view of the display state.

Each widget writes its field of :class:`irstlabel.project.display.DisplayState`
when the user changes it, and follows that field's event, so keys, menus and
saved settings that change the state show here too. Nothing reads these
widgets to learn what is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..project.display import BRUSH_RANGE, CANNY_RANGE, LEVELS_MODES, WAND_MODES
from .actions import OVERLAYS
from .quiet import quietly

LEVELS_TEXT = {"view": "follow the view (selected target, or the region shown)", "global": "whole frame"}


class ToolPanel(QScrollArea):
    """Brush size, wand, Canny thresholds (with their numbers), levels mode, overlay visibility and opacity."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self._tools_box())
        layout.addWidget(self._overlays_box())
        layout.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for event, follow in ((state.brush_changed, self._brush_changed), (state.wand_changed, self._wand_changed),
                              (state.canny_changed, self._canny_changed),
                              (state.canny_used_changed, self._canny_used_changed),
                              (state.levels_mode_changed, self._levels_changed),
                              (state.visibility_changed, self._visibility_changed),
                              (state.opacity_changed, self._opacity_changed),
                              (state.prediction_style_changed, self._style_changed)):
            event.connect(follow)

    # --- building ----------------------------------------------------------------------

    def _tools_box(self) -> QGroupBox:
        state = self.state
        self.brush = QSpinBox()
        self.brush.setObjectName("brush")
        self.brush.setRange(*BRUSH_RANGE)
        self.brush.setValue(state.brush)
        self.brush.setSuffix(" px")
        self.brush.valueChanged.connect(state.set_brush)
        self.wand_mode = QComboBox()
        self.wand_mode.setObjectName("wand-mode")
        self.wand_mode.addItems(WAND_MODES)
        self.wand_mode.setToolTip("contrast %: pixels at least this share of the way from the local background "
                                  "to the clicked pixel; grey levels: within this many levels of the clicked pixel")
        self.tolerance = QSpinBox()
        self.tolerance.setObjectName("wand-tolerance")
        self._wand_changed(state.wand)
        self.wand_mode.currentTextChanged.connect(lambda mode: state.set_wand(mode, self.tolerance.value()))
        self.tolerance.valueChanged.connect(lambda value: state.set_wand(self.wand_mode.currentText(), value))
        self.canny_auto = QCheckBox("automatic")
        self.canny_auto.setObjectName("canny-auto")
        self.canny_auto.setChecked(state.canny is None)
        self.canny_auto.toggled.connect(self._auto_toggled)
        self.canny_numbers, self.canny_sliders = {}, {}
        for name, value in (("low", 40), ("high", 100)):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"canny-{name}")
            slider.setRange(*CANNY_RANGE)
            slider.setValue(value)
            slider.valueChanged.connect(lambda value: state.set_canny(self._slider_thresholds()))
            self.canny_sliders[name] = slider
            self.canny_numbers[name] = QLabel("auto")
            self.canny_numbers[name].setObjectName(f"canny-{name}-value")
            self.canny_numbers[name].setMinimumWidth(self.fontMetrics().horizontalAdvance("0000.0"))
        self.canny_low, self.canny_high = self.canny_sliders["low"], self.canny_sliders["high"]
        self.levels = QComboBox()
        self.levels.setObjectName("levels-mode")
        for mode in LEVELS_MODES:
            self.levels.addItem(LEVELS_TEXT[mode], mode)
        self.levels.setCurrentIndex(LEVELS_MODES.index(state.levels_mode))
        self.levels.setToolTip("display levels (contrast) from the part of the frame around the selected target or "
                               "in view, or from the whole frame")
        self.levels.currentIndexChanged.connect(lambda index: state.set_levels_mode(LEVELS_MODES[index]))
        tools = QGroupBox("Tools")
        form = QFormLayout(tools)
        form.addRow("Brush size, across ([ ])", self.brush)
        form.addRow("Wand", _row(self.wand_mode, self.tolerance))
        form.addRow("Canny thresholds", self.canny_auto)
        form.addRow("low", _row(self.canny_low, self.canny_numbers["low"]))
        form.addRow("high", _row(self.canny_high, self.canny_numbers["high"]))
        form.addRow("Levels", self.levels)
        return tools

    def _overlays_box(self) -> QGroupBox:
        state = self.state
        overlays = QGroupBox("Overlays")
        grid = QFormLayout(overlays)
        self.visible: dict[str, QCheckBox] = {}
        self.opacity: dict[str, QSlider] = {}
        for key, label, shortcut in OVERLAYS:
            box = QCheckBox(f"{label} ({shortcut})")
            box.setObjectName(f"show-{key}")
            box.setChecked(state.shown(key))
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"opacity-{key}")
            slider.setRange(0, 100)
            slider.setValue(round(100 * state.opacity(key)))
            self.visible[key], self.opacity[key] = box, slider
            grid.addRow(box, slider)
            box.toggled.connect(lambda shown, k=key: state.set_visible(k, shown))
            slider.valueChanged.connect(lambda value, k=key: state.set_opacity(k, value / 100.0))
        self.prediction_outline = QCheckBox("prediction as outline (above its threshold)")
        self.prediction_outline.setObjectName("prediction-outline")
        self.prediction_outline.setChecked(state.prediction_style == "outline")
        self.prediction_outline.toggled.connect(lambda on: state.set_prediction_style("outline" if on else "fill"))
        grid.addRow(self.prediction_outline)
        hint = QLabel("Hold Space to see the raw pixels (every overlay hidden while held).")
        hint.setWordWrap(True)
        grid.addRow(hint)
        return overlays

    # --- what the user does ------------------------------------------------------------

    def _slider_thresholds(self) -> tuple[float, float]:
        return float(self.canny_low.value()), float(self.canny_high.value())

    def _auto_toggled(self, auto: bool) -> None:
        self.state.set_canny(None if auto else self.state.canny_used or self._slider_thresholds())

    # --- following the state -----------------------------------------------------------

    def _brush_changed(self, diameter: int) -> None:
        quietly(self.brush, self.brush.setValue, diameter)

    def _wand_changed(self, wand) -> None:
        mode, tolerance = wand
        quietly(self.wand_mode, self.wand_mode.setCurrentText, mode)
        low, high, suffix = (1, 100, " %") if mode == "contrast %" else (0, 65535, "")
        quietly(self.tolerance, self.tolerance.setRange, low, high)
        self.tolerance.setSuffix(suffix)
        quietly(self.tolerance, self.tolerance.setValue, tolerance)

    def _canny_changed(self, thresholds) -> None:
        quietly(self.canny_auto, self.canny_auto.setChecked, thresholds is None)
        if thresholds is not None:
            self._canny_used_changed(thresholds)

    def _canny_used_changed(self, thresholds) -> None:
        """The thresholds in use: their numbers; the sliders follow quietly (in automatic mode too)."""
        for name, value in zip(("low", "high"), thresholds):
            self.canny_numbers[name].setText(f"{value:.0f}")
            quietly(self.canny_sliders[name], self.canny_sliders[name].setValue, int(round(value)))

    def _levels_changed(self, mode: str) -> None:
        quietly(self.levels, self.levels.setCurrentIndex, LEVELS_MODES.index(mode))

    def _visibility_changed(self, key: str, shown: bool) -> None:
        quietly(self.visible[key], self.visible[key].setChecked, shown)

    def _opacity_changed(self, key: str, opacity: float) -> None:
        quietly(self.opacity[key], self.opacity[key].setValue, round(100 * opacity))

    def _style_changed(self, style: str) -> None:
        quietly(self.prediction_outline, self.prediction_outline.setChecked, style == "outline")


def _row(*widgets) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QSlider) else 0)
    return holder
