"""Cancel, evaluate, import and compare, quit while a job runs: through keys, buttons and dialogs only."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from irstlabel.core.io.files import read_mask
from irstlabel.core.metrics.evaluation import count_frame
from tests.helpers import write_mask_file, strict_loads
from tests.journeys.drive import (
    button,
    choose,
    click,
    click_image,
    current_frame,
    drawn_mask,
    menu_action,
    offered_sets,
    open_dialog,
    press,
    shown_set,
    status_text,
    type_path,
    wait_for,
)
from tests.journeys.retraining import assert_row_equals_cli, results_row, start_long_retrain


def other_method(dataset, folder, *, shift: int, false_blob: bool):
    """Another method's binary predictions: each label shifted, maybe with a false blob."""
    for path in sorted((dataset / "masks").glob("*.png")):
        mask = read_mask(path).mask
        pred = np.roll(mask, shift, axis=1)
        if false_blob:
            pred[1:3, 1:3] = True
        write_mask_file(folder / path.name, pred)
    return folder


def import_folder(window, folder) -> None:
    menu_action(window, "File", "Import predictions folder...").trigger()
    type_path(open_dialog(QFileDialog), str(folder))
    wait_for(lambda: folder.name in offered_sets(window), timeout=120, what=f"'{folder.name}' to be imported")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_cancel_stops_a_retraining_and_registers_nothing(window):
    start_long_retrain(window)
    assert "Retrain: training" in window.status.progress.format()  # the bar's own words, not a passing message
    click(window.status.cancel_button)
    wait_for(lambda: "Retrain cancelled" in status_text(window), timeout=60, what="the cancel to be reported")
    assert not window.status.progress.isVisible() and not window.status.cancel_button.isVisible()
    assert window.results.table.rowCount() == 0 and offered_sets(window) == []
    press(window, "Ctrl+E")  # nothing to evaluate, and the status bar says why, not that a job runs
    assert "no prediction set yet" in status_text(window)


def test_evaluate_an_imported_set_equals_the_eval_command(window, dataset, tmp_path):
    folder = other_method(dataset, tmp_path / "shifted", shift=1, false_blob=True)
    import_folder(window, folder)
    press(window, "Ctrl+E")
    wait_for(lambda: window.results.table.rowCount() == 1, timeout=120, what="the Results row")
    row = results_row(window, "shifted")
    out = subprocess.run([sys.executable, "-m", "irstlabel.cli", "eval", "--gt", str(dataset), "--pred", str(folder),
                          "--split", "test", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert_row_equals_cli(row, strict_loads(out.stdout))
    out_dir = None
    click(window.results.export_button)
    wait_for(lambda: "exported to" in status_text(window), timeout=30, what="the export")
    out_dir = status_text(window).split("exported to ", 1)[1]
    assert {p for p in os.listdir(out_dir)} >= {"metrics.csv", "metrics.json", "pr.png", "roc.png", "pd.png", "pa.png"}


def test_import_two_sets_review_markers_and_compare_them(window, dataset, tmp_path):
    import_folder(window, other_method(dataset, tmp_path / "shifted", shift=1, false_blob=True))
    import_folder(window, other_method(dataset, tmp_path / "exact", shift=0, false_blob=False))
    assert shown_set(window) == "exact"  # the newest set is shown
    press(window, "H")
    assert window.canvas.layers["prediction"].image is not None
    choose(window, "prediction-set", "shifted")
    press(window, "V")  # review markers: hits, misses, false alarms of the shown set
    frame_id = current_frame(window)
    counts = count_frame(drawn_mask(window), window.project.predictions.read("shifted", frame_id))
    assert window.canvas.review_counts() == {"hit": counts.true_detections, "miss": counts.missed,
                                             "false_alarm": counts.false_alarms}
    assert counts.false_alarms >= 1
    choose(window, "compare-set", "exact")  # the Compare dock's drop-down
    shown = window.compare.canvas.layers["prediction"].image
    assert shown is not None and shown.shape == drawn_mask(window).shape
    press(window, "PgDown")  # the comparison follows the frame
    assert current_frame(window) != frame_id
    main, beside = window.canvas.view.viewRect(), window.compare.canvas.view.viewRect()
    assert beside.contains(main.center()) and beside.width() >= main.width() * 0.99  # the same region, locked
    assert beside.width() <= 2 * main.width() and beside.height() <= 2 * main.height()
    click_image(window.canvas, 2, 2)  # a click on the frame still works with both sets shown


def test_quitting_while_a_job_runs_asks_and_cancels_cleanly(window, qtbot):
    start_long_retrain(window)
    pids = [job.pid for job in window.runner.running()]
    press(window, "Ctrl+Q")
    box = open_dialog(QMessageBox)
    click(button(box, "Keep working"))
    QApplication.processEvents()
    assert window.isVisible() and all(alive(pid) for pid in pids)
    press(window, "Ctrl+Q")
    box = open_dialog(QMessageBox)
    click(button(box, "Cancel the job and quit"))
    wait_for(lambda: not window.isVisible(), timeout=30, what="the window to close")
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=30, what="the worker to stop")
