"""How soon the frame on screen shows a new model's prediction, against the whole set.

    python bench/first_prediction.py [--frames 48] [--size 256 320] [--channels 16]
    python bench/first_prediction.py --starter DATASET

Runs the GUI's predict job in a real worker process (as after a retraining,
the frame on screen and its neighbours first) and times, from submission:
the first ``frames_ready`` event (the frame on screen readable in the cache),
the neighbours', and the whole set. Before the predict job published early,
the first frame appeared only with the whole set: the last column is that
wait, the first the wait now; their ratio is in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.datasets.synthetic import make_demo_dataset  # noqa: E402
from irstlabel.jobs.spec import JobSpec  # noqa: E402
from irstlabel.jobs.supervisor import Supervisor  # noqa: E402
from irstlabel.model.checkpoint import save_checkpoint  # noqa: E402
from irstlabel.model.factory import model_config  # noqa: E402
from irstlabel.model.ispanet import ISPANet  # noqa: E402
from irstlabel.project.store import Project  # noqa: E402


def starter(dataset_path: str) -> None:
    """The GUI's starter job on a real dataset: cold (first conversion of the model) and warm (cached)."""
    import os
    import shutil

    from irstlabel.core.datasets.dataset import Dataset

    dataset = Dataset.open(dataset_path)
    ids = dataset.frame_ids
    first = [ids[len(ids) // 2], ids[len(ids) // 2 + 1], ids[len(ids) // 2 - 1]]
    cache = Path(tempfile.mkdtemp())
    os.environ["IRSTLABEL_CACHE"] = str(cache)
    rows = []
    for label in ("cold: model converted first", "warm: converted model cached"):
        project = Path(tempfile.mkdtemp()) / "project"
        Project.open(dataset_path, project_dir=project).close()
        ready: list[tuple[float, int]] = []
        supervisor = Supervisor(project, on_event=lambda e: e["event"] == "frames_ready" and ready.append(
            (time.perf_counter(), len(e["frames"]))))
        started = time.perf_counter()
        job = supervisor.submit(JobSpec("predict", dataset_path, str(project),
                                        {"checkpoint": "starter", "set": "starter", "first": first, "resume": True}))
        job.wait()
        supervisor.shutdown()
        assert job.state == "finished", job.error
        times = {n: t - started for t, n in ready}
        rows.append([label, times[1], times[len(first)], times[len(ids)], len(ids) / (times[len(ids)] - times[1])])
        shutil.rmtree(project.parent)
    print_table(f"Starter model on {dataset_path} ({len(ids)} frames), the GUI's job from submission, {machine()}",
                ["run", "frame on screen (s)", "+ neighbours (s)", "whole set (s)", "frames per second after"], rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", type=int, nargs=2, default=(256, 320))
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--starter", metavar="DATASET", default=None,
                        help="time the shipped starter model on DATASET instead (cold and warm)")
    args = parser.parse_args()
    if args.starter:
        starter(args.starter)
        return
    folder = Path(tempfile.mkdtemp())
    dataset = make_demo_dataset(folder / "d", frames=args.frames, size=tuple(args.size), seed=0)
    Project.open(dataset).close()
    config = model_config(channels=args.channels)
    checkpoint = folder / "m.pt"
    save_checkpoint(checkpoint, model_config=config, state_dict=ISPANet(config).state_dict(),
                    train={"size": list(args.size)})
    ids = [f"frame_{k:04d}" for k in range(1, args.frames + 1)]
    first = [ids[args.frames // 2], ids[args.frames // 2 + 1], ids[args.frames // 2 - 1]]
    ready: list[tuple[float, int]] = []
    supervisor = Supervisor(dataset / ".irstlabel",
                            on_event=lambda e: e["event"] == "frames_ready" and ready.append((time.perf_counter(),
                                                                                              len(e["frames"]))))
    started = time.perf_counter()
    job = supervisor.submit(JobSpec("predict", str(dataset), str(dataset / ".irstlabel"),
                                    {"checkpoint": str(checkpoint), "set": "bench", "first": first, "device": "cpu"}))
    job.wait()
    supervisor.shutdown()
    assert job.state == "finished", job.error
    times = {n: t - started for t, n in ready}
    whole = times[args.frames]
    print_table(f"Predict job, {args.frames} frames {args.size[0]}x{args.size[1]}, ISPANet c={args.channels}, "
                f"{machine()}",
                ["frame on screen (s)", "+ neighbours (s)", "whole set (s)", "whole / first"],
                [[times[1], times[len(first)], whole, whole / times[1]]])


if __name__ == "__main__":
    main()
