"""JSON that every strict parser reads: no NaN or Infinity, numpy values as plain numbers.

``json.dumps`` writes ``Infinity`` and ``NaN`` for non-finite floats, which are
not JSON (RFC 8259) and which `jq`, JavaScript's ``JSON.parse`` and most
languages refuse. Everything irstlabel writes as JSON goes through
:func:`to_json`: a non-finite number becomes ``null``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import PurePath

__all__ = ["to_json", "plain"]


def plain(value):
    """A copy of `value` made of dicts, lists, str, int, float (finite), bool and None.

    Examples
    --------
    >>> import numpy as np
    >>> plain({"bins": [0.5, float("inf")], "n": np.int64(3), "mean": np.float32(float("nan"))})
    {'bins': [0.5, None], 'n': 3, 'mean': None}
    """
    np = sys.modules.get("numpy")  # not imported here: the CLI's help stays free of numpy
    if np is not None and isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if np is not None and isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, PurePath):
        return str(value)
    return value


def to_json(value, **kwargs) -> str:
    """``json.dumps`` of :func:`plain` (`value`), refusing anything that is not strict JSON."""
    return json.dumps(plain(value), allow_nan=False, **kwargs)
