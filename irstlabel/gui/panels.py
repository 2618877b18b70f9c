"""Side panels: the frame list, the target table, and the tool and overlay controls."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import display_path
from ..core.layouts import natural_key

STATE_FILTERS = ("all", "todo", "in_progress", "done", "flagged")


class _NumberItem(QTableWidgetItem):
    """A cell that sorts by number (None sorts first)."""

    def __init__(self, value, text: str | None = None):
        super().__init__("" if value is None else (text if text is not None else f"{value}"))
        self.value = value

    def __lt__(self, other):
        a = -float("inf") if self.value is None else self.value
        b = -float("inf") if getattr(other, "value", None) is None else other.value
        return a < b


class _NaturalItem(QTableWidgetItem):
    """A frame name that sorts in natural order (Misc_2 before Misc_10)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.key = natural_key(text)

    def __lt__(self, other):
        return self.key < getattr(other, "key", natural_key(other.text()))


class FrameList(QWidget):
    """Frames with review state, targets, LPD change; filter by state, sort by any column."""

    frame_activated = Signal(str)
    COLUMNS = ("frame", "state", "targets", "LPD down", "worst LPD change", "edited", "model misses",
               "model false alarms")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.filter = QComboBox()
        self.filter.addItems(STATE_FILTERS)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setSortingEnabled(True)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show"))
        row.addWidget(self.filter, 1)
        layout.addLayout(row)
        layout.addWidget(self.table)
        self.filter.currentTextChanged.connect(self._apply_filter)
        self.table.itemSelectionChanged.connect(self._selected)
        self._ids: dict[int, str] = {}
        self._quiet = False

    def set_rows(self, rows: list[dict], current: str | None = None) -> None:
        first = self.table.rowCount() == 0
        self._quiet = True
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            name = _NaturalItem(display_path(row["frame_id"]))
            name.setData(Qt.ItemDataRole.UserRole, row["frame_id"])
            cells = [name, QTableWidgetItem(row["state"]), _NumberItem(row["targets"]),
                     _NumberItem(row["lpd_decreased"] or None), _NumberItem(row["lpd_worst_change"],
                     None if row["lpd_worst_change"] is None else f"{row['lpd_worst_change']:.1f}"),
                     QTableWidgetItem("yes" if row["edited"] else ""),
                     _NumberItem(row.get("model_misses")), _NumberItem(row.get("model_false_alarms"))]
            for c, cell in enumerate(cells):
                self.table.setItem(r, c, cell)
        self.table.setSortingEnabled(True)
        if first:
            self.table.sortItems(0, Qt.SortOrder.AscendingOrder)
        self._apply_filter(self.filter.currentText())
        if current is not None:
            self.select(current)
        self._quiet = False

    def frame_id_at(self, row: int) -> str:
        return self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)

    def visible_ids(self) -> list[str]:
        return [self.frame_id_at(r) for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]

    def select(self, frame_id: str) -> None:
        for r in range(self.table.rowCount()):
            if self.frame_id_at(r) == frame_id:
                quiet, self._quiet = self._quiet, True
                self.table.selectRow(r)
                self.table.scrollToItem(self.table.item(r, 0))
                self._quiet = quiet
                return

    def update_row(self, row: dict) -> None:
        for r in range(self.table.rowCount()):
            if self.frame_id_at(r) == row["frame_id"]:
                self.table.item(r, 1).setText(row["state"])
                self.table.item(r, 5).setText("yes" if row["edited"] else "")
                return

    def mark_unsaved(self, frame_id: str) -> None:
        for r in range(self.table.rowCount()):
            if self.frame_id_at(r) == frame_id:
                self.table.item(r, 5).setText("NOT SAVED")

    def _apply_filter(self, state: str) -> None:
        for r in range(self.table.rowCount()):
            self.table.setRowHidden(r, state != "all" and self.table.item(r, 1).text() != state)

    def _selected(self) -> None:
        if self._quiet:
            return
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.frame_activated.emit(self.frame_id_at(rows[0].row()))


class TargetTable(QTableWidget):
    """The targets of the frame: id, area, centroid, box, SCR, LPD (original, now), status, source."""

    target_selected = Signal(int)
    COLUMNS = ("#", "area", "x", "y", "box", "SCR", "LPD orig", "LPD now", "status", "source")

    def __init__(self, parent=None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.itemSelectionChanged.connect(self._selected)
        self._quiet = False

    def set_rows(self, rows: list[dict], selected: int | None) -> None:
        self._quiet = True
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = [row["index"] + 1, row["area"], f"{row['x']:.1f}", f"{row['y']:.1f}",
                      "{}x{} @({},{})".format(*row["size"], *row["origin"]),
                      _fmt(row["scr"]), _fmt(row["lpd_old"]), _fmt(row["lpd_new"]), row["status"], row["source"]]
            for c, value in enumerate(values):
                self.setItem(r, c, QTableWidgetItem(str(value)))
        if selected is not None and selected < len(rows):
            self.selectRow(selected)
        else:
            self.clearSelection()
        self._quiet = False

    def _selected(self) -> None:
        if self._quiet:
            return
        rows = self.selectionModel().selectedRows()
        if rows:
            self.target_selected.emit(rows[0].row())


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}"


class ToolPanel(QWidget):
    """Brush size, wand tolerance, Canny thresholds, overlay visibility and opacity."""

    changed = Signal()
    OVERLAYS = (("mask", "current mask", "M"), ("original", "original label", "O"), ("edges", "Canny edges", "E"),
                ("proposal", "proposal", "C"), ("prediction", "prediction", "H"), ("markers", "markers", "T"))

    def __init__(self, parent=None):
        super().__init__(parent)
        self.brush = QSpinBox()
        self.brush.setRange(1, 64)
        self.brush.setValue(3)
        self.tolerance = QSpinBox()
        self.tolerance.setRange(0, 65535)
        self.tolerance.setValue(20)
        self.canny_auto = QCheckBox("automatic")
        self.canny_auto.setChecked(True)
        self.canny_low = QSlider(Qt.Orientation.Horizontal)
        self.canny_high = QSlider(Qt.Orientation.Horizontal)
        for slider, value in ((self.canny_low, 40), (self.canny_high, 100)):
            slider.setRange(1, 1000)
            slider.setValue(value)
        tools = QGroupBox("Tools")
        form = QFormLayout(tools)
        form.addRow("Brush size, px across ([ ])", self.brush)
        form.addRow("Wand tolerance", self.tolerance)
        form.addRow("Canny thresholds", self.canny_auto)
        form.addRow("low", self.canny_low)
        form.addRow("high", self.canny_high)
        overlays = QGroupBox("Overlays")
        grid = QFormLayout(overlays)
        self.visible: dict[str, QCheckBox] = {}
        self.opacity: dict[str, QSlider] = {}
        for key, label, shortcut in self.OVERLAYS:
            box = QCheckBox(f"{label} ({shortcut})")
            box.setChecked(key in ("mask", "original", "markers"))
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setValue(70 if key != "markers" else 100)
            self.visible[key], self.opacity[key] = box, slider
            grid.addRow(box, slider)
            box.toggled.connect(self.changed)
            slider.valueChanged.connect(self.changed)
        self.prediction_outline = QCheckBox("prediction as outline (p > 0.5)")
        self.prediction_outline.toggled.connect(self.changed)
        grid.addRow(self.prediction_outline)
        layout = QVBoxLayout(self)
        layout.addWidget(tools)
        layout.addWidget(overlays)
        layout.addStretch(1)
        for widget in (self.canny_low, self.canny_high):
            widget.valueChanged.connect(self._manual_canny)
        self.canny_auto.toggled.connect(self.changed)

    def _manual_canny(self) -> None:
        self.canny_auto.setChecked(False)
        self.changed.emit()

    def canny_thresholds(self):
        if self.canny_auto.isChecked():
            return None, None
        low, high = sorted((self.canny_low.value(), self.canny_high.value()))
        return float(low), float(high)

    def toggle(self, key: str) -> None:
        self.visible[key].setChecked(not self.visible[key].isChecked())
