"""One action, one set of defaults: the Retrain dialog untouched and `irstlabel retrain` without options agree."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import QSettings

from irstlabel.cli import project as project_cli
from irstlabel.gui.retrain import RetrainDialog
from irstlabel.jobs.devices import cuda_likely
from irstlabel.jobs.plan import TrainingPlan
from irstlabel.jobs.retrain_settings import HELP, job_settings, retrain_defaults

CHECKPOINT = {"name": "starter", "path": "/models/starter.safetensors", "config": {"channels": 64, "variant": "B"}}
PLAN = TrainingPlan(("a", "b"), ("c",), ("d",), "test", 4, 0)


def _cli_values(argv) -> dict:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    project_cli.register(commands)
    args = parser.parse_args(["retrain", "DATASET", *argv])
    return {key: getattr(args, key) for key in retrain_defaults(False)}


def test_the_untouched_dialog_and_the_bare_command_start_the_same_training(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)
    dialog = RetrainDialog(settings, checkpoint=CHECKPOINT, cuda=cuda_likely(), plan_for=lambda _: PLAN)
    qtbot.addWidget(dialog)
    from_dialog = job_settings(dialog.values(), CHECKPOINT, plan=PLAN.to_dict())
    from_cli = job_settings(_cli_values([]), CHECKPOINT, plan=PLAN.to_dict())
    assert from_dialog == from_cli
    assert from_cli["train"]["minutes"] == retrain_defaults(cuda_likely())["minutes"]


def test_every_option_of_the_command_says_its_default():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    project_cli.register(commands)
    text = commands.choices["retrain"].format_help()
    for key in retrain_defaults(False):
        if key in ("scratch", "train_on_test"):
            assert f"--{key.replace('_', '-')}" in text
            continue
        assert f"--{key.replace('_', '-')}" in text, key
    assert text.count("(default:") >= len(HELP) - 2
    assert "(default: 10.0)" in text and "(default: 256)" in text


@pytest.mark.parametrize("argv, key, value", [(["--minutes", "3"], "minutes", 3.0), (["--crop", "128"], "size", [128, 128]),
                                              (["--loss", "fsiou+bce"], "loss", "fsiou+bce")])
def test_command_options_reach_the_train_job(argv, key, value):
    settings = job_settings(_cli_values(argv), CHECKPOINT)
    assert settings["train"][key] == value
    assert settings["init_checkpoint"] == CHECKPOINT["path"] and settings["model"]["channels"] == 64
