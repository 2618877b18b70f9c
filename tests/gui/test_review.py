"""Retraining and review from the GUI, with real worker processes."""

import os
import signal

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from irstlabel.core.metrics import count_frame
from irstlabel.core.synthetic import make_demo_dataset
from irstlabel.gui.main_window import MainWindow
from irstlabel.gui.retrain import job_settings
from irstlabel.project.store import Project
from tests.helpers import write_mask_file

TINY = {"epochs": 2, "height": 48, "width": 64, "batch": 2, "loss": "fsiou", "variant": "B", "channels": 16,
        "scratch": True}


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    # a tiny network keeps the real worker process fast on CI
    import irstlabel.gui.retrain as retrain

    def tiny_settings(values, init):
        settings = job_settings(values, init)
        settings["model"].update(lfe_widths=[16, 32, 64, 64], lfe_blocks=[1, 1, 1, 1], heads=[1, 1, 2, 2])
        settings["train"].update(workers=0, device="cpu")
        return settings

    monkeypatch.setattr(retrain, "job_settings", tiny_settings)
    dataset = make_demo_dataset(tmp_path / "d", frames=6, size=(48, 64), seed=7, n_targets=(1, 3))
    project = Project.open(dataset)
    win = MainWindow(project, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    project.close()


def test_retrain_runs_workers_to_completion_and_registers_everything(window, qtbot):
    with qtbot.waitSignal(window.retrainer.finished, timeout=240_000) as blocker:
        window.start_retrain(dict(TINY))
    summary = blocker.args[0]
    assert summary["status"] == "finished"
    project = window.project
    assert [c["name"] for c in project.checkpoints()] == [summary["name"]]
    assert len(project.predictions.frame_ids(summary["name"])) == 6
    assert window.set_combo.currentText() == summary["name"]
    assert window.results.table.rowCount() == 1
    columns = [window.results.table.horizontalHeaderItem(c).text() for c in range(window.results.table.columnCount())]
    assert float(window.results.table.item(0, columns.index("fps")).text()) > 0
    assert 0 < float(window.results.table.item(0, columns.index("params (M)")).text()) < 20
    assert "F1-T" in window.statusBar().currentMessage()
    out = window.results.export(project.folder / "evaluation")
    assert {p.name for p in out.iterdir()} >= {"metrics.csv", "metrics.json", "pr.png", "pd.png"}


def test_cancel_stops_a_retraining(window, qtbot):
    started = []
    window.retrainer.progress.connect(lambda *args: started.append(args))
    slow = dict(TINY, epochs=200)
    with qtbot.waitSignal(window.retrainer.finished, timeout=120_000) as blocker:
        window.start_retrain(slow)
        qtbot.waitUntil(lambda: bool(started), timeout=60_000)
        window.retrainer.cancel()
    assert blocker.args[0]["status"] == "cancelled"
    assert window.project.checkpoints() == []


def test_a_killed_worker_shows_its_error_and_the_window_keeps_working(window, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, text: shown.append((title, text)))
    started = []
    window.retrainer.progress.connect(lambda *args: started.append(args))
    with qtbot.waitSignal(window.retrainer.failed, timeout=120_000):
        window.start_retrain(dict(TINY, epochs=200))
        qtbot.waitUntil(lambda: bool(started), timeout=60_000)
        os.kill(window.retrainer.job.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(shown), timeout=5_000)
    assert "killed by signal 9" in shown[0][1]
    window.step_frame(1)  # still responsive and editable
    window.set_tool("brush")
    window._on_stroke("start", 5, 5)
    window._on_stroke("end", 8, 5)
    assert window.session.save()


def test_review_markers_agree_with_the_metrics(window, qtbot, tmp_path):
    # import another method's predictions: a shifted copy of each label plus a false blob
    folder = tmp_path / "other-method"
    project = window.project
    for frame_id in project.frame_ids:
        pred = np.roll(project.load_mask(frame_id), 1, axis=1)
        pred[1:3, 1:3] = True
        write_mask_file(folder / f"{frame_id}.png", pred)
    done = []
    window.runner.events.event.connect(lambda e: e.get("event") == "finished" and done.append(e))
    window.import_predictions(str(folder))
    qtbot.waitUntil(lambda: window.set_combo.findText("other-method") >= 0, timeout=60_000)
    window.set_combo.setCurrentText("other-method")
    window.review_action.setChecked(True)
    for frame_id in project.frame_ids[:3]:
        window.open_frame(frame_id)
        window._update_review()
        counts = count_frame(window.session.frame.mask, project.predictions.read("other-method", frame_id))
        shown = window.canvas.review_counts()
        assert shown == {"hit": counts.true_detections, "miss": counts.missed, "false_alarm": counts.false_alarms}
        assert shown["false_alarm"] >= 1
    window.tools.visible["prediction"].setChecked(True)
    heat = window.canvas.layers["prediction"].image.copy()
    window.tools.prediction_outline.setChecked(True)  # the same prediction drawn as an outline
    outline = window.canvas.layers["prediction"].image
    assert set(np.unique(outline)) <= {0, 1, 2} and not np.array_equal(outline, heat)
    window.compare.set_combo.setCurrentText("other-method")  # the side-by-side view follows the frame
    levels = window.compare.canvas.layers["prediction"].image
    assert levels is not None and levels.shape == window.session.frame.mask.shape
    assert window.compare.canvas.view.linkedView(0) is window.canvas.view


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
