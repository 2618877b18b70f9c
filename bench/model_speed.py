"""ISPANet size and speed on this machine.

    python bench/model_speed.py [--repeats 3] [--steps 12] [--threads 1] [--skip SECTION ...]

1. Parameters and multiply-accumulates (FlopCounterMode on the meta device)
   per variant and c, at 1x1x1024x1280, beside the paper's Table VII row.
2. Forward time at 1024x1280 on CPU, as a ratio to a ResNet-18 trunk (7x7
   stem, four stages of two basic blocks; torch only) measured in the same run.
   Both run in channels-last memory format, as the Predictor does.
3. Training step time at 256x256, batch 8, on CPU, and the share of it spent
   waiting for data (real SIRST v1 frames when present, else synthetic).
4. Training step at 384x384, batch 4 (the CPU recipe): fp32 against bf16
   autocast with channels-last, as a ratio in the same run.
5. Prediction backends on one 1024x1280 frame with the starter model (a
   random c = 64 ISPANet if it is not installed): eager fp32, eager bf16
   autocast, OpenVINO f32 and bf16; seconds and the ratio to eager fp32 in
   the same run. With SIRST v1 present, each backend's masks on test_v1 at the
   starter's settings against eager fp32's (pixels that differ, IoU).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.model.blocks import stage  # noqa: E402
from irstlabel.model.config import ISPANetConfig  # noqa: E402
from irstlabel.model.data import DatasetPairs  # noqa: E402
from irstlabel.model.factory import model_config  # noqa: E402
from irstlabel.model.info import count_parameters, model_info  # noqa: E402
from irstlabel.model.ispanet import ISPANet  # noqa: E402
from irstlabel.model.train import TrainConfig, train  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"


class ResNet18Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        self.stages = nn.Sequential(stage(64, 64, 2, stride=1), stage(64, 128, 2, stride=2),
                                    stage(128, 256, 2, stride=2), stage(256, 512, 2, stride=2))

    def forward(self, x):
        return self.stages(self.stem(x))


def _macs(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        model(x)
    return counter.get_total_flops() // 2


def sizes() -> None:
    rows = [["paper, Table VII (ISPANet, c = 64)", 13.62, 114.15]]
    for name in ("ispanet", "ispanet-a", "ispanet-c", "ispanet-d"):
        for channels in (16, 32, 64, 128):
            info = model_info(model_config(name, channels=channels), (1024, 1280))
            rows.append([f"{name} c={channels}", info["params"] / 1e6, info["macs"] / 1e9])
    with torch.device("meta"):
        trunk = ResNet18Trunk()
        rows.append(["ResNet-18 trunk (reference)", count_parameters(trunk) / 1e6,
                     _macs(trunk, torch.zeros(1, 3, 1024, 1280)) / 1e9])
    print_table("Size at 1x1x1024x1280 (FlopCounterMode, MACs = FLOPs / 2)", ["model", "params (M)", "MACs (G)"], rows)


def _forward_seconds(model, x, repeats: int) -> float:
    """Median forward time, both models in channels-last (as irstlabel's Predictor runs them)."""
    model = model.eval().to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
    times = []
    with torch.no_grad():
        model(x)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_speed(repeats: int) -> None:
    ispanet, trunk = ISPANet(ISPANetConfig()), ResNet18Trunk()
    t_ispanet = _forward_seconds(ispanet, torch.randn(1, 1, 1024, 1280), repeats)
    t_trunk = _forward_seconds(trunk, torch.randn(1, 3, 1024, 1280), repeats)
    print_table(f"Forward at 1024x1280 on CPU, median of {repeats} ({machine()}, {torch.get_num_threads()} threads)",
                ["model", "seconds", "fps", "time ratio to ResNet-18 trunk"],
                [["ISPANet c=64", t_ispanet, 1 / t_ispanet, t_ispanet / t_trunk],
                 ["ResNet-18 trunk", t_trunk, 1 / t_trunk, 1.0]])


def training_step(steps: int) -> None:
    if REAL.is_dir():
        root, what = REAL, "SIRST v1"
    else:
        from irstlabel.core.datasets.synthetic import make_demo_dataset

        root, what = make_demo_dataset(tempfile.mkdtemp(), frames=64, size=(256, 320), seed=0), "synthetic"
    source = DatasetPairs(str(root))
    ids = list(source.frame_ids)
    events = []
    config = TrainConfig(epochs=1, batch=8, size=(256, 256), workers=2, device="cpu", max_steps=steps)
    with tempfile.TemporaryDirectory() as out:
        stamps = []
        train(ISPANetConfig(), config, source, ids, [], out,
              on_event=lambda e: e["event"] == "step" and stamps.append(time.perf_counter()))
    per_step = statistics.median(b - a for a, b in zip(stamps[1:], stamps[2:]))
    # the loop measures its own waits; run once more reading them from the epoch event
    with tempfile.TemporaryDirectory() as out:
        train(ISPANetConfig(), TrainConfig(**{**config.to_dict(), "max_steps": None, "epochs": 1}),
              source, ids[: 8 * steps], [], out, on_event=lambda e: e["event"] == "epoch" and events.append(e))
    wait = events[-1]["metrics"]["data_wait"]
    print_table(f"Training step, 256x256, batch 8, CPU ({what}, {machine()})",
                ["median seconds per step", "share waiting for data (one epoch)"], [[per_step, wait]])


def train_precision(steps: int) -> None:
    from irstlabel.model.losses import fsiou_loss
    from irstlabel.model.runtime import autocast

    torch.manual_seed(0)
    x = torch.randn(4, 1, 384, 384)
    target = (torch.rand(4, 1, 384, 384) > 0.999).float()
    rows, base = [], None
    for label, bf16, channels_last in (("fp32", False, False), ("bf16 autocast + channels-last", True, True)):
        model = ISPANet(ISPANetConfig()).train()
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)
        batch = x.contiguous(memory_format=torch.channels_last) if channels_last else x
        times = []
        for _ in range(steps + 1):
            start = time.perf_counter()
            with autocast(torch.device("cpu"), bf16, cpu=bf16):
                logits = model(batch)
            loss = fsiou_loss(logits.float(), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times[1:])
        base = base or seconds
        rows.append([label, seconds, base / seconds])
    print_table(f"Training step, 384x384, batch 4, CPU, median of {steps} ({machine()}, {torch.get_num_threads()} threads)",
                ["precision", "seconds per step", "speed-up over fp32"], rows)


def _backend_predictors(threads: int):
    from irstlabel.core.models.starter import starter_available, starter_path
    from irstlabel.model.openvino_backend import OpenVinoRunner, openvino_available
    from irstlabel.model.predict import EagerRunner, Predictor

    if starter_available():
        base = Predictor.from_checkpoint(starter_path(), device="cpu", backend="torch")
        model, settings, what = base.model, base.settings, "starter model"
    else:
        from irstlabel.model.inference import InferenceSettings

        model, settings, what = ISPANet(ISPANetConfig()).eval(), InferenceSettings(), "random ISPANet c=64"
    cpu = torch.device("cpu")
    fast = {}
    if openvino_available():
        fast["OpenVINO f32"] = OpenVinoRunner(model, precision="f32", threads=threads)
        fast["OpenVINO bf16"] = OpenVinoRunner(model, precision="bf16", threads=threads)
    model = model.to(memory_format=torch.channels_last)  # the export left it contiguous; eager runs channels-last
    runners = {"eager fp32": EagerRunner(model, cpu, channels_last=True),
               "eager bf16 autocast": EagerRunner(model, cpu, cpu_amp=True, channels_last=True)}
    return {**runners, **fast}, settings, what


def backends(repeats: int, threads: int) -> None:
    import numpy as np

    from irstlabel.core.datasets.synthetic import synthetic_frame
    from irstlabel.model.inference import InferenceSettings
    from irstlabel.model.predict import probability_map

    torch.set_num_threads(threads)
    runners, settings, what = _backend_predictors(threads)
    frame = synthetic_frame((1024, 1280), seed=0, bit_depth=16).image
    native = InferenceSettings()
    rows, base = [], None
    for label, runner in runners.items():
        probability_map(runner, frame, native)  # warm-up (and OpenVINO's first compile of this shape)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            probability_map(runner, frame, native)
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        base = base or seconds
        rows.append([label, seconds, 1 / seconds, base / seconds])
    print_table(f"Prediction of one 1024x1280 frame, {what}, median of {repeats} ({machine()}, {threads} thread(s))",
                ["backend", "seconds", "fps", "speed-up over eager fp32"], rows)
    if not REAL.is_dir():
        return
    from irstlabel.core.datasets.dataset import Dataset
    from irstlabel.core.metrics.evaluation import binarize

    data = Dataset.open(str(REAL))
    masks = {label: [] for label in runners}
    truth = []
    for frame_id in data.split("test"):
        image = data.read_frame(frame_id)
        truth.append(data.read_mask(frame_id).mask)
        for label, runner in runners.items():
            masks[label].append(binarize(probability_map(runner, image, settings), settings.threshold))
    reference = np.concatenate([m.ravel() for m in masks["eager fp32"]])
    gt = np.concatenate([m.ravel() for m in truth])
    rows = []
    for label, frames in masks.items():
        got = np.concatenate([m.ravel() for m in frames])
        rows.append([label, int((got != reference).sum()), int(reference.sum()),
                     100 * (got & gt).sum() / max((got | gt).sum(), 1)])
    print_table(f"Masks on SIRST v1 test_v1 ({len(truth)} frames, {settings.describe()}) against eager fp32",
                ["backend", "pixels that differ", "predicted pixels (eager fp32)", "IoU with the labels (%)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1, help="threads for the backend comparison (1)")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=("sizes", "forward", "train", "precision", "backends"))
    args = parser.parse_args()
    if "sizes" not in args.skip:
        sizes()
    if "forward" not in args.skip:
        forward_speed(args.repeats)
    if "train" not in args.skip:
        training_step(args.steps)
    if "precision" not in args.skip:
        train_precision(min(args.steps, 4))
    if "backends" not in args.skip:
        backends(args.repeats, args.threads)


if __name__ == "__main__":
    main()
