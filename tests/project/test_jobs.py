import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from irstlabel.core.datasets.synthetic import make_demo_dataset
from irstlabel.jobs.spec import JobSpec
from irstlabel.jobs.supervisor import Supervisor
from irstlabel.model.checkpoint import save_checkpoint
from irstlabel.model.factory import model_config
from irstlabel.model.ispanet import ISPANet
from irstlabel.project.cache import PredictionCache
from irstlabel.project.store import Project
from tests.helpers import strict_loads

TINY = dict(channels=16, lfe_widths=(16, 32, 64, 64), lfe_blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2))
TRAIN = {"model": {"name": "ispanet", **TINY},
         "train": {"epochs": 50, "batch": 2, "size": [48, 64], "workers": 0, "device": "cpu", "warmup_epochs": 1}}


@pytest.fixture
def setup(tmp_path):
    dataset = make_demo_dataset(tmp_path / "data", frames=5, size=(48, 64), seed=4)
    project_dir = dataset / ".irstlabel"
    Project.open(dataset).close()
    checkpoint = tmp_path / "tiny.pt"
    config = model_config(**TINY)
    save_checkpoint(checkpoint, model_config=config, state_dict=ISPANet(config).state_dict())
    return dataset, project_dir, checkpoint


def _spec(setup, kind, **settings):
    dataset, project_dir, _ = setup
    return JobSpec(kind=kind, dataset=str(dataset), project=str(project_dir), settings=settings)


def test_predict_job_fills_the_cache_frame_on_screen_first(setup):
    dataset, project_dir, checkpoint = setup
    events = []
    supervisor = Supervisor(project_dir, on_event=events.append)
    job = supervisor.submit(_spec(setup, "predict", checkpoint=str(checkpoint), set="tiny", first="frame_0004"))
    assert job.wait(120) and job.state == "finished", job.log
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[0]["message"] == "frame_0004" and progress[-1]["step"] == progress[-1]["total"] == 5
    assert job.result["frames"] == 5
    cache = PredictionCache(project_dir / "predictions")
    assert sorted(cache.frame_ids("tiny")) == [f"frame_000{k}" for k in range(1, 6)]
    assert cache.read("tiny", "frame_0001").shape == (48, 64)
    evaluate = supervisor.submit(_spec(setup, "evaluate", set="tiny", split="all"))
    assert evaluate.wait(120) and evaluate.state == "finished", evaluate.log
    [evaluation] = evaluate.result["evaluations"]
    assert evaluation["metrics"]["frames"] == 5 and len(evaluation["per_frame"]) == 5
    supervisor.shutdown()


def test_killing_a_training_worker_is_a_failed_job_and_the_next_job_runs(setup):
    dataset, project_dir, _ = setup
    with Project.open(dataset) as project:
        mask = project.load_mask("frame_0001")
        mask[0:2, 0:2] = True
        project.save_mask("frame_0001", mask)
    saved = (project_dir / "masks" / "frame_0001.png").read_bytes()
    supervisor = Supervisor(project_dir)
    job = supervisor.submit(_spec(setup, "train", **TRAIN))
    deadline = time.time() + 120
    while not any(e["event"] == "progress" for e in job.events) and time.time() < deadline:
        time.sleep(0.05)
    os.kill(job.pid, signal.SIGKILL)
    assert job.wait(60)
    assert job.state == "failed" and "killed by signal 9" in job.error
    assert (project_dir / "masks" / "frame_0001.png").read_bytes() == saved
    with Project.open(dataset) as project:  # intact and writable
        assert project.edit_log("frame_0001")[-1]["action"] == "save"
    nxt = supervisor.submit(_spec(setup, "propose"))
    assert nxt.wait(120) and nxt.state == "finished", nxt.log
    supervisor.shutdown()


def test_cancel_stops_training_within_a_batch_and_leaves_a_resumable_checkpoint(setup):
    _, project_dir, _ = setup
    supervisor = Supervisor(project_dir)
    job = supervisor.submit(_spec(setup, "train", run_dir=str(project_dir / "runs" / "c"), **TRAIN))
    deadline = time.time() + 120
    while not any(e["event"] == "progress" for e in job.events) and time.time() < deadline:
        time.sleep(0.05)
    job.cancel()
    assert job.wait(60) and job.state == "cancelled", (job.state, job.error, list(job.log))
    assert (project_dir / "runs" / "c" / "last.pt").exists()
    supervisor.shutdown()


def test_a_job_cancelled_as_its_worker_starts_is_cancelled_not_failed(setup):
    """The GUI cancels the starter's job when the user moves on; a move right after the job started sent
    SIGTERM before the worker had its handler, and the job read as a crash (the starter then gave up)."""
    _, project_dir, checkpoint = setup
    supervisor = Supervisor(project_dir)
    for _ in range(3):
        job = supervisor.submit(_spec(setup, "predict", checkpoint=str(checkpoint), set="tiny", resume=True))
        deadline = time.time() + 60
        while job.pid is None and time.time() < deadline:
            time.sleep(0.001)
        job.cancel()
        assert job.wait(60) and job.state == "cancelled", (job.state, job.error, list(job.log))
    supervisor.shutdown()


def test_only_one_training_job_per_project_across_processes(setup):
    _, project_dir, _ = setup
    first, second = Supervisor(project_dir), Supervisor(project_dir)  # e.g. two app windows
    a = first.submit(_spec(setup, "train", **TRAIN))
    deadline = time.time() + 120
    while not any(e["event"] == "progress" for e in a.events) and time.time() < deadline:
        time.sleep(0.05)
    b = second.submit(_spec(setup, "train", **TRAIN))
    assert b.wait(60) and b.state == "failed" and "a training job is already running" in b.error
    first.shutdown()
    second.shutdown()


def test_a_damaged_cache_is_moved_aside_and_rebuilt(setup):
    _, project_dir, checkpoint = setup
    cache = PredictionCache(project_dir / "predictions")
    with cache.writer("s") as writer:
        writer.write("frame_0001", np.full((48, 64), 0.5))
    path = cache.path_of("s")
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data[:200]))  # truncated
    fresh = PredictionCache(project_dir / "predictions")
    assert fresh.read("s", "frame_0001") is None
    assert not path.exists() and list(path.parent.glob("s.h5.damaged-*"))
    supervisor = Supervisor(project_dir)
    job = supervisor.submit(_spec(setup, "predict", checkpoint=str(checkpoint), set="s"))
    assert job.wait(120) and job.state == "finished"
    assert fresh.read("s", "frame_0001").shape == (48, 64)
    supervisor.shutdown()


def test_worker_reports_user_errors_on_one_line(setup, tmp_path):
    spec = _spec(setup, "predict", checkpoint=str(tmp_path / "missing.pt"), set="x")
    path = spec.write(tmp_path / "job.json")
    result = subprocess.run([sys.executable, "-m", "irstlabel.cli", "worker", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    events = [strict_loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "started"
    assert events[-1]["event"] == "error" and "missing.pt: checkpoint not found" in events[-1]["message"]
    (tmp_path / "bad.json").write_text("{not json")
    result = subprocess.run([sys.executable, "-m", "irstlabel.cli", "worker", str(tmp_path / "bad.json")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "not a job file" in result.stdout


def test_retrain_command_trains_on_current_masks_and_registers_everything(tmp_path, capsys):
    from irstlabel.cli import main

    dataset = make_demo_dataset(tmp_path / "d", frames=6, size=(48, 64), seed=5)
    with Project.open(dataset) as project:
        mask = project.load_mask("frame_0002")
        mask[:] = False
        project.save_mask("frame_0002", mask)  # an edit the training must see
    assert main(["retrain", str(dataset), "--scratch", "--channels", "16", "--crop", "48", "--max-epochs", "1",
                 "--batch", "2", "--epoch-samples", "4", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    out = strict_loads(captured.out)
    held_out = "seeded fifth of the labelled frames"
    assert "4 frames train, 1 validate, 1 held out" in captured.err  # the counts, before training
    assert out["status"] == "finished" and out["split"] == held_out and out["adopted"] is True
    with Project.open(dataset, readonly=True) as project:
        [checkpoint] = project.registry.checkpoints()
        assert checkpoint["path"] == out["checkpoint"]
        assert project.registry.prediction_sets()[0]["name"] == checkpoint["name"]
        test, every = project.registry.evaluations()  # one evaluation pass: the held-out split and every frame
        assert test["split"] == held_out and test["result"]["frames"] == 1
        assert project.registry.default_prediction_set() == checkpoint["name"]
        assert every["split"] == "all" and every["result"]["frames"] == 6
        assert checkpoint["metrics"]["test"]["target"] == test["result"]["target"]
        assert checkpoint["metrics"]["parameters"] > 0 and checkpoint["metrics"]["fps"] > 0
        assert len(project.predictions.frame_ids(checkpoint["name"])) == 6
        disagreement = project.registry.frame_disagreement()  # from the evaluation over every frame
        assert set(disagreement) == set(project.frame_ids)
        row = project.frame_summary("frame_0002")[0]
        assert row["model_misses"] == disagreement["frame_0002"]["misses"]
    # the Results row of a dataset without a test split is what `evaluate --split held-out` prints
    # (frame_0002's edit is in the project only: the held-out frame is another one, labelled alike in both)
    held = strict_loads((Path(out["run_dir"]) / "split.json").read_text())["test"]
    assert len(held) == 1 and held[0] != "frame_0002"
    assert main(["evaluate", out["checkpoint"], str(dataset), "--split", "held-out", "--json"]) == 0
    cli = strict_loads(capsys.readouterr().out)
    assert cli["frames"] == 1
    for group in ("pixel", "target"):
        for key, value in cli[group].items():
            if isinstance(value, float):
                assert test["result"][group][key] == pytest.approx(value, abs=1e-9), (group, key)


def test_jobs_read_the_current_masks_while_another_process_holds_the_project(setup):
    from irstlabel.jobs.sources import ProjectPairs

    dataset, project_dir, _ = setup
    with Project.open(dataset) as project:  # the writer lock stays held, as in the GUI
        mask = np.zeros((48, 64), bool)
        mask[3:6, 3:6] = True
        project.save_mask("frame_0003", mask)
        pairs = ProjectPairs(str(dataset), str(project_dir))
        np.testing.assert_array_equal(pairs.read("frame_0003")[1], mask)
        np.testing.assert_array_equal(pairs.read("frame_0001")[1], project.original_mask("frame_0001"))


def test_predict_job_publishes_the_frame_on_screen_and_its_neighbours_before_the_rest(setup):
    dataset, project_dir, checkpoint = setup
    seen = []

    def on_event(event):  # read the cache the moment the worker says frames are ready, as the GUI does
        if event["event"] == "frames_ready":
            cache = PredictionCache(project_dir / "predictions")
            seen.append((event["frames"], sorted(cache.frame_ids("early"))))
            cache.close()

    supervisor = Supervisor(project_dir, on_event=on_event)
    first = ["frame_0003", "frame_0004", "frame_0002"]
    job = supervisor.submit(_spec(setup, "predict", checkpoint=str(checkpoint), set="early", first=first))
    assert job.wait(120) and job.state == "finished", job.log
    supervisor.shutdown()
    assert [frames for frames, _ in seen] == [first[:1], first, first + ["frame_0001", "frame_0005"]]
    for frames, readable in seen:
        assert set(frames) <= set(readable)


def test_one_evaluation_pass_scores_several_splits_like_separate_passes(setup, tmp_path):
    from irstlabel.jobs.runner import run_job

    dataset, project_dir, _ = setup
    cache = PredictionCache(project_dir / "predictions")
    rng = np.random.default_rng(0)
    with cache.writer("noise") as writer:
        for k in range(1, 6):
            writer.write(f"frame_000{k}", rng.random((48, 64)) ** 8)
    both = run_job(_spec(setup, "evaluate", set="noise", splits=["test", "all"]), lambda e: None, lambda: False)
    alone = [run_job(_spec(setup, "evaluate", set="noise", split=s), lambda e: None, lambda: False)["evaluations"][0]
             for s in ("test", "all")]
    assert [e["split"] for e in both["evaluations"]] == ["seeded fifth of the labelled frames", "all"]
    assert both["evaluations"] == alone


def test_a_shadowing_irstlabel_folder_in_the_working_directory_does_not_break_workers(setup, tmp_path, monkeypatch):
    trap = tmp_path / "cwd" / "irstlabel"
    trap.mkdir(parents=True)
    (trap / "__init__.py").write_text("raise ImportError('the folder in the working directory was imported')\n")
    monkeypatch.chdir(trap.parent)  # e.g. the parent folder of a clone
    supervisor = Supervisor(setup[1])
    job = supervisor.submit(_spec(setup, "propose"))
    assert job.wait(120) and job.state == "finished", (job.error, list(job.log))
    supervisor.shutdown()


def _running_training(setup, supervisor):
    job = supervisor.submit(_spec(setup, "train", **TRAIN))
    deadline = time.time() + 120
    while not any(e["event"] == "progress" for e in job.events) and time.time() < deadline:
        time.sleep(0.05)
    return job


def test_a_hung_worker_is_killed_after_the_cancel_grace_and_marked_failed(setup):
    _, project_dir, _ = setup
    supervisor = Supervisor(project_dir)
    job = _running_training(setup, supervisor)
    started = time.monotonic()
    job.cancel(grace=2.0)
    os.kill(job.pid, signal.SIGSTOP)  # hung before it could act on the cancel
    assert job.wait(30) and job.state == "failed", (job.state, job.error)
    assert "did not stop within 2 s of being cancelled and was killed" in job.error
    assert time.monotonic() - started < 20
    supervisor.shutdown()


def test_a_stopped_worker_is_continued_to_stop_cleanly_on_cancel_and_shutdown(setup):
    _, project_dir, _ = setup
    supervisor = Supervisor(project_dir)
    job = _running_training(setup, supervisor)
    pid = job.pid
    os.kill(pid, signal.SIGSTOP)  # e.g. Ctrl+Z, or a debugger
    started = time.monotonic()
    supervisor.shutdown(timeout=10.0)
    assert time.monotonic() - started < 30 and job.done and job.state == "cancelled", (job.state, job.error)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_resumed_predict_job_keeps_what_is_done_and_predicts_only_the_rest(setup):
    """Stopped after two frames, the set keeps them; the resumed run adds the other three, bit for bit alike."""
    from irstlabel.jobs.runner import JobCancelled, run_job

    dataset, project_dir, checkpoint = setup
    first = ["frame_0003", "frame_0001"]
    done = []

    def stop_after_two():
        return len(done) >= 2

    def on_event(event):
        if event["event"] == "progress":
            done.append(event["message"])

    spec = _spec(setup, "predict", checkpoint=str(checkpoint), set="resumed", first=first, resume=True)
    with pytest.raises(JobCancelled):
        run_job(spec, on_event, stop_after_two)
    cache = PredictionCache(project_dir / "predictions")
    assert sorted(cache.frame_ids("resumed")) == sorted(first)
    kept = {f: cache.read_levels("resumed", f) for f in first}
    assert float(cache.attrs("resumed")["threshold"]) == 0.5
    done.clear()
    result = run_job(_spec(setup, "predict", checkpoint=str(checkpoint), set="resumed", first="frame_0005",
                           resume=True), on_event, lambda: False)
    assert result["frames"] == 3 and done == ["frame_0005", "frame_0002", "frame_0004"]
    assert sorted(cache.frame_ids("resumed")) == [f"frame_000{k}" for k in range(1, 6)]
    for frame_id, levels in kept.items():
        np.testing.assert_array_equal(cache.read_levels("resumed", frame_id), levels)
    again = run_job(_spec(setup, "predict", checkpoint=str(checkpoint), set="plain"), lambda e: None, lambda: False)
    for frame_id in kept:  # a fresh, uninterrupted run gives the same maps
        np.testing.assert_array_equal(cache.read_levels("plain", frame_id), kept[frame_id])
    assert again["frames"] == 5
    cache.close()


def test_a_resumed_predict_job_passes_unreadable_frames_by_and_a_plain_one_fails_on_them(setup):
    from irstlabel.core.errors import IrstlabelError
    from irstlabel.jobs.runner import run_job

    dataset, project_dir, checkpoint = setup
    (dataset / "images" / "frame_0002.png").write_bytes(b"not a png")
    result = run_job(_spec(setup, "predict", checkpoint=str(checkpoint), set="lenient", first="frame_0001",
                           resume=True), lambda e: None, lambda: False)
    assert result["skipped"] == ["frame_0002"] and result["frames"] == 4
    cache = PredictionCache(project_dir / "predictions")
    assert sorted(cache.frame_ids("lenient")) == ["frame_0001", "frame_0003", "frame_0004", "frame_0005"]
    cache.close()
    with pytest.raises(IrstlabelError, match="frame_0002"):
        run_job(_spec(setup, "predict", checkpoint=str(checkpoint), set="strict"), lambda e: None, lambda: False)


def test_workers_started_from_the_window_leave_it_a_core_and_a_command_uses_the_machine(setup, monkeypatch):
    """The same thread count for both backends: the GUI's workers get the cores less one, `irstlabel predict` all."""
    from irstlabel.jobs.devices import background_threads
    from irstlabel.model.predict import Predictor
    from irstlabel.model.runtime import usable_cores

    dataset, project_dir, checkpoint = setup
    monkeypatch.delenv("IRSTLABEL_THREADS", raising=False)
    before = torch.get_num_threads()
    supervisor = Supervisor(project_dir, threads=background_threads())
    job = supervisor.submit(_spec(setup, "predict", checkpoint=str(checkpoint), set="tiny"))
    assert job.wait(120) and job.state == "finished", job.log
    supervisor.shutdown()
    assert job.result["threads"] == max(1, min(8, usable_cores() - 1))
    predictor = Predictor.from_checkpoint(checkpoint, backend="torch")
    assert predictor.threads == min(8, usable_cores()) and torch.get_num_threads() == predictor.threads
    monkeypatch.setenv("IRSTLABEL_THREADS", "1")  # the user's word wins, for both backends
    assert Predictor.from_checkpoint(checkpoint, backend="torch").threads == torch.get_num_threads() == 1
    torch.set_num_threads(before)
