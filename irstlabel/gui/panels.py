"""Side panels: the frame list and the target table (the tool and overlay controls: :mod:`.tool_panel`)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import display_path
from ..core.datasets.layouts import natural_key

STATE_FILTERS = ("all", "todo", "in_progress", "done", "flagged")
DISAGREES = "model disagrees"  # the filter of the review queue: frames with a miss or a false alarm


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


class _SearchBox(QLineEdit):
    """A line edit that keeps Enter and Escape for itself (the window binds Enter to closing a polygon)."""

    def event(self, event):
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter,
                                                                              Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Escape:
            self.clearFocus()
            return
        super().keyPressEvent(event)


class FrameList(QWidget):
    """Frames with review state, targets, LPD change; filter by state, sort by any column."""

    frame_activated = Signal(str)
    not_found = Signal(str)
    COLUMNS = ("frame", "state", "targets", "LPD down", "worst LPD change", "edited", "model misses",
               "model false alarms", "model disagreements (misses + false alarms)")
    HEADERS = ("frame", "state", "targets", "LPD\u2193", "worst \u0394LPD", "edited", "misses", "false al.",
               "disagree")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._dataset_counts: dict[str, int] = {}  # targets of the dataset's labels, for frames without records
        self.filter = QComboBox()
        self.filter.setObjectName("state-filter")
        self.filter.addItems((*STATE_FILTERS, DISAGREES))
        self.search = _SearchBox()
        self.search.setObjectName("go-to-frame")
        self.search.setPlaceholderText("Go to frame (Ctrl+G): type part of a name, Enter")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("frame-list")
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        for c, what in enumerate(self.COLUMNS):
            self.table.horizontalHeaderItem(c).setToolTip(what)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setSortingEnabled(True)
        # sorting by a column far right (misses, false alarms) scrolls back: the names stay in view
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            lambda column, order: self.table.horizontalScrollBar().setValue(0))
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show"))
        row.addWidget(self.filter, 1)
        layout.addLayout(row)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        self.filter.currentTextChanged.connect(self._apply_filter)
        self.search.returnPressed.connect(self._go_to)
        self.table.itemSelectionChanged.connect(self._selected)
        self._rows: dict[str, dict] = {}  # frame id -> its frame_summary row: filters read these, never cells
        self._quiet = False

    def set_rows(self, rows: list[dict], current: str | None = None) -> None:
        first = self.table.rowCount() == 0
        self._quiet = True
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        self._rows = {row["frame_id"]: dict(row) for row in rows}
        for r, row in enumerate(rows):
            name = _NaturalItem(display_path(row["frame_id"]))
            name.setData(Qt.ItemDataRole.UserRole, row["frame_id"])
            self.table.setItem(r, 0, name)
            self._fill(r, row)
        self.table.setSortingEnabled(True)
        if first:
            self.table.sortItems(0, Qt.SortOrder.AscendingOrder)
            self.table.resizeColumnsToContents()
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

    def _fill(self, r: int, row: dict) -> None:
        """Every column from a frame_summary row (the name's text stays; its NOT SAVED colour goes)."""
        name = self.table.item(r, 0)
        name.setData(Qt.ItemDataRole.ForegroundRole, None)
        name.setToolTip("")
        worst = row["lpd_worst_change"]
        targets = row["targets"] if row["targets"] is not None else self._dataset_counts.get(row["frame_id"])
        cells = [QTableWidgetItem(row["state"]), _NumberItem(targets),
                 _NumberItem(row["lpd_decreased"] if row["edited"] else None),
                 _NumberItem(worst, None if worst is None else f"{worst:.1f}"),
                 QTableWidgetItem("yes" if row["edited"] else ""),
                 _NumberItem(row.get("model_misses")), _NumberItem(row.get("model_false_alarms")),
                 _NumberItem(_disagreements(row))]
        for c, cell in enumerate(cells, start=1):
            self.table.setItem(r, c, cell)

    def update_row(self, row: dict) -> None:
        """Refresh every column of one frame's row (sorting is paused so the row stays put while filled)."""
        for r in range(self.table.rowCount()):
            if self.frame_id_at(r) == row["frame_id"]:
                self._rows[row["frame_id"]] = dict(row)
                sorting = self.table.isSortingEnabled()
                self.table.setSortingEnabled(False)
                self._fill(r, row)
                self.table.setSortingEnabled(sorting)
                self._apply_filter(self.filter.currentText())
                return

    def set_target_counts(self, counts: dict[str, int]) -> None:
        """Target counts of unedited frames (their dataset labels), filled in as they are computed."""
        self._dataset_counts.update(counts)
        sorting = self.table.isSortingEnabled()
        self.table.setSortingEnabled(False)
        for r in range(self.table.rowCount()):
            n = counts.get(self.frame_id_at(r))
            if n is not None and not self._rows.get(self.frame_id_at(r), {}).get("edited"):
                self.table.setItem(r, self.COLUMNS.index("targets"), _NumberItem(n))
        self.table.setSortingEnabled(sorting)

    def _go_to(self) -> None:
        """Enter in the search box: the first frame (in the list's order) whose name holds the text."""
        text = self.search.text().strip().lower()
        if not text:
            return
        names = [(r, display_path(self.frame_id_at(r)).lower()) for r in range(self.table.rowCount())]
        exact = [r for r, name in names if name == text]
        found = exact or [r for r, name in names if text in name]
        if found:
            self.search.clearFocus()  # back to the window: D, Tab, A act on the frame again
            self.frame_activated.emit(self.frame_id_at(found[0]))
        else:
            self.not_found.emit(self.search.text())

    def mark_unsaved(self, frame_id: str) -> None:
        """A frame whose save failed: said in its edited column, and its name in red (the column may be out of view)."""
        for r in range(self.table.rowCount()):
            if self.frame_id_at(r) == frame_id:
                self.table.item(r, self.COLUMNS.index("edited")).setText("NOT SAVED")
                name = self.table.item(r, 0)
                name.setForeground(QBrush(QColor(255, 90, 90)))
                name.setToolTip("NOT SAVED: kept in memory, saved as soon as writing works again")

    def _apply_filter(self, state: str) -> None:
        for r in range(self.table.rowCount()):
            row = self._rows.get(self.frame_id_at(r), {})
            shown = (state == "all" or row.get("state") == state
                     or (state == DISAGREES and (_disagreements(row) or 0) > 0))
            self.table.setRowHidden(r, not shown)

    def has_disagreements(self) -> bool:
        """Whether the rows hold a model's misses and false alarms (an evaluation over every frame)."""
        return any(_disagreements(row) is not None for row in self._rows.values())

    def show_review_queue(self) -> list[str]:
        """Only the frames where the model disagrees with the labels, most disagreements first; their ids."""
        self.filter.setCurrentText(DISAGREES)
        self.table.sortItems(len(self.COLUMNS) - 1, Qt.SortOrder.DescendingOrder)
        return self.visible_ids()

    def _selected(self) -> None:
        if self._quiet:
            return
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.frame_activated.emit(self.frame_id_at(rows[0].row()))


def _disagreements(row: dict) -> int | None:
    misses, false_alarms = row.get("model_misses"), row.get("model_false_alarms")
    return None if misses is None and false_alarms is None else (misses or 0) + (false_alarms or 0)


class TargetTable(QTableWidget):
    """The targets of the frame by id: area, centroid, box, SCR, LPD (original, now), status, source."""

    target_selected = Signal(int)  # a target id
    COLUMNS = ("id", "LPD orig", "LPD now", "status", "area", "SCR", "source", "box", "x", "y")

    def __init__(self, parent=None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.setObjectName("targets")
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.itemSelectionChanged.connect(self._selected)
        self._ids: list[int] = []
        self._quiet = False

    def set_rows(self, records, selected: int | None) -> None:
        """One row per record (a TargetRecord); `selected` is a target id."""
        self._quiet = True
        self._ids = [r.id for r in records]
        self.setRowCount(len(records))
        for row, r in enumerate(records):
            r0, c0, r1, c1 = r.bbox
            values = [r.id, _fmt(r.lpd_old), _fmt(r.lpd_new), r.status, r.area, _fmt(r.scr), r.source,
                      f"{r1 - r0}x{c1 - c0} @({c0},{r0})", f"{r.centroid[0]:.1f}", f"{r.centroid[1]:.1f}"]
            for c, value in enumerate(values):
                self.setItem(row, c, QTableWidgetItem(str(value)))
        self.resizeColumnsToContents()
        self._quiet = False
        self.select_id(selected)

    def select_id(self, target_id: int | None) -> None:
        self._quiet = True
        if target_id in self._ids:
            self.selectRow(self._ids.index(target_id))
            self.scrollToItem(self.item(self._ids.index(target_id), 0))
        else:
            self.clearSelection()
        self._quiet = False

    def _selected(self) -> None:
        if self._quiet:
            return
        rows = self.selectionModel().selectedRows()
        if rows:
            self.target_selected.emit(self._ids[rows[0].row()])


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}"
