"""Each action does only the work it needs: counted per key press, on the window's own tally.

Before, one PgDown read the same prediction map 5 times and labelled the mask 7
times, and an opacity tick recomputed full-frame Canny edges.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QSlider

from irstlabel.project.store import Project
from tests.datasets import frame_with, make_dataset
from tests.window import open_window
from tests.journeys.drive import drag_image, press


def test_work_done_by_each_action(qtbot, tmp_path):
    frames = {f"f{k}": frame_with([(10, 10 + 3 * k, 13, 13 + 3 * k), (40, 50, 43, 53)], seed=k) for k in range(4)}
    dataset = make_dataset(tmp_path / "data", frames)
    with Project.open(dataset) as project:
        with project.predictions.writer("model") as writer:
            for frame_id, (_, mask) in frames.items():
                writer.write(frame_id, mask.astype(float) * 0.9)
        project.registry.register_prediction_set("model", "folder", str(tmp_path))
    window = open_window(qtbot, dataset, tmp_path / "s.ini")
    counts = window.counts

    def work(*keys):
        before = dict(counts)
        for key in keys:
            press(window, key) if isinstance(key, str) else key()
        return {k: counts[k] - before.get(k, 0) for k in counts if counts[k] != before.get(k, 0)}

    assert work("H") == {"prediction_read": 1}  # the prediction shown: one read
    assert work("H", "H") == {}  # hidden and shown again: the map is kept for the frame
    assert work("PgDown") == {"labelled": 1, "prediction_read": 1}
    slider = window.tools.findChild(QSlider, "opacity-mask")

    def opacity_tick():
        slider.setFocus()
        QTest.keyClick(slider, Qt.Key.Key_Left)
        QApplication.processEvents()

    layer = window.canvas.layers["mask"]
    opacity = layer.opacity()
    assert work(opacity_tick) == {} and layer.opacity() < opacity
    assert work("E") == {"edges": 1}
    assert work(lambda: (window.tools.findChild(QSlider, "opacity-edges").setFocus(),
                         QTest.keyClick(window.tools.findChild(QSlider, "opacity-edges"), Qt.Key.Key_Left))) == {}
    assert work("PgDown") == {"labelled": 1, "prediction_read": 1, "edges": 1}
    assert work("C", "Tab") == {"proposal": 1}
    assert work("Tab") == {"proposal": 1}
    assert work("Shift+Tab", "Tab") == {}  # back to a target whose proposal is kept, and forth
    press(window, "B")
    # a stroke away from the selected target: one labelling, its proposal kept
    assert work(lambda: drag_image(window.canvas, [(70, 60), (74, 60)])) == {"labelled": 1}
    window.close()
