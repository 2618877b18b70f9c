"""A small model factory: names to configurations, with the list of valid names on a wrong one."""

from __future__ import annotations

from .config import ISPANetConfig
from .ispanet import ISPANet

MODEL_NAMES = {
    "ispanet": "B",
    "ispanet-a": "A",
    "ispanet-c": "C",
    "ispanet-d": "D",
}


def model_config(name: str = "ispanet", **overrides) -> ISPANetConfig:
    """The configuration of a named model, with some fields overridden.

    Examples
    --------
    >>> model_config("ispanet-a", channels=32).variant
    'A'
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model '{name}'; valid names: {', '.join(MODEL_NAMES)}")
    settings = {"variant": MODEL_NAMES[name], **{k: v for k, v in overrides.items() if v is not None}}
    return ISPANetConfig.from_dict(settings)  # lists (from JSON) become tuples, unknown keys are refused


def create_model(name: str = "ispanet", **overrides) -> ISPANet:
    """Build a named model (``ispanet``, ``ispanet-a``, ``ispanet-c``, ``ispanet-d``)."""
    return ISPANet(model_config(name, **overrides))


def build_model(config: ISPANetConfig) -> ISPANet:
    return ISPANet(config)
