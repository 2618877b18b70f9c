"""Every decision kept: a failed save survives frame changes, statuses are status-only writes, undo restores them.

Driven through keys and clicks only; checked on what the user sees (the
Targets and Frames tables, the save-state label, the status line) and on the
files the project writes (mask PNGs, the SQLite edit log read as a file).
"""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget

from irstlabel.core.io.files import read_mask
from tests.datasets import frame_with, make_dataset
from tests.window import open_window
from tests.journeys.drive import table_rows
from tests.journeys.drive import drag_image, press, status_text, wait_for


def _dataset(tmp_path):
    frames = {f"f{k}": frame_with([(10, 10 + 8 * k, 14, 14 + 8 * k), (40, 50, 44, 54)], seed=k) for k in range(3)}
    return make_dataset(tmp_path / "data", frames)


def _targets(window) -> list[dict]:
    return table_rows(window.findChild(QTableWidget, "targets"))


def _frames(window) -> dict[str, dict]:
    return {row["frame"]: row for row in table_rows(window.findChild(QTableWidget, "frame-list"))}


def _save_state(window) -> str:
    return window.findChild(QLabel, "save-state").text()


def _log_actions(dataset, frame_id: str) -> list[str]:
    with sqlite3.connect(f"file:{dataset / '.irstlabel' / 'project.sqlite'}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT action FROM edits WHERE frame_id = ? ORDER BY id", (frame_id,))]


def _current_frame(window) -> str:
    return window.findChild(QTableWidget, "frame-list").selectedItems()[0].text()


def test_a_failed_save_survives_frame_changes_and_is_written_once_writing_works(qtbot, tmp_path):
    dataset = _dataset(tmp_path)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    masks = dataset / ".irstlabel" / "masks"
    wait_for(lambda: _current_frame(window) == "f0", what="the first frame")
    assert len(_targets(window)) == 2
    shutil.rmtree(masks)
    masks.write_text("a file where the masks folder should be")  # every mask write now fails, as on a broken disk

    press(window, "B")
    drag_image(window.canvas, [(60, 20), (64, 20), (68, 20)])
    press(window, "Ctrl+S")
    wait_for(lambda: _save_state(window).startswith("NOT SAVED"), what="the failed save to show")
    assert len(_targets(window)) == 3
    press(window, "PgDown")
    wait_for(lambda: _current_frame(window) == "f1", what="the next frame")
    assert "1 other frame NOT SAVED" in _save_state(window)
    assert _frames(window)["f0"]["edited"] == "NOT SAVED"
    name = next(item for item in window.findChild(QTableWidget, "frame-list").findItems("f0", Qt.MatchFlag.MatchExactly))
    assert "NOT SAVED" in name.toolTip()  # the edited column may be out of view: the name says it too
    press(window, "PgUp")
    wait_for(lambda: _current_frame(window) == "f0", what="the frame with the failed save")
    assert len(_targets(window)) == 3, "the painted target was dropped on the frame change"

    press(window, "Ctrl+Q")  # nobody can answer a question offscreen: the window stays, the status says why
    assert window.isVisible() and "could not be saved" in status_text(window)

    press(window, "PgDown")
    masks.unlink()
    masks.mkdir()
    press(window, "Ctrl+S")  # on f1: the frame left unsaved is retried too
    wait_for(lambda: (masks / "f0.png").exists(), what="the unsaved frame to be written")
    saved = read_mask(masks / "f0.png").mask
    assert saved[20, 60:69].all() and saved.sum() > 2 * 16
    wait_for(lambda: _frames(window)["f0"]["edited"] == "yes", what="the frame list to show f0 saved")
    assert name.toolTip() == ""
    assert _save_state(window) == "saved"
    press(window, "Ctrl+Q")
    wait_for(lambda: not window.isVisible(), what="the window to close")


def test_a_reject_on_an_unedited_frame_is_a_status_only_write_and_undo_restores_it(qtbot, tmp_path):
    dataset = _dataset(tmp_path)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    wait_for(lambda: _current_frame(window) == "f0", what="the first frame")
    press(window, "Tab")
    press(window, "R")
    wait_for(lambda: _targets(window)[0]["status"] == "rejected", what="the target to show rejected")
    masks = dataset / ".irstlabel" / "masks"
    assert not (masks / "f0.png").exists()
    assert _log_actions(dataset, "f0") == ["target:rejected"]
    row = _frames(window)["f0"]
    assert row["edited"] == "" and row["state"] == "todo" and row["targets"] == "2"

    press(window, "Ctrl+Z")
    wait_for(lambda: _targets(window)[0]["status"] == "pending", what="undo to restore the status")
    press(window, "Ctrl+S")
    assert _log_actions(dataset, "f0") == ["target:rejected", "target:pending"]
    press(window, "Ctrl+Y")
    wait_for(lambda: _targets(window)[0]["status"] == "rejected", what="redo to reject again")


def test_an_accepted_proposal_undone_is_the_dataset_label_again(qtbot, tmp_path):
    image, _ = frame_with([(20, 30, 24, 34), (44, 6, 47, 9)])
    label = np.zeros_like(image, dtype=bool)
    label[18:27, 28:37] = True  # drawn loosely around the bright target: the proposal shrinks it
    label[44:47, 6:9] = True  # a second target: A moves on to it, on the same frame
    dataset = make_dataset(tmp_path / "data", {"loose": (image, label), "other": frame_with([(5, 5, 9, 9)])})
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    wait_for(lambda: _current_frame(window) == "loose", what="the frame")
    press(window, "Tab")
    press(window, "A")
    wait_for(lambda: _targets(window)[0]["status"] == "edited", what="the proposal to be accepted")
    accepted = _targets(window)[0]
    assert accepted["source"] == "canny" and int(accepted["area"]) < 81
    press(window, "Ctrl+S")
    assert (dataset / ".irstlabel" / "masks" / "loose.png").exists()

    press(window, "Ctrl+Z")
    wait_for(lambda: _targets(window)[0]["area"] == "81", what="undo to bring the label back")
    assert (_targets(window)[0]["status"], _targets(window)[0]["source"]) == ("pending", "dataset")
    press(window, "Ctrl+S")
    assert not (dataset / ".irstlabel" / "masks" / "loose.png").exists()
    assert _frames(window)["loose"]["edited"] == ""


def test_enter_accepts_the_label_and_moves_to_the_next_pending_target(qtbot, tmp_path):
    frames = {"a": frame_with([(10, 10, 13, 13), (10, 40, 13, 43), (40, 10, 43, 13)]), "b": frame_with([(30, 30, 33, 33)])}
    dataset = make_dataset(tmp_path / "data", frames)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    wait_for(lambda: _current_frame(window) == "a", what="the frame")
    press(window, "Tab")
    press(window, "Tab")
    press(window, "R")  # the second target: not a target; on to the next target that needs a decision
    selected = window.findChild(QTableWidget, "targets").selectedItems()
    assert selected and selected[0].text() == _targets(window)[2]["id"], "R did not move past the decided target"
    press(window, "Shift+Tab")
    press(window, "Shift+Tab")
    press(window, "Return")
    statuses = [row["status"] for row in _targets(window)]
    assert statuses == ["accepted", "rejected", "pending"]
    selected = window.findChild(QTableWidget, "targets").selectedItems()
    assert selected and selected[0].text() == _targets(window)[2]["id"], "Enter did not move past the decided target"
    press(window, "Return")
    wait_for(lambda: _current_frame(window) == "b", what="Enter on the last pending target to go on to the next frame")
    press(window, "PgUp")
    assert [row["status"] for row in _targets(window)] == ["accepted", "rejected", "accepted"]
    assert not (dataset / ".irstlabel" / "masks" / "a.png").exists()


def test_done_keeps_the_frame_lists_target_count(qtbot, tmp_path):
    dataset = _dataset(tmp_path)
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    wait_for(lambda: all(row["targets"] == "2" for row in _frames(window).values()), what="the target counts")
    press(window, "D")
    press(window, "F")
    rows = _frames(window)
    assert (rows["f0"]["state"], rows["f1"]["state"]) == ("done", "flagged")
    assert all(row["targets"] == "2" for row in rows.values())
