"""Curation from the GUI with a real worker process.

Retraining, cancelling, evaluating, importing, comparing and a failing worker
are journeys in tests/journeys/, driven by keys, buttons and dialogs.
"""

import pytest

from irstlabel.core.datasets.synthetic import make_demo_dataset
from tests.window import close_window, open_window


@pytest.fixture
def window(qtbot, tmp_path):
    dataset = make_demo_dataset(tmp_path / "d", frames=6, size=(48, 64), seed=7, n_targets=(1, 3))
    win = open_window(qtbot, dataset, tmp_path / "s.ini")
    yield win
    close_window(win)


def test_curation_dialog_runs_dedup_as_a_job(window, qtbot):
    window.show_curation()
    dialog = window.curation
    dialog.step.setCurrentIndex(dialog.step.findData("dedup"))
    dialog.threshold.setValue(0.85)
    dialog.run()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=60_000)
    assert "6 frames: keep 6, drop 0" in dialog.report.toPlainText()
    dialog.step.setCurrentIndex(dialog.step.findData("unify"))
    dialog.run()  # no output folder chosen: said, nothing started
    assert dialog.job is None and "Choose an output folder" in dialog.report.toPlainText()
    dialog.close()
