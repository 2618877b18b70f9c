"""Opening a download that holds only a test split: it opens, and the status bar says what is absent."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QToolButton

from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.gui.main_window import MainWindow
from tests.journeys.drive import button, click, open_dialog, press, status_text, type_path, wait_for


def test_ctrl_o_opens_a_test_only_download_and_names_the_absent_split(window, tmp_path):
    root = make_demo_dataset(tmp_path / "download", frames=4, size=(40, 48), seed=3)
    (root / "50_50").mkdir()
    (root / "50_50" / "test.txt").write_text("frame_0003\nframe_0004\n")
    press(window, "Ctrl+O")
    type_path(open_dialog(QFileDialog), str(root))

    def the_new_window():
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
                 and w is not window]
        return found[0] if found else None

    wait_for(lambda: the_new_window() is not None, timeout=30, what="the dataset to open in a new window")
    opened = the_new_window()
    assert len(opened.project.dataset) == 4
    note = opened.statusBar().findChild(QToolButton, "open-note")
    expected = f"{root / '50_50'}: no train split (train.txt not found; split files here: test.txt)"
    assert note.isVisible() and expected in note.toolTip()
    press(opened, "PgDown")  # frame messages come and go; the note stays behind its button
    assert note.isVisible() and "frame_0002" in status_text(opened) and expected not in status_text(opened)
    click(note)
    shown = open_dialog(QMessageBox)
    assert expected in shown.text()
    click(button(shown, "Close"))
    opened.close()
    opened.project.close()
