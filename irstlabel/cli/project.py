"""Project commands: ``export`` and the hidden ``worker`` that runs background jobs."""

from __future__ import annotations

import argparse
from ..core.io.jsonio import to_json
from ..core.io.paths import refuse_inside


def register(commands) -> None:
    ex = commands.add_parser("export", help="write the relabelled dataset (source layout, generic, or COCO JSON)")
    ex.add_argument("dataset", help="the dataset folder the project belongs to")
    ex.add_argument("--project", default=None, help="project folder (default: <dataset>/.irstlabel)")
    ex.add_argument("--layout", choices=("source", "generic", "coco"), default="source")
    ex.add_argument("--out", required=True, help="output folder (must be empty or new)")
    ex.add_argument("--include-rejected", action="store_true",
                    help="keep the targets marked rejected (default: left out; COCO then marks their status)")
    ex.set_defaults(run=run_export)

    rt = commands.add_parser("retrain", help="retrain ISPANet on a project's labelled frames, predict, evaluate, "
                                              "adopt if not worse (what Ctrl+R does)")
    rt.add_argument("dataset", help="the dataset folder the project belongs to")
    rt.add_argument("--project", default=None, help="project folder (default: <dataset>/.irstlabel)")
    _retrain_options(rt)
    rt.set_defaults(run=run_retrain)

    worker = commands.add_parser("worker")  # hidden: no help, so not listed
    worker.add_argument("job", help="job file (JSON)")
    worker.set_defaults(run=run_worker)


def _retrain_options(parser) -> None:
    """The Retrain dialog's fields as options, with its defaults for this machine (CPU or CUDA GPU)."""
    from ..jobs.devices import cuda_likely
    from ..jobs.retrain_settings import HELP, retrain_defaults

    defaults = retrain_defaults(cuda_likely())
    types = {"minutes": float, "crop": int, "batch": int, "lr": float, "warmup_epochs": int, "epoch_samples": int,
             "max_epochs": int, "patience": int, "channels": int, "background_crops": float}
    for key, kind in types.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=kind, default=defaults[key],
                            help=f"{HELP[key]} (default: %(default)s)")
    parser.add_argument("--loss", choices=("fsiou", "fsiou+bce", "softiou", "bce"), default=defaults["loss"],
                        help=f"{HELP['loss']} (default: %(default)s)")
    parser.add_argument("--variant", choices=("A", "B", "C", "D"), default=defaults["variant"],
                        help=f"{HELP['variant']} (default: %(default)s)")
    parser.add_argument("--scratch", action="store_true", help=HELP["scratch"])
    parser.add_argument("--train-on-test", action="store_true", help=HELP["train_on_test"])
    parser.add_argument("--init", default=None,
                        help="fine-tune this checkpoint file instead (default: the project's newest model, else the starter)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")


def run_export(args: argparse.Namespace) -> int:
    from ..project.export import export_project
    from ..project.store import Project

    refuse_inside(args.out, args.dataset, what="--out")
    project = Project.open(args.dataset, args.project, readonly=True)
    try:
        summary = export_project(project, args.out, layout=args.layout, include_rejected=args.include_rejected)
    finally:
        project.close()
    print(to_json(summary))
    return 0


def run_retrain(args: argparse.Namespace) -> int:
    import sys

    from tqdm import tqdm

    from ..core.errors import IrstlabelError
    from ..jobs.pipeline import run_retrain as retrain
    from ..jobs.plan import plan_training
    from ..jobs.retrain_settings import job_settings
    from ..jobs.runner import run_job
    from ..jobs.sources import ProjectPairs
    from ..project.store import Project

    values = {k: getattr(args, k) for k in ("minutes", "crop", "batch", "lr", "warmup_epochs", "epoch_samples",
                                            "max_epochs", "patience", "channels", "loss", "variant", "scratch",
                                            "train_on_test", "background_crops")}

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
        plan = plan_training(ProjectPairs(str(project.dataset.root), str(project.folder)),
                             train_on_test=args.train_on_test)
        print(f"irstlabel: {plan.counts()}", file=sys.stderr)
        if plan.problem:
            raise IrstlabelError(args.dataset, plan.problem)
        checkpoint = _fine_tune(project, args.init)
        print(f"irstlabel: {'training from scratch' if args.scratch or checkpoint is None else 'fine-tuning ' + checkpoint['name']}",
              file=sys.stderr)
        settings = job_settings(values, checkpoint, device=args.device, plan=plan.to_dict())
        summary = retrain(project, settings, run)
    for line in summary.get("lines", []):
        print(line, file=sys.stderr)
    if summary.get("verdict"):
        print(summary["verdict"], file=sys.stderr)
    print(to_json({k: summary[k] for k in ("status", "name", "checkpoint", "run_dir", "split", "adopted", "score",
                                           "previous", "previous_score") if k in summary}
                  | {"test": (summary.get("test") or {}).get("target")}))
    return 0 if summary["status"] == "finished" else 130


def _fine_tune(project, init: str | None) -> dict | None:
    """`--init`: a checkpoint file, or "starter"; else the model in use."""
    from ..core.models.starter import STARTER_NAME
    from ..jobs.retrain_settings import model_to_fine_tune

    if init is None or init == STARTER_NAME:
        return model_to_fine_tune(project, starter_only=init == STARTER_NAME)
    from ..model.checkpoint import load_checkpoint

    return {"name": str(init), "path": str(init), "config": load_checkpoint(init)["model"]}


def run_worker(args: argparse.Namespace) -> int:
    from ..jobs.worker import main

    return main(args.job)
