"""``irstlabel gui``: the desktop app (also what ``irstlabel`` alone opens)."""

from __future__ import annotations

import argparse


def register(commands) -> None:
    gui = commands.add_parser("gui", help="open the desktop app (default: the generated demo dataset)")
    gui.add_argument("dataset", nargs="?", help="dataset folder; omitted: the demo dataset")
    gui.add_argument("--project", help="project folder (default: <dataset>/.irstlabel)")
    gui.add_argument("--screenshot", metavar="OUT.png", help="render the main window to a PNG and exit")
    gui.set_defaults(run=run_gui)


def run_gui(args: argparse.Namespace) -> int:
    from ..gui.app import run_app

    return run_app(dataset=args.dataset, project=args.project, screenshot=args.screenshot)
