"""ISPANet (Fig. 9-11, Eq. 14-21): LFE, MFSA, MFF and the FCB head.

Where the paper is open (see docs/choices.md):

* LFE is a residual trunk with a three-convolution stem and stages of
  ``lfe_blocks`` basic blocks at strides 4, 8, 16, 32 (C2..C5), unified to
  ``c`` channels by 1x1 convolutions (D2..D5). The default depths (6, 6, 2, 2)
  were chosen so that at c = 64 and a 1x1024x1280 input the network has the
  paper's size (13.62 M parameters, 114.15 G multiply-accumulates).
* MFSA at level i splits D_i into a (6 - i) x (6 - i) grid of sub-maps that
  share parameters (Eq. 14), and runs a pre-norm transformer block on each:
  multi-head attention with Q from the sequence and K, V from an s x s,
  stride-s convolution of it (Eq. 16), then a feed-forward layer. Features are
  zero-padded to what the grid and s need and cropped back.
* MFF fuses top-down (Eq. 17-19); ``fuse_from="P"`` upsamples P(i+1), the
  literal Eq. 18 ``"R"`` upsamples R(i+1).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import ResidualTrunk, conv_bn_relu
from .config import ISPANetConfig

__all__ = ["ISPANet", "MFSA", "MFF"]

STRIDE = 32  # the deepest feature map's stride: inputs are padded to a multiple of it


class MFSA(nn.Module):
    """Multiscale receptive-field self-attention for one pyramid level.

    Parameters
    ----------
    channels : int
    grid : int
        Sub-maps per side; ``grid ** 2`` sub-maps share the parameters.
    scale : int
        Spatial scaling ``s`` of K and V.
    heads : int
    mlp_ratio : float
    """

    def __init__(self, channels: int, *, grid: int, scale: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.grid, self.scale, self.heads = grid, scale, heads
        self.norm1 = nn.LayerNorm(channels)
        self.q = nn.Linear(channels, channels)
        self.kv = nn.Linear(channels, 2 * channels)
        self.reduce = nn.Conv2d(channels, channels, scale, stride=scale) if scale > 1 else None
        self.reduce_norm = nn.LayerNorm(channels) if scale > 1 else None
        self.proj = nn.Linear(channels, channels)
        self.norm2 = nn.LayerNorm(channels)
        hidden = int(channels * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.GELU(), nn.Linear(hidden, channels))

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        b, c, h, w = d.shape
        g, s = self.grid, self.scale
        unit = g * s
        # shape arithmetic without branches or floats, so the graph exports with symbolic sizes
        ph, pw = (h + unit - 1) // unit * unit, (w + unit - 1) // unit * unit
        x = F.pad(d, (0, pw - w, 0, ph - h))
        sh, sw = ph // g, pw // g
        # (B, C, g*sh, g*sw) -> (B*g*g, sh*sw, C): every sub-map is a sequence
        x = x.reshape(b, c, g, sh, g, sw).permute(0, 2, 4, 3, 5, 1).reshape(b * g * g, sh * sw, c)
        x = x + self._attention(self.norm1(x), sh, sw)
        x = x + self.mlp(self.norm2(x))
        x = x.reshape(b, g, g, sh, sw, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, ph, pw)
        return x[:, :, :h, :w]

    def _attention(self, y: torch.Tensor, sh: int, sw: int) -> torch.Tensor:
        n, length, c = y.shape
        head_dim = c // self.heads
        q = self.q(y).reshape(n, length, self.heads, head_dim).transpose(1, 2)
        source = y
        if self.reduce is not None:
            grid = y.transpose(1, 2).reshape(n, c, sh, sw)
            source = self.reduce_norm(self.reduce(grid).flatten(2).transpose(1, 2))
        k, v = self.kv(source).reshape(n, -1, 2, self.heads, head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(n, length, c))


def _upsampler(channels: int, factor: int, kind: str) -> nn.Module:
    """x `factor`: a transposed convolution with kernel = stride (the paper's), or bilinear interpolation."""
    if kind == "bilinear":
        return nn.Upsample(scale_factor=factor, mode="bilinear", align_corners=False)
    return nn.ConvTranspose2d(channels, channels, factor, stride=factor)


class MFF(nn.Module):
    """Multilevel feature fusion (Eq. 17-19): top-down pyramid, then F at stride 4."""

    def __init__(self, channels: int, *, fuse_from: str = "P", upsample: str = "deconv"):
        super().__init__()
        c, half = channels, channels // 2
        self.fuse_from = fuse_from
        self.top = nn.Sequential(conv_bn_relu(c, c), nn.Conv2d(c, c, 3, padding=1))
        self.up = nn.ModuleList(_upsampler(c, 2, upsample) for _ in range(3))
        self.fuse = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c, 3, padding=1)) for _ in range(3)
        )
        self.narrow = nn.ModuleList(nn.Conv2d(c, half, 3, padding=1) for _ in range(4))
        self.lift = nn.ModuleList([nn.Identity()] + [_upsampler(half, 2**k, upsample) for k in (1, 2, 3)])

    def pyramid(self, r: list[torch.Tensor]) -> list[torch.Tensor]:
        """P2..P5 from R2..R5 (Eq. 18)."""
        p = [None, None, None, self.top(r[3])]
        for k in (2, 1, 0):  # P4, P3, P2
            source = p[k + 1] if self.fuse_from == "P" else r[k + 1]
            p[k] = self.fuse[k](self.up[k](source) + r[k])
        return p

    def merge(self, p: list[torch.Tensor]) -> torch.Tensor:
        """F = sum of the narrowed P_i brought to stride 4 (Eq. 19)."""
        return sum(lift(narrow(level)) for lift, narrow, level in zip(self.lift, self.narrow, p))


class FCBHead(nn.Module):
    """Full convolution head with bias (Eq. 20-21): three convolutions to one logit map."""

    def __init__(self, channels: int, *, dropout: float, prior: float | None):
        super().__init__()
        half, quarter, eighth = channels // 2, max(channels // 4, 2), max(channels // 8, 2)
        self.body = nn.Sequential(
            conv_bn_relu(half, quarter), nn.Dropout(dropout), conv_bn_relu(quarter, eighth), nn.Dropout(dropout)
        )
        self.out = nn.Conv2d(eighth, 1, 1)
        self.prior = prior

    def reset_bias(self) -> None:
        bias = 0.0 if self.prior is None else -math.log((1 - self.prior) / self.prior)
        nn.init.constant_(self.out.bias, bias)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(f))


class ISPANet(nn.Module):
    """ISPANet: logits (B, 1, H, W) from infrared frames (B, in_channels, H, W) of any size."""

    def __init__(self, config: ISPANetConfig = ISPANetConfig()):
        super().__init__()
        self.config = config
        c = config.channels
        self.lfe = ResidualTrunk(config.in_channels, config.lfe_widths, config.lfe_blocks)
        self.unify = nn.ModuleList(nn.Conv2d(width, c, 1) for width in config.lfe_widths)
        self.mfsa = None
        if config.variant != "A":
            self.mfsa = nn.ModuleList(
                MFSA(c, grid=6 - level, scale=s, heads=h, mlp_ratio=config.mlp_ratio)
                for level, s, h in zip((2, 3, 4, 5), config.scales, config.heads)
            )
        self.mff = MFF(c, fuse_from=config.fuse_from, upsample=config.upsample)
        self.head = FCBHead(c, dropout=config.dropout, prior=None if config.variant == "D" else config.prior)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform weights, zero biases (the head's last bias from the prior)."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.BatchNorm2d, nn.LayerNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        self.head.reset_bias()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (h + STRIDE - 1) // STRIDE * STRIDE, (w + STRIDE - 1) // STRIDE * STRIDE
        x = F.pad(x, (0, pw - w, 0, ph - h))
        d = [unify(c) for unify, c in zip(self.unify, self.lfe(x))]
        variant = self.config.variant
        if variant == "C":  # MFF first, then self-attention on the fused maps
            p = self.mff.pyramid(d)
            p = [level + attend(level) for level, attend in zip(p, self.mfsa)]
        else:
            r = d if self.mfsa is None else [level + attend(level) for level, attend in zip(d, self.mfsa)]
            p = self.mff.pyramid(r)
        logits = self.head(self.mff.merge(p))
        logits = F.interpolate(logits, size=(ph, pw), mode="bilinear", align_corners=False)
        return logits[:, :, :h, :w]
