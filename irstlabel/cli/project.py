"""Project commands: ``export`` and the hidden ``worker`` that runs background jobs."""

from __future__ import annotations

import argparse
import json


def register(commands) -> None:
    ex = commands.add_parser("export", help="write the relabelled dataset (source layout, generic, or COCO JSON)")
    ex.add_argument("dataset", help="the dataset folder the project belongs to")
    ex.add_argument("--project", default=None, help="project folder (default: <dataset>/.irstlabel)")
    ex.add_argument("--layout", choices=("source", "generic", "coco"), default="source")
    ex.add_argument("--out", required=True, help="output folder (must be empty or new)")
    ex.set_defaults(run=run_export)

    worker = commands.add_parser("worker")  # hidden: no help, so not listed
    worker.add_argument("job", help="job file (JSON)")
    worker.set_defaults(run=run_worker)


def run_export(args: argparse.Namespace) -> int:
    from ..project.export import export_project
    from ..project.store import Project

    project = Project.open(args.dataset, args.project, readonly=True)
    try:
        summary = export_project(project, args.out, layout=args.layout)
    finally:
        project.close()
    print(json.dumps(summary))
    return 0


def run_worker(args: argparse.Namespace) -> int:
    from ..jobs.worker import main

    return main(args.job)
