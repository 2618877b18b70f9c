"""Tab walks what needs a decision -- pending labels and predicted targets no label covers -- across frames,
and Q makes the frame list a review queue, most disagreements first. Driven by keys; judged by the table's
rows and selection, the ring on the canvas, the frame in the title and the frame list's rows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QTableWidget

from tests.datasets import frame_with, make_dataset
from tests.helpers import write_mask_file
from tests.journeys.drive import click_image, current_frame, go_to_frame, press, selected_target, status_text, target_rows, wait_for
from tests.journeys.test_jobs_and_review import import_folder
from tests.window import close_window, open_window

LABELS = {
    "f0": [(10, 10, 13, 13), (10, 40, 13, 43), (40, 10, 43, 13)],
    "f1": [],  # target-free, and the model agrees: nothing to decide
    "f2": [(30, 30, 33, 33)],
    "f3": [(20, 20, 23, 23)],
}
FALSE_ALARMS = {"f0": [(25, 60), (50, 50)], "f3": [(5, 5), (5, 70), (55, 5), (55, 70)]}
MISSED = {"f0": [1]}  # the model misses f0's second label


@pytest.fixture
def walk(qtbot, tmp_path):
    frames, predictions = {}, tmp_path / "model-a"
    for k, (frame_id, boxes) in enumerate(LABELS.items()):
        image, mask = frame_with(boxes, seed=k)
        for r, c in FALSE_ALARMS.get(frame_id, []):
            image[r:r + 2, c:c + 2] = 150
        frames[frame_id] = (image, mask)
        predicted = np.zeros_like(mask)
        for j, (r0, c0, r1, c1) in enumerate(boxes):
            if j not in MISSED.get(frame_id, []):
                predicted[r0:r1, c0:c1] = True
        for r, c in FALSE_ALARMS.get(frame_id, []):
            predicted[r:r + 2, c:c + 2] = True
        write_mask_file(predictions / f"{frame_id}.png", predicted)
    window = open_window(qtbot, make_dataset(tmp_path / "data", frames), tmp_path / "settings.ini")
    import_folder(window, predictions)
    if not window.findChild(QCheckBox, "show-prediction").isChecked():
        press(window, "H")
    yield window
    close_window(window)


def ring(window):
    """Where the canvas rings the place the user stands on (frame pixels, top-left origin), or None."""
    item = window.canvas.selected_marker
    xs, ys = item.getData()
    return None if xs is None or len(xs) == 0 else (float(xs[0]) - 0.5, float(ys[0]) - 0.5)


def rows_by_id(window) -> dict[int, dict]:
    return {int(row["id"]): row for row in target_rows(window)}


def test_tab_walks_pending_labels_and_unlabelled_predictions_and_each_decision_moves_on(walk):
    window = walk
    assert current_frame(window) == "f0"
    press(window, "Tab")
    assert selected_target(window) == 1
    press(window, "Return")  # label 1 is right
    assert selected_target(window) == 2  # the label the model missed: it needs a decision too
    press(window, "Return")
    # next in raster order: the model's target at (25, 60), which no label covers; the canvas rings it
    assert selected_target(window) is None and ring(window) == (60.5, 25.5)
    view = window.canvas.view.viewRect()
    assert view.contains(60.5, 25.5) and view.width() < 80  # centred, zoomed to its surroundings
    assert "without a label" in status_text(window)
    press(window, "R")  # a known false alarm: kept as a rejected target, then on to label 3
    rows = rows_by_id(window)
    assert len(rows) == 4 and rows[4]["status"] == "rejected" and rows[4]["source"] == "prediction:model-a"
    assert selected_target(window) == 3
    press(window, "Ctrl+Z")  # one step takes the target and its decision back
    assert len(rows_by_id(window)) == 3
    press(window, "Ctrl+Y")
    assert rows_by_id(window)[4]["status"] == "rejected"
    press(window, "Tab")  # label 3 passed: the model's target at (50, 50)
    assert ring(window) == (50.5, 50.5)
    press(window, "Shift+A")  # the prediction becomes a label
    assert current_frame(window) == "f1"  # the frame's last decision: one frame on, never further
    assert selected_target(window) is None and ring(window) is None
    press(window, "Tab")  # nothing to decide on f1: on to f2's label
    assert current_frame(window) == "f2" and selected_target(window) == 1
    stored = {r["target"]: r["status"] for r in window.project.targets("f0")}
    assert stored == {1: "accepted", 2: "accepted", 3: "pending", 4: "rejected", 5: "edited"}  # saved as made

    press(window, "Shift+Tab")  # back over f1 to f0's last stop: label 3, still pending
    assert current_frame(window) == "f0" and selected_target(window) == 3
    added = rows_by_id(window)[5]  # what Shift+A took from the prediction
    assert added["source"] == "prediction:model-a" and added["area"] == "4" and added["status"] == "edited"
    press(window, "N")  # N walks every label, decided or not, in the table's order (where they lie)
    assert selected_target(window) == 5
    press(window, "Shift+N")
    press(window, "Shift+N")
    assert selected_target(window) == 4


def test_tab_past_the_last_decision_says_so_and_stays(walk):
    window = walk
    go_to_frame(window, "f3")
    assert current_frame(window) == "f3"
    for _ in range(5):  # the label and four predicted targets
        press(window, "Tab")
    assert current_frame(window) == "f3" and ring(window) == (70.5, 55.5)
    press(window, "Tab")
    assert current_frame(window) == "f3" and ring(window) == (70.5, 55.5)
    assert "Nothing after this needs a decision" in status_text(window)
    click_image(window.canvas, 62, 46)  # a click on nothing: the user stands nowhere, and R has nothing to reject
    assert ring(window) is None
    press(window, "R")
    assert "select a target first" in status_text(window) and len(target_rows(window)) == 1
    press(window, "Shift+Tab")
    assert ring(window) == (70.5, 55.5)
    press(window, "H")  # predictions hidden: Tab walks the labels alone
    assert ring(window) is None
    press(window, "Tab")
    assert selected_target(window) == 1


def test_q_makes_the_frame_list_a_review_queue_most_disagreements_first(walk):
    window = walk
    press(window, "Q")  # no per-frame figures yet: the shown set is scored on every frame first
    listed = window.findChild(QTableWidget, "frame-list")
    wait_for(lambda: current_frame(window) == "f3", timeout=120, what="the queue's first frame")
    names = [listed.item(r, 0).text() for r in range(listed.rowCount()) if not listed.isRowHidden(r)]
    assert names == ["f3", "f0"]  # 4 false alarms, then 1 miss + 2 false alarms; agreeing frames hidden
    assert window.findChild(QComboBox, "state-filter").currentText() == "model disagrees"
    assert ring(window) == (5.5, 5.5)  # standing on the first predicted target of f3
    for _ in range(4):
        press(window, "Tab")
    press(window, "Tab")  # f3 done: the queue's next frame, target by target
    assert current_frame(window) == "f0" and selected_target(window) == 1


def test_a_takes_the_canny_proposal_of_a_predicted_target_as_a_label(walk):
    window = walk
    go_to_frame(window, "f3")
    press(window, "Tab")
    assert ring(window) == (5.5, 5.5)
    press(window, "A")
    rows = target_rows(window)
    [taken] = [row for row in rows if row["source"] == "canny"]
    assert taken["status"] == "edited" and "@(5,5)" in taken["box"]  # around the bright blob the model found
    assert ring(window) == (70.5, 5.5)  # on to the next decision
    press(window, "Ctrl+Z")
    assert [row["source"] for row in target_rows(window)] == ["dataset"]
