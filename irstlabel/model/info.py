"""Parameters and multiply-accumulates of a model, counted by torch's own FlopCounterMode.

The model is built on the ``meta`` device, so nothing is allocated or computed:
counting the full-size network at 1x1x1024x1280 takes a few seconds on a
laptop. FlopCounterMode counts 2 FLOPs per multiply-accumulate for
convolutions, transposed convolutions and matrix products (attention
included); we report MACs = FLOPs / 2, the unit of thop and of the paper's
Table VII "flops". Normalisation, activation and pooling are not counted,
as in thop.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from .config import ISPANetConfig
from .ispanet import ISPANet


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def model_info(config: ISPANetConfig, size: tuple[int, int] = (1024, 1280)) -> dict:
    """``{"params": n, "macs": n}`` for one input of ``(1, in_channels, H, W)``."""
    with torch.device("meta"):
        model = ISPANet(config)
        x = torch.zeros(1, config.in_channels, *size)
    counter = FlopCounterMode(display=False)
    with counter:
        model(x)
    return {"params": count_parameters(model), "macs": counter.get_total_flops() // 2}
