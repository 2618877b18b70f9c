"""ISPANet on OpenVINO: the fast CPU path of :class:`~irstlabel.model.predict.Predictor`.

The model is exported once with symbolic height and width (multiples of 32,
``torch.export``), converted to OpenVINO's form and saved in the user's cache
(``$IRSTLABEL_CACHE`` or ``~/.cache/irstlabel``), keyed by a digest of the
weights: converting costs ~20 s on a busy 2-core machine, loading the saved
model well under a second. One compiled model serves every frame size. The
digest is computed the same way from a loaded model and, without PyTorch,
from a safetensors file (:func:`cached_identity`), so a command whose model
is already converted never imports torch.

On CPUs with native bf16 (AVX512-BF16, AMX) OpenVINO computes in bf16; the
masks of the starter model on SIRST test frames were checked against eager
fp32 (docs/benchmarks.md). ``precision="f32"`` forces full precision.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path

import numpy as np

from ..core.errors import IrstlabelError
from .threads import default_threads

__all__ = ["OpenVinoRunner", "openvino_available", "cache_folder", "model_digest", "file_digest", "cached_identity"]

EXPORT_VERSION = "1"  # bump when ISPANet's graph changes in a way the weights digest cannot see
PAD = 32  # the network's deepest stride: the exported graph takes multiples of it


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def cache_folder() -> Path:
    base = os.environ.get("IRSTLABEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "irstlabel")
    return Path(base) / "openvino"


def _digest(config, tensors) -> str:
    digest = hashlib.sha256(EXPORT_VERSION.encode())
    digest.update(repr(config).encode())
    for name, array in tensors:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:24]


def model_digest(model) -> str:
    """What the converted model depends on: the configuration, every tensor (as the model holds it), the export version."""
    return _digest(getattr(model, "config", None),
                   ((name, value.detach().cpu().contiguous().numpy()) for name, value in sorted(model.state_dict().items())))


def file_digest(path: str | os.PathLike) -> tuple[str, dict]:
    """:func:`model_digest` of the model a safetensors file loads into, and the file's header; no torch.

    Loading turns stored fp16 tensors into float32 (exactly, as numpy does),
    so the digest equals that of the loaded model.
    """
    from safetensors import safe_open

    from ..core.models.checkpoint_header import read_model_header
    from .config import ISPANetConfig

    header = read_model_header(path)
    config = ISPANetConfig.from_dict(header["model"])
    with safe_open(str(path), framework="np") as handle:
        names = sorted(handle.keys())
        tensors = [(name, _as_loaded(handle.get_tensor(name))) for name in names]
    return _digest(config, tensors), header


def _as_loaded(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float32) if np.issubdtype(array.dtype, np.floating) else array


def _xml_path(identity: str) -> Path:
    return cache_folder() / f"ispanet-{identity}.xml"


def cached_identity(path: str | os.PathLike) -> tuple[str, dict] | None:
    """(digest, header) of a safetensors file whose OpenVINO form is in the cache, else None (also for an unreadable file)."""
    try:
        identity, header = file_digest(path)
    except Exception:  # any problem: the torch path reads the file and names it
        return None
    xml = _xml_path(identity)
    return (identity, header) if xml.is_file() and xml.with_suffix(".bin").is_file() else None


_CONVERT_LOCK = threading.Lock()


def _converted(model, identity: str):
    """The OpenVINO model for `model` (a torch module, or None when it is cached), from the cache or converted now."""
    import openvino as ov

    folder = cache_folder()
    xml = _xml_path(identity)
    core = ov.Core()
    if xml.is_file() and xml.with_suffix(".bin").is_file():
        try:
            return core, core.read_model(xml)
        except RuntimeError:
            if model is None:
                raise IrstlabelError(xml, "the cached OpenVINO model is damaged; delete it to convert again") from None
    import torch

    with _CONVERT_LOCK, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.export's deprecation notices are not the user's business
        example = torch.zeros(1, 1, 4 * PAD, 4 * PAD)
        dims = {2: PAD * torch.export.Dim("h32", min=1, max=512), 3: PAD * torch.export.Dim("w32", min=1, max=512)}
        exported = torch.export.export(model.eval().to(memory_format=torch.contiguous_format), (example,),
                                       dynamic_shapes={"x": dims})
        converted = ov.convert_model(exported)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".ispanet-{identity}.{os.getpid()}.xml"
        ov.save_model(converted, temporary, compress_to_fp16=False)
        os.replace(temporary.with_suffix(".bin"), xml.with_suffix(".bin"))
        os.replace(temporary, xml)
    except OSError:
        pass  # a read-only cache only costs the next start another conversion
    return core, converted


class OpenVinoRunner:
    """Runs ISPANet through OpenVINO on the CPU; called with (1, 1, H, W) float32, returns logits."""

    name = "openvino"

    def __init__(self, model, *, identity: str | None = None, threads: int | None = None,
                 precision: str = "auto"):
        import openvino as ov  # noqa: F401

        if precision not in ("auto", "f32", "bf16"):
            raise IrstlabelError(None, f"precision must be auto, f32 or bf16, got '{precision}'")
        identity = identity or model_digest(model)
        core, converted = _converted(model, identity)
        capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        hint = "bf16" if precision == "auto" and "BF16" in capabilities else "f32" if precision == "auto" else precision
        self.precision = hint
        self.threads = threads or default_threads()
        self.compiled = core.compile_model(converted, "CPU", {"INFERENCE_NUM_THREADS": self.threads,
                                                             "INFERENCE_PRECISION_HINT": hint,
                                                             "PERFORMANCE_HINT": "LATENCY"})
        self._request = self.compiled.create_infer_request()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[-2:]
        ph, pw = -h % PAD, -w % PAD
        if ph or pw:  # the same zero padding the eager network applies to itself
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)))
        logits = self._request.infer([np.ascontiguousarray(x, np.float32)])[0]
        return np.asarray(logits)[..., :h, :w]



def convert_starter() -> str:
    """Convert the shipped starter model now (the install scripts call this), so its first use is fast.

    Returns what happened, in words; never raises for a missing package or model.
    """
    from ..core.models.starter import starter_available
    from .checkpoint import model_from_checkpoint
    from .starter import resolve_checkpoint

    if not openvino_available():
        return "OpenVINO is not installed: prediction will run on PyTorch"
    if not starter_available():
        return "no starter model installed"
    model, _ = model_from_checkpoint(resolve_checkpoint(None))
    OpenVinoRunner(model, threads=1)
    return f"starter model converted for OpenVINO into {cache_folder()}"
