"""Shipped weights (safetensors, fp16, no pickle) and the fast CPU backend (OpenVINO) against eager PyTorch."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from irstlabel.core.errors import IrstlabelError
from irstlabel.model.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from irstlabel.model.factory import model_config
from irstlabel.model.inference import InferenceSettings
from irstlabel.model.info import count_parameters
from irstlabel.model.ispanet import ISPANet
from irstlabel.model.openvino_backend import OpenVinoRunner, openvino_available
from irstlabel.model.predict import EagerRunner, Predictor, probability_map
from irstlabel.model.safetensors_io import save_safetensors

TINY = dict(channels=16, lfe_widths=(16, 32, 64, 64), lfe_blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2))


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    model = ISPANet(model_config(**TINY)).eval()
    for module in model.modules():  # trained-looking batch-norm statistics, not the identity
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
    return model


def _safetensors(tmp_path, model, **sections):
    path = tmp_path / "m.safetensors"
    save_safetensors(path, model_config=model.config, state_dict=model.state_dict(),
                     inference=sections.pop("inference", {"scale": 1.5, "threshold": 0.4}), **sections)
    return path


def test_fp16_safetensors_round_trip_keeps_settings_and_weights_within_rounding(tmp_path, tiny):
    path = _safetensors(tmp_path, tiny, train={"size": [384, 384]}, provenance={"seed": 0})
    assert path.stat().st_size < sum(t.numel() * t.element_size() for t in tiny.state_dict().values()) * 0.6
    loaded, data = model_from_checkpoint(path)
    assert data["model_config"] == tiny.config and data["weights_file"] == "safetensors"
    assert data["inference"] == {"scale": 1.5, "threshold": 0.4} and data["provenance"] == {"seed": 0}
    for name, value in tiny.state_dict().items():
        got = loaded.state_dict()[name]
        assert got.dtype == value.dtype, name
        torch.testing.assert_close(got, value.half().to(value.dtype), rtol=0, atol=0)
    assert Predictor.from_checkpoint(path, device="cpu", backend="torch").settings == \
        InferenceSettings(scale=1.5, threshold=0.4)


def test_loading_a_safetensors_model_never_unpickles(tmp_path, tiny):
    """With every unpickling path of Python and torch made to fail, the safetensors file still loads (a .pt does not)."""
    path = _safetensors(tmp_path, tiny)
    pt = tmp_path / "m.pt"
    save_checkpoint(pt, model_config=tiny.config, state_dict=tiny.state_dict())
    code = f"""
        import pickle, torch
        def refuse(*a, **k):
            raise AssertionError("unpickling attempted")
        class Refuse:
            def __init__(self, *a, **k):
                refuse()
        pickle.load = pickle.loads = refuse
        pickle.Unpickler = Refuse
        torch.load = refuse
        from irstlabel.model.checkpoint import model_from_checkpoint
        model, data = model_from_checkpoint({str(path)!r})
        print("safetensors ok", data["inference"]["scale"])
        try:
            model_from_checkpoint({str(pt)!r})
        except AssertionError as exc:
            print("pt refused:", exc)
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["safetensors ok 1.5", "pt refused: unpickling attempted"]


def test_damaged_or_foreign_safetensors_files_are_one_line_errors(tmp_path, tiny):
    from safetensors.torch import save_file

    good = _safetensors(tmp_path, tiny).read_bytes()
    cases = {"truncated.safetensors": good[: len(good) // 2],
             "header.safetensors": good[:8] + b"{" + b"\x00" * 40}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    save_file({"w": torch.zeros(2)}, str(tmp_path / "foreign.safetensors"), metadata={"format": "pt"})
    bad_scale = tmp_path / "scale.safetensors"
    save_safetensors(bad_scale, model_config=tiny.config, state_dict=tiny.state_dict(), inference={"scale": -1})
    nan = {k: v.clone() for k, v in tiny.state_dict().items()}
    next(v for v in nan.values() if v.is_floating_point()).fill_(float("nan"))
    save_safetensors(tmp_path / "nan.safetensors", model_config=tiny.config, state_dict=nan)
    expected = {"truncated.safetensors": "not a readable safetensors file", "header.safetensors": "not a",
                "foreign.safetensors": "not an irstlabel ISPANet model", "scale.safetensors": "invalid inference settings",
                "nan.safetensors": "NaN or infinite"}
    for name, words in expected.items():
        with pytest.raises(IrstlabelError) as caught:
            load_checkpoint(tmp_path / name)
        message = str(caught.value)
        assert name in message and words in message and "\n" not in message, message


needs_openvino = pytest.mark.skipif(not openvino_available(), reason="openvino is not installed (pip install '.[fast]')")


@needs_openvino
@given(h=st.integers(16, 300), w=st.integers(16, 300), seed=st.integers(0, 2**16))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_openvino_f32_equals_eager_on_any_frame_size(tiny, h, w, seed):
    """Odd sizes, sizes under the network's stride, and sizes where MFSA pads: one converted model serves all."""
    frame = np.random.default_rng(seed).integers(0, 65535, (h, w), dtype=np.uint16)
    fast = _runner(tiny, "f32")
    eager = EagerRunner(tiny, torch.device("cpu"))
    settings_ = InferenceSettings(scale=1.0)
    np.testing.assert_allclose(probability_map(fast, frame, settings_), probability_map(eager, frame, settings_),
                               atol=2e-4)


_RUNNERS = {}


def _runner(model, precision):
    key = (id(model), precision)
    if key not in _RUNNERS:
        _RUNNERS[key] = OpenVinoRunner(model, precision=precision, threads=1)
    return _RUNNERS[key]


@needs_openvino
@pytest.mark.slow  # ~40 s: the default run's test_a_damaged_cache_entry_falls_back_to_converting_again covers it
def test_the_converted_model_is_cached_and_a_damaged_cache_is_converted_again(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("IRSTLABEL_CACHE", str(tmp_path / "cache"))
    OpenVinoRunner(tiny, precision="f32", threads=1)
    saved = sorted(p.name for p in (tmp_path / "cache" / "openvino").iterdir())
    assert len(saved) == 2 and saved[0].endswith(".bin") and saved[1].endswith(".xml")
    (tmp_path / "cache" / "openvino" / saved[1]).write_text("<damaged")
    frame = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    again = OpenVinoRunner(tiny, precision="f32", threads=1)
    np.testing.assert_allclose(probability_map(again, frame, InferenceSettings()),
                               probability_map(EagerRunner(tiny, torch.device("cpu")), frame, InferenceSettings()),
                               atol=2e-4)


def test_an_unknown_backend_lists_the_valid_ones(tiny):
    with pytest.raises(IrstlabelError, match="unknown prediction backend 'onnx'; valid: auto, openvino, torch"):
        Predictor(tiny, device="cpu", backend="onnx")


def test_the_json_header_is_readable_without_torch(tmp_path, tiny):
    from irstlabel.core.models.checkpoint_header import read_model_header

    path = _safetensors(tmp_path, tiny, metrics={"val": {"niou": 0.5}})
    metadata = read_model_header(path)
    assert metadata["model"] == json.loads(json.dumps(tiny.config.to_dict()))
    assert metadata["metrics"] == {"val": {"niou": 0.5}} and metadata["inference"]["scale"] == 1.5


def test_precision_f32_is_eager_fp32_exactly_and_a_wrong_precision_is_named(tiny, tmp_path, capsys):
    """`--precision f32`: no bf16 anywhere; its maps equal the eager fp32 network's own output."""
    from irstlabel.cli import main
    from irstlabel.core.datasets.synthetic import make_demo_dataset

    frame = np.random.default_rng(3).integers(0, 255, (40, 56)).astype(np.uint8)
    exact = Predictor(copy.deepcopy(tiny), device="cpu", backend="torch", precision="f32")
    assert not exact.runner.cpu_amp and not exact.runner.amp
    reference = Predictor(copy.deepcopy(tiny), device="cpu", backend="torch", cpu_amp=False, amp=False)
    np.testing.assert_array_equal(exact(frame), reference(frame))
    with pytest.raises(IrstlabelError, match="precision must be auto or f32, got 'fp16'"):
        Predictor(tiny, device="cpu", backend="torch", precision="fp16")
    root = make_demo_dataset(tmp_path / "d", frames=2, size=(32, 40))
    model = str(_safetensors(tmp_path, tiny))
    assert main(["predict", model, str(root), "--out", str(tmp_path / "out"), "--precision", "f32", "--backend", "torch"]) == 0
    assert "2 frames written" in capsys.readouterr().out


def test_a_safetensors_file_has_the_digest_of_the_model_it_loads_into(tmp_path, tiny):
    """The cache key read from the file without torch is the key the loaded model converts under."""
    from irstlabel.model.openvino_backend import file_digest, model_digest

    path = _safetensors(tmp_path, tiny)
    loaded, _ = model_from_checkpoint(path)
    digest, header = file_digest(path)
    assert digest == model_digest(loaded) and header["inference"]["scale"] == 1.5
    other = copy.deepcopy(tiny)
    with torch.no_grad():
        next(other.parameters()).add_(0.5)
    (tmp_path / "other").mkdir()
    assert file_digest(_safetensors(tmp_path / "other", other))[0] != digest


FRESH_PROCESS = textwrap.dedent("""
    import json, sys
    from irstlabel.cli import main
    code = main(sys.argv[1:])
    print(json.dumps({"code": code, "torch": "torch" in sys.modules}))
""")


@pytest.mark.skipif(not openvino_available(), reason="needs the openvino package")
def test_a_converted_model_predicts_in_a_fresh_process_without_torch_and_gives_the_same_masks(tmp_path, tiny,
                                                                                              monkeypatch):
    """What `irstlabel predict` does the second time: the cached OpenVINO form alone, torch never imported."""
    from irstlabel.core.datasets.synthetic import make_demo_dataset

    monkeypatch.setenv("IRSTLABEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IRSTLABEL_THREADS", "1")
    monkeypatch.setenv("IRSTLABEL_BACKEND", "auto")  # what a user gets (the suite runs on torch)
    path = _safetensors(tmp_path, tiny)
    dataset = make_demo_dataset(tmp_path / "d", frames=3, size=(40, 56), seed=2)

    def predict(out):
        done = subprocess.run([sys.executable, "-c", FRESH_PROCESS, "predict", str(path), str(dataset), "--out",
                               str(tmp_path / out), "--device", "cpu", "--probabilities"],
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = predict("first")  # converts: torch is needed once
    assert first == {"code": 0, "torch": True}
    second = predict("second")
    assert second == {"code": 0, "torch": False}
    for name in sorted(p.name for p in (tmp_path / "first").iterdir()):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
    fast = Predictor.from_checkpoint(path, device="cpu")
    assert fast.backend == "openvino" and fast.settings.scale == 1.5 and fast.threshold == 0.4
    assert count_parameters(fast.model) == count_parameters(tiny)  # torch loads the model when asked for it


@pytest.mark.skipif(not openvino_available(), reason="needs the openvino package")
def test_a_damaged_cache_entry_falls_back_to_converting_again(tmp_path, tiny, monkeypatch):
    monkeypatch.setenv("IRSTLABEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IRSTLABEL_BACKEND", "auto")
    path = _safetensors(tmp_path, tiny)
    Predictor.from_checkpoint(path, device="cpu")
    saved = sorted(p.suffix for p in (tmp_path / "cache" / "openvino").iterdir())
    assert saved.count(".xml") >= 1 and saved.count(".bin") == saved.count(".xml")  # the converted model kept
    for xml in (tmp_path / "cache" / "openvino").glob("*.xml"):
        xml.write_text("<damaged")
    frame = np.random.default_rng(1).integers(0, 255, (40, 50)).astype(np.uint8)
    again = Predictor.from_checkpoint(path, device="cpu", precision="f32")
    eager = Predictor.from_checkpoint(path, device="cpu", backend="torch", precision="f32")
    assert again.backend == "openvino"
    np.testing.assert_allclose(again(frame), eager(frame), atol=2e-4)
