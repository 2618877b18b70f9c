"""Model commands: ``model-info``, ``train``, ``predict``, ``evaluate`` (torch imported only when run)."""

from __future__ import annotations

import argparse
import sys

from ._progress import progress_bar
from ..core.io.jsonio import to_json
from ..core.errors import IrstlabelError
from ..core.io.paths import refuse_inside


def _model_options(parser) -> None:
    parser.add_argument("--name", default="ispanet", help="ispanet, ispanet-a, ispanet-c or ispanet-d")
    parser.add_argument("--channels", type=int, default=None, help="the paper's c (16, 32, 64, 128; default 64)")
    parser.add_argument("--variant", default=None, help="Table XI variant: B (full), A, C, D")
    parser.add_argument("--upsample", choices=("deconv", "bilinear"), default=None,
                        help="MFF upsampling: the paper's transposed convolutions (deconv, default) or bilinear (an ablation)")


def _inference_options(parser) -> None:
    parser.add_argument("--threshold", type=float, default=None, help="default: the checkpoint's (chosen on val)")
    parser.add_argument("--scale", type=float, default=None,
                        help="resize frames by this factor for the network (default: the checkpoint's)")
    parser.add_argument("--size", nargs="+", default=None, metavar="H W",
                        help="fill-resize frames to H W instead; 'native' for the frames' own size")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--backend", choices=("auto", "openvino", "torch"), default=None,
                        help="auto (default, or $IRSTLABEL_BACKEND): OpenVINO on a CPU when installed, else PyTorch")
    parser.add_argument("--precision", choices=("auto", "f32"), default="auto",
                        help="auto (default): bf16 on CPUs with native bf16, whatever the backend; f32: full precision")


def register(commands) -> None:
    info = commands.add_parser("model-info", help="parameters and multiply-accumulates of ISPANet")
    _model_options(info)
    info.add_argument("--size", type=int, nargs=2, default=(1024, 1280), metavar=("H", "W"))
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=run_model_info)

    tr = commands.add_parser("train", help="train ISPANet on a dataset")
    tr.add_argument("dataset", help="dataset folder")
    tr.add_argument("--out", required=True, help="run folder: checkpoints, metrics.csv, config.json")
    _model_options(tr)
    tr.add_argument("--train-split", default=None,
                    help="default: the labelled frames of train (or trainval) and val outside the test split; "
                         "without a train split every labelled frame outside the held-out ones")
    tr.add_argument("--val-split", default=None, help="default: val, else a seeded quarter of the training frames")
    tr.add_argument("--size", type=int, nargs=2, default=None, metavar=("H", "W"),
                    help="crop (network input) size in training (1024 1280)")
    tr.add_argument("--sampling", choices=("scale", "fill"), default=None,
                    help="scale (default): crops at the inference scale; fill: the paper's fill resize of whole frames")
    tr.add_argument("--scale", type=float, default=None,
                    help="inference scale the crops are cut at (default: the --init checkpoint's, else 1)")
    tr.add_argument("--minutes", type=float, default=None, help="a time budget: training ends when it is spent")
    tr.add_argument("--patience", type=int, default=None, help="stop after this many epochs without a better validation")
    tr.add_argument("--epoch-samples", type=int, default=None, help="crops per epoch (default: one per training frame)")
    tr.add_argument("--epochs", type=int, default=None)
    tr.add_argument("--batch", type=int, default=None)
    tr.add_argument("--lr", type=float, default=None)
    tr.add_argument("--warmup", type=int, default=None, help="warm-up epochs (5)")
    tr.add_argument("--loss", choices=("fsiou", "fsiou+bce", "softiou", "bce"), default=None)
    tr.add_argument("--device", default=None, help="auto (default), cpu or cuda")
    tr.add_argument("--workers", type=int, default=None)
    tr.add_argument("--seed", type=int, default=None)
    tr.add_argument("--no-augment", action="store_true")
    tr.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke runs)")
    tr.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    tr.add_argument("--init", default=None, help="start from this checkpoint's weights (fine-tuning); 'starter' for the shipped model")
    tr.set_defaults(run=run_train)

    pr = commands.add_parser("predict", help="write predicted masks (and probabilities) for a dataset")
    pr.add_argument("paths", nargs="+", metavar="[CHECKPOINT] DATASET",
                    help="a checkpoint (.pt or .safetensors; default: the shipped starter model) and a dataset folder")
    pr.add_argument("--out", required=True)
    pr.add_argument("--split", default="all")
    pr.add_argument("--probabilities", action="store_true", help="also write <id>_prob.png (16-bit)")
    _inference_options(pr)
    pr.set_defaults(run=run_predict)

    ev = commands.add_parser("evaluate", help="predict a split and score it (same JSON as eval)")
    ev.add_argument("paths", nargs="+", metavar="[CHECKPOINT] DATASET",
                    help="a checkpoint (default: the shipped starter model) and a dataset folder")
    ev.add_argument("--split", default=None,
                    help="split to score (default: test; a dataset without one is scored on all frames, with a warning); "
                         "'held-out': the frames a retrain holds out (its Results row)")
    ev.add_argument("--distance", type=float, default=2.0)
    _inference_options(ev)
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(run=run_evaluate)



def _config_from_args(args):
    from ..core.errors import IrstlabelError
    from ..model.factory import model_config

    try:
        overrides = {"channels": args.channels}
        if args.variant is not None:
            overrides["variant"] = args.variant
        if args.upsample is not None:
            overrides["upsample"] = args.upsample
        return model_config(args.name, **overrides)
    except ValueError as exc:
        raise IrstlabelError(None, str(exc)) from None


def run_model_info(args: argparse.Namespace) -> int:
    from ..model.info import model_info

    info = model_info(_config_from_args(args), tuple(args.size))
    if args.json:
        print(to_json(info))
    else:
        print(f"{info['params'] / 1e6:.2f} M parameters, {info['macs'] / 1e9:.2f} G multiply-accumulates "
              f"at 1x1x{args.size[0]}x{args.size[1]}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from ..core.datasets.pairs import DatasetPairs
    from ..jobs.plan import plan_training
    from ..model.train import TrainConfig, train

    model_config = _config_from_args(args)
    settings = {k: v for k, v in {
        "size": tuple(args.size) if args.size else None, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "warmup_epochs": args.warmup,
        "loss": args.loss, "device": args.device, "workers": args.workers, "seed": args.seed,
        "max_steps": args.max_steps, "sampling": args.sampling, "scale": args.scale, "minutes": args.minutes,
        "patience": args.patience, "epoch_samples": args.epoch_samples,
    }.items() if v is not None}
    if args.no_augment:
        settings["augment"] = False
    config = TrainConfig(**settings)
    source = DatasetPairs(args.dataset)
    refuse_inside(args.out, args.dataset, what="--out")
    plan = plan_training(source, seed=config.seed, train_split=args.train_split, val_split=args.val_split)
    if plan.problem:
        raise IrstlabelError(args.dataset, plan.problem)
    print(f"irstlabel: {plan.counts()}", file=sys.stderr)
    train_ids, val_ids = list(plan.train), list(plan.val)
    bar = progress_bar(config.epochs, "train")

    def on_event(event):
        if event["event"] == "step":
            bar.set_postfix(epoch=event["epoch"], step=f"{event['step']}/{event['steps']}", loss=f"{event['loss']:.4f}",
                            lr=f"{event['lr']:.2e}")
        elif event["event"] == "epoch":
            bar.update(1)
            val = event["metrics"].get("val")
            if val:
                bar.write(f"epoch {event['epoch']}: loss {event['metrics']['loss']:.4f}  IoU {val['pixel']['iou']:.4f}  "
                          f"Pd {val['target']['pd']:.4f}  Pa {val['target']['pa']:.4f}  F1-T {val['target']['f1']:.4f}")

    with bar:
        summary = train(model_config, config, source, train_ids, val_ids, args.out, on_event=on_event,
                        resume=args.resume, init_checkpoint=args.init)
    print(to_json(summary))
    return 0 if summary["status"] == "finished" else 130


def _size_option(args):
    """--size: "checkpoint" (its recorded inference size) when absent, None for 'native', else (H, W)."""
    from ..core.errors import IrstlabelError

    if args.size is None:
        return "checkpoint"
    if args.size == ["native"]:
        return None
    try:
        h, w = (int(v) for v in args.size)
    except ValueError:
        raise IrstlabelError(None, f"--size must be two integers H W or 'native', got {' '.join(args.size)}") from None
    return h, w


def _checkpoint_and_dataset(args) -> tuple[str | None, str]:
    """``[CHECKPOINT] DATASET``: one path is the dataset (the starter model predicts), two are both."""
    from ..core.errors import IrstlabelError

    if len(args.paths) > 2:
        raise IrstlabelError(None, f"expected [CHECKPOINT] DATASET, got {len(args.paths)} paths: {' '.join(args.paths)}")
    return (None, args.paths[0]) if len(args.paths) == 1 else (args.paths[0], args.paths[1])


def _predictor(args, checkpoint):
    from ..model.predict import Predictor

    return Predictor.from_checkpoint(checkpoint, device=args.device, size=_size_option(args), scale=args.scale,
                                     threshold=args.threshold, backend=args.backend, precision=args.precision)


def run_predict(args: argparse.Namespace) -> int:
    from ..core.datasets.dataset import Dataset
    from ..model.predict import write_predictions

    checkpoint, dataset_path = _checkpoint_and_dataset(args)
    dataset = Dataset.open(dataset_path)
    refuse_inside(args.out, dataset.root, what="--out")
    predictor = _predictor(args, checkpoint)
    frame_ids = dataset.split(args.split)
    with progress_bar(len(frame_ids), "predict") as bar:
        n = write_predictions(predictor, dataset.read_frame, frame_ids, args.out, threshold=predictor.threshold,
                              probabilities=args.probabilities, progress=lambda done: bar.update(1))
    print(f"{n} frames written to {args.out} ({predictor.settings.describe()}, {predictor.backend})")
    return 0


HELD_OUT = "held-out"  # the retraining plan's held-out frames (jobs.plan), by the dataset's own labels


def _evaluation_split(dataset, name: str | None):
    """The split asked for; without one, the test split, or every frame (a DatasetWarning) when there is none."""
    import warnings

    from ..core.errors import DatasetWarning, IrstlabelError, display_path

    if name == HELD_OUT:
        from ..core.datasets.pairs import DatasetPairs
        from ..jobs.plan import plan_training

        return plan_training(DatasetPairs(str(dataset.root))).test
    if name is not None:
        return dataset.split(name)
    try:
        return dataset.split("test")
    except IrstlabelError:
        others = ", ".join(sorted(k for k in dataset.splits if k != "all")) or "none"
        warnings.warn(DatasetWarning(f"{display_path(dataset.root)}: no test split; scoring all {len(dataset)} "
                                     f"frames (other splits: {others}; choose one with --split, or --split {HELD_OUT} "
                                     "for the frames a retrain holds out)"))
        return dataset.split("all")


def run_evaluate(args: argparse.Namespace) -> int:
    from ..core.datasets.dataset import Dataset
    from ..core.metrics.evaluation import Evaluator, MetricOptions
    from .quality import format_table

    checkpoint, dataset_path = _checkpoint_and_dataset(args)
    dataset = Dataset.open(dataset_path)
    predictor = _predictor(args, checkpoint)
    frame_ids = _evaluation_split(dataset, args.split)
    evaluator = Evaluator(MetricOptions(threshold=predictor.threshold, distance=args.distance), keep_frames=False)
    with progress_bar(len(frame_ids), "evaluate") as bar:
        for frame_id in frame_ids:
            evaluator.add(dataset.read_mask(frame_id).mask, predictor.levels(dataset.read_frame(frame_id)),
                          frame_id=frame_id)
            bar.update(1)
    result = evaluator.result()
    print(to_json(result.as_dict()) if args.json else format_table(result))
    return 0
