"""Shared test set-up: headless Qt, a private data folder, real-data fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# one compute thread per test process (torch reads OMP_NUM_THREADS when first imported, predictors read
# IRSTLABEL_THREADS): on 2 shared cores two threads made a 200-epoch tiny training ~25x slower than one
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("IRSTLABEL_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SIRST_V1 = REPO.parent / "shared" / "data" / "sirst-v1"


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory):
    """Keep the demo dataset and settings of the tests away from the user's."""
    folder = tmp_path_factory.mktemp("irstlabel-data")
    os.environ["IRSTLABEL_DATA_DIR"] = str(folder)
    os.environ["IRSTLABEL_CACHE"] = str(folder / "cache")  # converted models (OpenVINO) stay with the tests
    # the shipped starter model predicts in the background of every window it serves; tests of other
    # things run without it, and the starter's own tests point here at the real file (`starter_model`)
    os.environ["IRSTLABEL_STARTER_DIR"] = str(folder / "no-starter-model")
    # converting every tiny test model for OpenVINO costs seconds each: tests predict on PyTorch unless
    # they are about the fast path (they name the backend, or use `starter_model`, which runs the default)
    os.environ["IRSTLABEL_BACKEND"] = "torch"
    yield folder


@pytest.fixture(scope="session")
def sirst_v1() -> Path:
    """The real SIRST v1 frames beside the repository, or skip."""
    if not (SIRST_V1 / "images" / "targets").is_dir():
        pytest.skip(f"real data not found at {SIRST_V1} (shared/data/sirst-v1 beside the repository)")
    return SIRST_V1


@pytest.fixture
def starter_model(monkeypatch) -> Path:
    """The real shipped starter model, for the tests that exercise it (workers inherit the setting)."""
    folder = REPO / "resources" / "models"
    if not (folder / "ispanet-sirst-v1.safetensors").is_file():
        pytest.fail(f"the starter model is missing from {folder}")
    monkeypatch.setenv("IRSTLABEL_STARTER_DIR", str(folder))
    monkeypatch.setenv("IRSTLABEL_BACKEND", "auto")  # what a user gets
    return folder / "ispanet-sirst-v1.safetensors"
