import os
import pickle

import pytest
import torch

from irstlabel.core.errors import IrstlabelError
from irstlabel.model.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from irstlabel.model.factory import model_config
from irstlabel.model.ispanet import ISPANet

TINY = dict(channels=16, lfe_widths=(16, 32, 64, 64), lfe_blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2))


def _saved(tmp_path):
    config = model_config(**TINY)
    model = ISPANet(config)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model_config=config, state_dict=model.state_dict(), epoch=3, metrics={"iou": 0.5})
    return path, model


def test_round_trip(tmp_path):
    path, model = _saved(tmp_path)
    loaded, data = model_from_checkpoint(path)
    assert data["epoch"] == 3 and data["metrics"] == {"iou": 0.5}
    for (k, a), (_, b) in zip(sorted(model.state_dict().items()), sorted(loaded.state_dict().items())):
        assert torch.equal(a, b), k


class _MakesAFile:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_pickled_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pt"
    torch.save({"format": "irstlabel-ispanet", "payload": _MakesAFile(str(marker))}, path)
    assert not marker.exists()
    with pytest.raises(IrstlabelError, match="evil.pt: refused: the checkpoint carries pickled objects"):
        load_checkpoint(path)
    assert not marker.exists()
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(_MakesAFile(str(marker))))
    with pytest.raises(IrstlabelError):
        load_checkpoint(raw)
    assert not marker.exists()


def test_truncated_empty_foreign_and_missing_checkpoints(tmp_path):
    path, _ = _saved(tmp_path)
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(IrstlabelError, match="cut.pt: not a readable torch checkpoint"):
        load_checkpoint(tmp_path / "cut.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(IrstlabelError, match="empty file"):
        load_checkpoint(tmp_path / "empty.pt")
    torch.save({"state_dict": {"w": torch.zeros(2)}}, tmp_path / "other.pt")
    with pytest.raises(IrstlabelError, match="other.pt: not an irstlabel ISPANet checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(IrstlabelError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_weights_that_do_not_fit_the_settings(tmp_path):
    path, model = _saved(tmp_path)
    other = model_config(**{**TINY, "channels": 32})
    save_checkpoint(tmp_path / "mismatch.pt", model_config=other, state_dict=model.state_dict())
    with pytest.raises(IrstlabelError, match="weights do not fit the model settings"):
        model_from_checkpoint(tmp_path / "mismatch.pt")


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path, _ = _saved(tmp_path)
    before = path.read_bytes()

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(IrstlabelError, match="No space left"):
        save_checkpoint(path, model_config=model_config(**TINY), state_dict={})
    assert path.read_bytes() == before
