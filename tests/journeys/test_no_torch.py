"""The GUI process, and workers that only evaluate or import, never import torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str, **env) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env})


def test_importing_the_window_does_not_import_torch():
    out = _run("import sys, irstlabel.gui.main_window; print('torch' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_an_open_window_with_results_and_a_retrain_dialog_never_imports_torch(tmp_path):
    code = f"""
        import sys
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        from irstlabel.core.datasets.synthetic import make_demo_dataset
        from irstlabel.gui.opening import open_project
        from irstlabel.gui.main_window import MainWindow
        from tests.journeys.drive import press, open_dialog, button, click
        from irstlabel.gui.retrain import RetrainDialog

        app = QApplication([])
        root = make_demo_dataset({str(tmp_path / "d")!r}, frames=3, size=(48, 64), seed=1)
        project, note = open_project(root, None)
        project.registry.register_checkpoint("m", "m.pt", config={{"channels": 16}}, metrics={{"parameters": 1, "fps": 2.0}})
        window = MainWindow(project, settings=QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
        window.show()
        for keys in ("PgDown", "H", "V", "Ctrl+E"):
            press(window, keys)
        press(window, "Ctrl+R")
        click(button(open_dialog(RetrainDialog), "Cancel"))
        app.processEvents()
        print("torch" in sys.modules)
        window.close()
        project.close()
    """
    out = _run(code, PYTHONPATH=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_evaluate_and_import_jobs_do_not_import_torch(tmp_path):
    code = f"""
        import sys
        import numpy as np
        from irstlabel.core.datasets.synthetic import make_demo_dataset
        from irstlabel.jobs.runner import run_job
        from irstlabel.jobs.spec import JobSpec
        from irstlabel.core.io.files import write_mask
        from irstlabel.project.store import Project

        root = make_demo_dataset({str(tmp_path / "d")!r}, frames=3, size=(48, 64), seed=1)
        Project.open(root).close()
        folder = {str(tmp_path / "pred")!r}
        import os; os.makedirs(folder)
        for name in os.listdir(root / "masks"):
            write_mask(os.path.join(folder, name), np.zeros((48, 64), bool))
        project = str(root / ".irstlabel")
        run_job(JobSpec("import", str(root), project, {{"folder": folder, "set": "p"}}), lambda e: None, lambda: False)
        result = run_job(JobSpec("evaluate", str(root), project, {{"set": "p", "splits": ["all"]}}), lambda e: None,
                         lambda: False)
        assert result["evaluations"][0]["metrics"]["frames"] == 3
        print("torch" in sys.modules)
    """
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
