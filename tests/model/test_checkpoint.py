import os
import pickle

import numpy as np
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


def _crafted(tmp_path, **changes):
    """A real checkpoint's payload with fields replaced, saved as torch.save does."""
    path, _ = _saved(tmp_path)
    data = torch.load(path, weights_only=True)
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[section] = value
    out = tmp_path / "crafted.pt"
    torch.save(data, out)
    return out


@pytest.mark.parametrize("changes, message", [
    ({"version": "1"}, r"checkpoint version must be a whole number, got '1'"),
    ({"state_dict": [1, 2]}, r"the weights \(state_dict\) are not a mapping of names to tensors"),
    ({"model__channels": 65536}, r"channels must be a multiple of 8 from 8 to 1024; got 65536"),
    ({"model__channels": 16.0}, r"channels must be int, got 16.0"),
    ({"model__lfe_blocks": [200000, 1, 1, 1]}, r"lfe_blocks must be 4 integers from 1 to 64"),
    ({"model__heads": [True, 1, 2, 2]}, r"heads must be 4 integers"),
    ({"model": "B"}, r"invalid model settings in checkpoint: not a mapping"),
    ({"train": {"size": [0, -5]}}, r"train.size must be two whole numbers of pixels from 16 to 16384"),
    ({"inference": {"size": ["256", 256]}}, r"inference.size must be two whole numbers"),
])
def test_crafted_checkpoint_settings_are_refused_before_building_anything(tmp_path, changes, message):
    path = _crafted(tmp_path, **changes)
    with pytest.raises(IrstlabelError, match="crafted.pt: .*" + message):
        model_from_checkpoint(path)


def test_nan_weights_are_refused(tmp_path):
    path, model = _saved(tmp_path)
    state = model.state_dict()
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = state[name].clone().fill_(float("nan"))
    save_checkpoint(tmp_path / "nan.pt", model_config=model_config(**TINY), state_dict=state)
    with pytest.raises(IrstlabelError, match=f"nan.pt: weight '{name}' holds NaN or infinite values"):
        load_checkpoint(tmp_path / "nan.pt")


def test_a_zip_bomb_checkpoint_is_refused_from_its_directory(tmp_path):
    import zipfile

    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb/data.pkl", b"\0" * (300 << 20))  # 300 MiB of zeros, a few hundred KB on disk
    assert path.stat().st_size < 2 << 20
    with pytest.raises(IrstlabelError, match=r"bomb.pt: refused: the archive declares 300 MiB of content"):
        load_checkpoint(path)


def test_weights_of_another_model_under_train_init_are_one_line(tmp_path):
    from irstlabel.core.datasets.pairs import DatasetPairs
    from irstlabel.core.datasets.synthetic import make_demo_dataset
    from irstlabel.model.train import TrainConfig, train

    path, _ = _saved(tmp_path)
    data = torch.load(path, weights_only=True)
    data["state_dict"] = dict(list(data["state_dict"].items())[:-2])  # two tensors short
    torch.save(data, tmp_path / "short.pt")
    root = make_demo_dataset(tmp_path / "d", frames=4, size=(32, 32), seed=1)
    source = DatasetPairs(str(root))
    ids = list(source.frame_ids)
    config = TrainConfig(epochs=1, batch=2, size=(32, 32), workers=0, device="cpu", augment=False)
    with pytest.raises(IrstlabelError, match="short.pt: weights do not fit the model settings"):
        train(model_config(**TINY), config, source, ids, ids, tmp_path / "run", init_checkpoint=tmp_path / "short.pt")


def test_a_frame_too_large_for_one_pass_is_predicted_in_tiles_none_over_the_cap():
    from irstlabel.model.inference import MAX_INFERENCE_PIXELS
    from irstlabel.model.predict import EagerRunner, Predictor

    predictor = Predictor(ISPANet(model_config(**TINY)).eval(), device="cpu", size=None, backend="torch")
    passes = []
    eager = predictor.runner
    predictor.runner = lambda x: passes.append(x.shape[2] * x.shape[3]) or eager(x)
    huge = np.zeros((2048, 2561), np.uint8)
    assert predictor(huge).shape == huge.shape
    assert len(passes) > 1 and max(passes) <= MAX_INFERENCE_PIXELS
    assert isinstance(eager, EagerRunner)
