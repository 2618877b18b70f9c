"""GUI latency with real widgets (offscreen): frame switch, stroke-to-repaint, memory while browsing.

    QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [--frames 40] [--browse 500]

Frames are synthetic 1280x1024 16-bit; overlays on: current mask, original
label, markers (three). A frame switch is timed from the call to the end of
the repaint it causes (``window.repaint()``), on first visits (frame and masks
decoded) and among 8 recent frames (frame and original mask from the LRUs); a stroke segment from
the mouse-move event to the end of the canvas repaint. Memory is the resident
set size after browsing `--browse` frame switches (the dataset LRU keeps 32
frames, so it must level off).
"""

from __future__ import annotations

import argparse
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

from PySide6.QtCore import QEvent, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from irstlabel.core.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.gui.app import _application  # noqa: E402
from irstlabel.gui.main_window import MainWindow  # noqa: E402
from irstlabel.project.store import Project  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _pct(samples, q):
    return float(np.percentile(np.asarray(samples) * 1000, q))


def _send(win, kind, x, y, buttons):
    scene = win.canvas.view.mapViewToScene(QPointF(x + 0.5, y + 0.5))
    point = QPointF(win.canvas.mapFromScene(scene))
    event = QMouseEvent(kind, point, point, Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win.canvas.viewport(), event)


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
        window = MainWindow(project, settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.resize(1600, 1000)
        window.show()
        app.processEvents()
        ids = project.frame_ids
        def switch(frame_id):
            start = time.perf_counter()
            window.open_frame(frame_id)
            window.repaint()
            return time.perf_counter() - start

        cold = [switch(frame_id) for frame_id in ids[1:len(ids) // 2]]  # first visits, back to back
        stepped = []  # first visits the way a person steps: a pause on each frame lets prefetch work
        for frame_id in ids[len(ids) // 2:]:
            time.sleep(0.15)
            stepped.append(switch(frame_id))
        recent = ids[:8]  # within the frame LRU (32) and the original-mask LRU (16)
        for frame_id in recent:  # bring them back into the LRUs
            switch(frame_id)
        warm = [switch(recent[k % len(recent)]) for k in range(1, 4 * len(recent))]
        window.set_tool("brush")
        window.tools.brush.setValue(6)
        strokes = []
        _send(window, QEvent.Type.MouseButtonPress, 100, 500, Qt.MouseButton.LeftButton)
        for step in range(1, 200):
            start = time.perf_counter()
            _send(window, QEvent.Type.MouseMove, 100 + 4 * step, 500 + (step % 7), Qt.MouseButton.LeftButton)
            window.canvas.viewport().repaint()
            strokes.append(time.perf_counter() - start)
        _send(window, QEvent.Type.MouseButtonRelease, 900, 503, Qt.MouseButton.NoButton)
        rss_before = _rss_mib()
        for k in range(args.browse):
            window.open_frame(ids[k % len(ids)])
            app.processEvents()
        rss_after = _rss_mib()
        window.close()
        project.close()
    rows = [
        ["frame switch, first visit, back to back", _pct(cold, 50), _pct(cold, 95)],
        ["frame switch, next frame after 150 ms (prefetched)", _pct(stepped, 50), _pct(stepped, 95)],
        ["frame switch, recent frame (LRU)", _pct(warm, 50), _pct(warm, 95)],
        ["stroke segment to repaint", _pct(strokes, 50), _pct(strokes, 95)],
    ]
    print_table(f"GUI latency, 1280x1024 16-bit, three overlays, ms ({machine()})", ["event", "p50", "p95"], rows)
    print_table("Memory while browsing", ["RSS before (MiB)", f"RSS after {args.browse} switches (MiB)"],
                [[rss_before, rss_after]])


if __name__ == "__main__":
    main()
