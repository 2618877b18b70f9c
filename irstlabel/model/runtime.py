"""Devices, mixed precision and the distributed environment (torchrun)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..core.errors import IrstlabelError
from .threads import default_threads, usable_cores  # noqa: F401 - where they were


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU. An unavailable CUDA is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise IrstlabelError(None, f"--device {name}: no CUDA GPU is available on this machine (use cpu or auto)")
    if name != "cpu" and not name.startswith("cuda"):
        raise IrstlabelError(None, f"--device must be auto, cpu or cuda[:N], got '{name}'")
    return torch.device(name)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), where bf16 autocast pays."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - builds without oneDNN
        return False


def autocast(device: torch.device, enabled: bool, *, cpu: bool = False):
    """bf16 autocast on CUDA when `enabled`; on CPU only with `cpu` as well, and only where bf16 is native.

    On a CPU with AVX512-BF16 a training step of ISPANet at 384x384 runs ~2x
    faster under bf16 autocast (docs/benchmarks.md); where bf16 is emulated it
    is slower, so it is never used there.
    """
    if enabled and device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    if enabled and cpu and device.type == "cpu" and cpu_has_native_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def dist_env() -> DistEnv:
    """The environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK); one process otherwise."""
    return DistEnv(
        rank=int(os.environ.get("RANK", 0)),
        world_size=int(os.environ.get("WORLD_SIZE", 1)),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )


def init_distributed(env: DistEnv, device: torch.device) -> None:
    """Join the process group: NCCL on GPUs, gloo on CPU."""
    if env.distributed and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")


def barrier(env: DistEnv) -> None:
    if env.distributed and dist.is_initialized():
        dist.barrier()
