"""A worker killed mid-training: the user is told, and the window goes on working."""

from __future__ import annotations

import os
import signal

from tests.journeys.drive import current_frame, drag_image, drawn_mask, press, status_text, wait_for
from tests.journeys.retraining import start_long_retrain


def test_a_killed_worker_is_reported_and_editing_goes_on(window):
    start_long_retrain(window)
    [job] = window.runner.running()
    os.kill(job.pid, signal.SIGKILL)
    wait_for(lambda: "A background job failed" in status_text(window), timeout=60, what="the failure message")
    assert "killed by signal 9" in status_text(window)
    assert not window.status.progress.isVisible() and not window.status.cancel_button.isVisible()
    first = current_frame(window)
    press(window, "PgDown")
    assert current_frame(window) != first
    press(window, "B")  # the brush paints, and the frame can be saved
    before = int(drawn_mask(window).sum())
    drag_image(window.canvas, [(2, 2), (4, 2), (6, 2), (8, 2)])
    assert int(drawn_mask(window).sum()) > before
    press(window, "Ctrl+S")
    assert window.status.save_label.text() == "saved"
    press(window, "Ctrl+R")  # and a new retraining can start
    from irstlabel.gui.retrain import RetrainDialog
    from tests.journeys.drive import button, click, open_dialog

    click(button(open_dialog(RetrainDialog), "Cancel"))
