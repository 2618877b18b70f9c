"""GUI latency with real widgets (offscreen), timed until the canvas has painted.

    QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [--frames 40] [--browse 500]

Frames are synthetic 1280x1024 16-bit; overlays on: current mask, original
label, markers (three). Every action is real input (PgDown / PgUp key presses,
a mouse drag on the canvas) and is timed from the input event until the
canvas's viewport has received and processed its next paint event (an event
filter counts them; the loop processes events until one has been painted), so
the time includes painting the image items, not only the widget tree.

Tab (the next target that needs a decision) is timed over the frames with a
prediction set shown: the labels moved by a pixel with two false blobs per
frame, imported as a folder beforehand, so each Tab also finds the predicted
targets no label covers on a 1280x1024 frame.

A frame switch is timed on first visits (frame and masks decoded), stepping
with a 150 ms pause (the prefetch thread has decoded the next frame), and among
8 recent frames (from the LRUs); a stroke segment from the mouse-move event to
the painted canvas. Memory is the resident set size after browsing `--browse`
frame switches (the dataset LRU keeps 32 frames, so it must level off).
"""


from __future__ import annotations

import argparse
from collections import Counter
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from PySide6.QtCore import QEvent, QObject, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from irstlabel.core.datasets.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.core.io.files import read_mask, write_mask  # noqa: E402
from irstlabel.jobs import registry  # noqa: E402
from irstlabel.jobs.runner import run_job  # noqa: E402
from irstlabel.jobs.spec import JobSpec  # noqa: E402
from irstlabel.gui.app import _application  # noqa: E402
from irstlabel.gui.main_window import MainWindow  # noqa: E402
from irstlabel.project.store import Project  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _pct(samples, q):
    return float(np.percentile(np.asarray(samples) * 1000, q))


class PaintWatch(QObject):
    """Counts paint events of a widget; `until_painted()` processes events until the next one is done."""

    def __init__(self, widget):
        super().__init__()
        self.painted = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.painted += 1
        return False

    def until_painted(self, before: int, timeout: float = 1.0) -> bool:
        deadline = time.perf_counter() + timeout
        while self.painted == before and time.perf_counter() < deadline:
            QApplication.processEvents()
        return self.painted != before


def _point(win, x, y):
    return win.canvas.mapFromScene(win.canvas.view.mapViewToScene(QPointF(x + 0.5, y + 0.5)))


def _import_predictions(root: Path, project: Project, folder: Path) -> str:
    """The labels moved one pixel right, plus two false blobs, imported as a prediction set (as File > Import)."""
    folder.mkdir()
    for path in sorted((root / "masks").glob("*.png")):
        mask = np.roll(read_mask(path).mask, 1, axis=1)
        mask[100:103, 200:203] = mask[900:902, 1000:1003] = True
        write_mask(folder / path.name, mask)
    spec = JobSpec(kind="import", dataset=str(root), project=str(project.folder),
                   settings={"folder": str(folder), "set": folder.name})
    registry.record_result(project, spec, run_job(spec, lambda event: None, lambda: False))
    return folder.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--browse", type=int, default=500)
    args = parser.parse_args()
    app = _application()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_demo_dataset(Path(tmp) / "d", frames=args.frames, size=(1024, 1280), bit_depth=16, seed=1,
                                 max_extent=60)
        project = Project.open(root)
        shown_set = _import_predictions(root, project, Path(tmp) / "model")
        window = MainWindow(project, settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.resize(1600, 1000)
        window.show()
        window.activateWindow()
        app.processEvents()
        ids = project.frame_ids
        watch = PaintWatch(window.canvas.viewport())

        unpainted = []

        def timed(act, what="switch"):
            QApplication.processEvents()  # nothing pending: the paint counted is the one `act` causes
            before = watch.painted
            start = time.perf_counter()
            act()
            if not watch.until_painted(before):
                unpainted.append(what)
                return None
            return time.perf_counter() - start

        def key(name):
            return lambda: QTest.keyClick(window, getattr(Qt.Key, f"Key_{name}"))

        def idle(seconds):
            """The event loop running while the user looks (QTest.qWait keeps the GIL: no thread would run)."""
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                QApplication.processEvents()
                time.sleep(0.005)

        half = len(ids) // 2
        cold = [timed(key("PageDown")) for _ in ids[1:half]]  # first visits, back to back
        stepped = []  # first visits the way a person steps: a pause on each frame lets prefetch work
        for _ in ids[half:]:
            idle(0.15)
            stepped.append(timed(key("PageDown")))
        for _ in range(8):  # back over the last 8 frames: now recent (frame and original-mask LRUs)
            timed(key("PageUp"))
        warm = [timed(key("PageDown" if (k // 7) % 2 == 0 else "PageUp")) for k in range(28)]
        QTest.keyClick(window, Qt.Key.Key_B)
        window.tools.brush.setValue(6)
        viewport = window.canvas.viewport()
        strokes = []
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _point(window, 100, 500))
        for step in range(1, 200):
            target = _point(window, 100 + 4 * step, 500 + (step % 7))
            elapsed = timed(lambda: QTest.mouseMove(viewport, target), "stroke")
            if elapsed is not None:  # the move that starts the drag paints nothing yet
                strokes.append(elapsed)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _point(window, 900, 503))
        QApplication.processEvents()
        QTest.keyClick(window, Qt.Key.Key_S)
        window.display.set_prediction_set(shown_set)
        window.display.set_visible("prediction", True)
        window.frames.open(ids[0])  # Tab from the start: 60 decisions ahead, never past the dataset's last
        QTest.keyClick(window, Qt.Key.Key_Home)
        tabs = [timed(key("Tab"), "tab") for _ in range(60)]
        rss_before = _rss_mib()
        for k in range(args.browse):
            QTest.keyClick(window, Qt.Key.Key_PageDown if (k // len(ids)) % 2 == 0 else Qt.Key.Key_PageUp)
            app.processEvents()
        rss_after = _rss_mib()
        window.close()
        project.close()
    rows = [
        ["frame switch, first visit, back to back", _pct(cold, 50), _pct(cold, 95)],
        ["frame switch, next frame after 150 ms (prefetched)", _pct(stepped, 50), _pct(stepped, 95)],
        ["frame switch, recent frame (LRU)", _pct(warm, 50), _pct(warm, 95)],
        ["stroke segment to repaint", _pct(strokes, 50), _pct(strokes, 95)],
        ["Tab to the next decision (prediction shown)", _pct([t for t in tabs if t], 50),
         _pct([t for t in tabs if t], 95)],
    ]
    print_table(f"GUI latency, 1280x1024 16-bit, three overlays, ms ({machine()})", ["event", "p50", "p95"], rows)
    if unpainted:
        print(f"input events that caused no paint within 1 s (left out: a stroke segment over pixels already in the mask changes nothing): {dict(Counter(unpainted))}")
    print_table("Memory while browsing", ["RSS before (MiB)", f"RSS after {args.browse} switches (MiB)"],
                [[rss_before, rss_after]])


if __name__ == "__main__":
    main()
