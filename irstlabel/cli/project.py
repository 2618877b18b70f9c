"""Project commands: ``export`` and the hidden ``worker`` that runs background jobs."""

from __future__ import annotations

import argparse
from ..core.jsonio import to_json
from ..core.paths import refuse_inside


def register(commands) -> None:
    ex = commands.add_parser("export", help="write the relabelled dataset (source layout, generic, or COCO JSON)")
    ex.add_argument("dataset", help="the dataset folder the project belongs to")
    ex.add_argument("--project", default=None, help="project folder (default: <dataset>/.irstlabel)")
    ex.add_argument("--layout", choices=("source", "generic", "coco"), default="source")
    ex.add_argument("--out", required=True, help="output folder (must be empty or new)")
    ex.set_defaults(run=run_export)

    rt = commands.add_parser("retrain", help="retrain ISPANet on a project's current labels, predict, evaluate")
    rt.add_argument("dataset", help="the dataset folder the project belongs to")
    rt.add_argument("--project", default=None, help="project folder (default: <dataset>/.irstlabel)")
    rt.add_argument("--name", default="ispanet")
    rt.add_argument("--channels", type=int, default=None)
    rt.add_argument("--variant", default=None)
    rt.add_argument("--size", type=int, nargs=2, default=None, metavar=("H", "W"))
    rt.add_argument("--epochs", type=int, default=None)
    rt.add_argument("--batch", type=int, default=None)
    rt.add_argument("--device", default=None)
    rt.add_argument("--workers", type=int, default=None)
    rt.add_argument("--init", default=None, help="fine-tune from this checkpoint")
    rt.set_defaults(run=run_retrain)

    worker = commands.add_parser("worker")  # hidden: no help, so not listed
    worker.add_argument("job", help="job file (JSON)")
    worker.set_defaults(run=run_worker)


def run_export(args: argparse.Namespace) -> int:
    from ..project.export import export_project
    from ..project.store import Project

    refuse_inside(args.out, args.dataset, what="--out")
    project = Project.open(args.dataset, args.project, readonly=True)
    try:
        summary = export_project(project, args.out, layout=args.layout)
    finally:
        project.close()
    print(to_json(summary))
    return 0


def run_retrain(args: argparse.Namespace) -> int:
    import sys

    from tqdm import tqdm

    from ..jobs.pipeline import run_retrain as retrain
    from ..jobs.runner import run_job
    from ..project.store import Project

    model = {k: v for k, v in {"name": args.name, "channels": args.channels, "variant": args.variant}.items()
             if v is not None}
    train = {k: v for k, v in {"size": args.size, "epochs": args.epochs, "batch": args.batch, "device": args.device,
                               "workers": args.workers}.items() if v is not None}
    settings = {"model": model, "train": train, "init_checkpoint": args.init}

    def run(spec):
        with tqdm(desc=spec.kind, file=sys.stderr, disable=None, leave=False) as bar:
            def emit(event):
                if event["event"] == "progress":
                    bar.total = event["total"]
                    bar.n = event["step"]
                    bar.set_postfix_str(event["message"][:40])
                    bar.refresh()
            return run_job(spec, emit, lambda: False)

    with Project.open(args.dataset, args.project) as project:
        summary = retrain(project, settings, run)
    for line in summary.get("lines", []):
        print(line, file=sys.stderr)
    print(to_json({k: summary[k] for k in ("status", "name", "checkpoint", "run_dir", "split") if k in summary}
                     | {"test": summary.get("test", {}).get("target")}))
    return 0 if summary["status"] == "finished" else 130


def run_worker(args: argparse.Namespace) -> int:
    from ..jobs.worker import main

    return main(args.job)
