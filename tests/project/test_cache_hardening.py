"""The prediction cache never crashes on what it finds on disk, and never keeps a dead writer's files."""

from __future__ import annotations

import subprocess
import sys

import h5py
import numpy as np

from irstlabel.project.cache import PredictionCache


def _cache_with_one_set(folder):
    cache = PredictionCache(folder)
    with cache.writer("s") as writer:
        writer.write("f1", np.full((6, 8), 0.7, np.float32))
    return cache


def test_temporaries_of_a_killed_writer_are_removed_on_open(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # that process has exited
    folder = tmp_path / "predictions"
    _cache_with_one_set(folder)
    for suffix in (f".{pid}.tmp", f".{pid}.publish"):
        (folder / f"s.h5{suffix}").write_bytes(b"half written")
    live = folder / "s.h5.1.tmp"  # pid 1 is alive: a writer still at work keeps its file
    live.write_bytes(b"in progress")
    cache = PredictionCache(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["s.h5", "s.h5.1.tmp"]
    assert cache.read("s", "f1") is not None


def test_a_crafted_version_attribute_is_damage_not_a_crash(tmp_path):
    cache = _cache_with_one_set(tmp_path / "predictions")
    with h5py.File(cache.path_of("s"), "a") as handle:
        handle.attrs["version"] = "one"
    fresh = PredictionCache(tmp_path / "predictions")
    assert fresh.read("s", "f1") is None
    assert list((tmp_path / "predictions").glob("s.h5.damaged-*"))


def test_a_frame_of_the_wrong_shape_or_kind_is_damage(tmp_path):
    cache = _cache_with_one_set(tmp_path / "predictions")
    assert cache.read("s", "f1", shape=(6, 8)) is not None
    assert cache.read("s", "f1", shape=(7, 8)) is None  # not the frame's size: moved aside
    assert not cache.path_of("s").exists()
    cache = _cache_with_one_set(tmp_path / "p2")
    with h5py.File(cache.path_of("s"), "a") as handle:
        handle.create_dataset("f2", data=np.zeros((2, 3, 4), np.uint8))
    assert PredictionCache(tmp_path / "p2").read("s", "f2") is None


def test_external_links_in_a_cache_are_not_followed(tmp_path):
    secret = tmp_path / "elsewhere.h5"
    with h5py.File(secret, "w") as handle:
        handle.create_dataset("data", data=np.full((6, 8), 200, np.uint8))
    cache = _cache_with_one_set(tmp_path / "predictions")
    with h5py.File(cache.path_of("s"), "a") as handle:
        handle["f3"] = h5py.ExternalLink(str(secret), "data")
    assert PredictionCache(tmp_path / "predictions").read("s", "f3") is None
