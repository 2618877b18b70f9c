"""ISPANet's configuration: a dataclass saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

VARIANTS = {
    "B": "full ISPANet (LFE, MFSA, MFF, FCB head with bias)",
    "A": "no MFSA (Table XI, A)",
    "C": "MFF before MFSA (Table XI, C)",
    "D": "no head bias (Table XI, D)",
}
CHANNELS = (16, 32, 64, 128)
UPSAMPLING = ("deconv", "bilinear")


MAX_CHANNELS = 1024  # 16x the paper's c: anything larger is a typo or a crafted file, not a model


def _check_types(config) -> None:
    """Every field has its declared kind (ints are not bools or floats), before any range check."""
    kinds = {"channels": int, "variant": str, "in_channels": int, "mlp_ratio": (int, float), "fuse_from": str,
             "dropout": (int, float), "prior": (int, float), "upsample": str}
    for name, kind in kinds.items():
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError(f"{name} must be {getattr(kind, '__name__', 'a number')}, got {value!r}")
    for name in ("lfe_widths", "lfe_blocks", "heads", "scales"):
        value = getattr(config, name)
        if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{name} must be 4 integers, got {value!r}")


@dataclass(frozen=True)
class ISPANetConfig:
    """Everything that defines an ISPANet's shape.

    Attributes
    ----------
    channels : int
        The paper's ``c``: channels of D2..D5 and of MFSA/MFF (64).
    variant : {"B", "A", "C", "D"}
        Table XI's ablations; "B" is the full network.
    in_channels : int
        Input channels (1 for infrared frames).
    lfe_widths : tuple of 4 ints
        Channels of C2..C5 in the local feature extractor.
    lfe_blocks : tuple of 4 ints
        Residual blocks per LFE stage (strides 4, 8, 16, 32).
    heads : tuple of 4 ints
        Attention heads of MFSA at D2..D5.
    scales : tuple of 4 ints
        MFSA spatial-scaling factor ``s`` at D2..D5 (K and V from an s x s,
        stride-s convolution).
    mlp_ratio : float
        Hidden width of MFSA's feed-forward layer, as a multiple of ``channels``.
    fuse_from : {"P", "R"}
        Eq. 18 reading: fuse the upsampled ``P(i+1)`` (top-down, default) or
        the literal ``R(i+1)``.
    dropout : float
        Dropout after the head's first two convolutions (0.1).
    prior : float
        The head's prior probability ``pi`` (0.01): last bias
        ``b = -log((1 - pi) / pi)``; ignored by variant "D".
    upsample : {"deconv", "bilinear"}
        MFF's upsampling: the paper's transposed convolutions (kernel =
        stride, default), or bilinear interpolation (an ablation: it has no
        checkerboard of its own, but did not lower the periodic energy of the
        predictions and learned slower; docs/benchmarks.md).
    """

    channels: int = 64
    variant: str = "B"
    in_channels: int = 1
    lfe_widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    lfe_blocks: tuple[int, int, int, int] = (6, 6, 2, 2)
    heads: tuple[int, int, int, int] = (1, 2, 4, 8)
    scales: tuple[int, int, int, int] = (8, 4, 2, 1)
    mlp_ratio: float = 4.0
    fuse_from: str = "P"
    dropout: float = 0.1
    prior: float = 0.01
    upsample: str = "deconv"

    def __post_init__(self):
        _check_types(self)
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant '{self.variant}'; valid: {', '.join(VARIANTS)}")
        if self.channels < 8 or self.channels % 8 or self.channels > MAX_CHANNELS:
            raise ValueError(f"channels must be a multiple of 8 from 8 to {MAX_CHANNELS}; got {self.channels}")
        if not 1 <= self.in_channels <= 16:
            raise ValueError(f"in_channels must be from 1 to 16, got {self.in_channels}")
        for name, top in (("lfe_widths", MAX_CHANNELS * 8), ("lfe_blocks", 64), ("heads", 64), ("scales", 64)):
            value = getattr(self, name)
            if len(value) != 4 or min(value) < 1 or max(value) > top:
                raise ValueError(f"{name} must be 4 integers from 1 to {top}, got {value}")
        if not 0.0 < self.mlp_ratio <= 16.0 or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"mlp_ratio must be in (0, 16] and dropout in [0, 1); got {self.mlp_ratio}, {self.dropout}")
        for heads in self.heads:
            if self.channels % heads:
                raise ValueError(f"channels {self.channels} must be divisible by every head count {self.heads}")
        if self.fuse_from not in ("P", "R"):
            raise ValueError(f"fuse_from must be 'P' or 'R', got '{self.fuse_from}'")
        if self.upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {', '.join(UPSAMPLING)}, got '{self.upsample}'")
        if not 0.0 < self.prior < 1.0:
            raise ValueError(f"prior must be in (0, 1), got {self.prior}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "ISPANetConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model settings: {', '.join(sorted(unknown))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
