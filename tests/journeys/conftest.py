"""A dataset with a test split and the main window on it, as `irstlabel gui DATASET` opens it."""

from __future__ import annotations

import pytest
from irstlabel.core.datasets.synthetic import make_demo_dataset
from tests.window import close_window, open_window


@pytest.fixture
def dataset(tmp_path):
    """8 small frames in the DNANet layout: 6 to train on (the trainer keeps a quarter for validation), 2 to test."""
    root = make_demo_dataset(tmp_path / "data", frames=8, size=(48, 64), seed=11, n_targets=(1, 3), scr=(6, 12))
    split = root / "50_50"
    split.mkdir()
    ids = [f"frame_{k:04d}" for k in range(1, 9)]
    (split / "train.txt").write_text("\n".join(ids[:6]) + "\n")
    (split / "test.txt").write_text("\n".join(ids[6:]) + "\n")
    return root


@pytest.fixture
def window(qtbot, dataset, tmp_path):
    win = open_window(qtbot, dataset, tmp_path / "settings.ini")
    yield win
    close_window(win)
