"""Every command's JSON is strict JSON: no NaN or Infinity, whatever the data."""

from __future__ import annotations

import numpy as np
import pytest

from irstlabel.cli import main
from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.io.jsonio import plain, to_json
from irstlabel.core.datasets.synthetic import make_demo_dataset
from tests.helpers import strict_loads, write_mask_file


@pytest.fixture
def demo(tmp_path):
    return make_demo_dataset(tmp_path / "demo", frames=5, size=(64, 80), seed=4)


def _commands(demo, tmp):
    masks = tmp / "pred"
    dataset = Dataset.open(demo)
    for frame_id in dataset.frame_ids:
        write_mask_file(masks / f"{frame_id}.png", np.roll(dataset.read_mask(frame_id).mask, 1, axis=0))
    return [
        ["info", str(demo), "--json"],
        ["stats", str(demo), "--json"],  # the last share bin ends at infinity
        ["eval", "--gt", str(demo), "--pred", str(masks), "--json", "--curves"],
        ["lpd", "--images", str(demo), "--old", str(demo), "--new", str(masks), "--json"],
        ["curate", "stats", str(demo), "--json"],
        ["curate", "dedup", str(demo), "--json"],
        ["curate", "sample", str(demo), "--every", "2"],
        ["curate", "split", str(demo), "--out", str(tmp / "splits")],
        ["curate", "unify", str(demo), "--out", str(tmp / "unified"), "--size", "32", "40"],
        ["curate", "merge", f"a={demo}", f"b={demo}", "--out", str(tmp / "merged")],
    ]


def test_every_json_output_parses_with_a_strict_parser(demo, tmp_path, capsys):
    for args in _commands(demo, tmp_path):
        assert main(args) == 0, args
        out = capsys.readouterr().out.strip()
        assert out, args
        strict_loads(out.splitlines()[-1])


def test_stats_json_writes_the_open_share_bin_as_null(demo, capsys):
    assert main(["stats", str(demo), "--json"]) == 0
    text = capsys.readouterr().out
    assert "Infinity" not in text and "NaN" not in text
    last_bin = strict_loads(text)["target_share_bins"][-1]
    assert last_bin["from"] == 1.0 and last_bin["to"] is None


def test_non_finite_numbers_become_null_and_numpy_values_plain_numbers():
    value = {"a": np.float32("nan"), "b": [np.inf, -np.inf, 1.5], "c": np.arange(3), "d": np.bool_(True)}
    assert plain(value) == {"a": None, "b": [None, None, 1.5], "c": [0, 1, 2], "d": True}
    assert strict_loads(to_json(value)) == plain(value)
