"""Losses on logits: BCE (Eq. 6), Soft-IoU (Eq. 8) and F-SIoU (Eq. 22).

Soft-IoU and F-SIoU are computed per image (sums over its pixels) and
averaged over the batch. The paper calls the smoothing term lambda
"infinitesimal"; the default 1e-6 follows that reading (the closed-form
gradients of Eq. 9, 11 and 23 hold in the limit). Public implementations
often use 1; pass ``smooth=1.0`` for that.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F

__all__ = ["bce_loss", "soft_iou_loss", "fsiou_loss", "fsiou_bce_loss", "make_loss", "LOSSES"]


def _at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """Half-precision logits (mixed precision) are promoted; float64 stays float64."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy (Eq. 6) from logits, mean over pixels."""
    logits = _at_least_float32(logits)
    return F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype))


def _soft_iou_per_image(logits: torch.Tensor, target: torch.Tensor, smooth: float) -> torch.Tensor:
    p = torch.sigmoid(_at_least_float32(logits)).flatten(1)
    t = target.to(p.dtype).flatten(1)
    intersection = (p * t).sum(dim=1)
    union = (p + t - p * t).sum(dim=1)
    return 1.0 - (intersection + smooth) / (union + smooth)


def soft_iou_loss(logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1e-6) -> torch.Tensor:
    """Soft-IoU loss (Eq. 8) per image, averaged over the batch."""
    return _soft_iou_per_image(logits, target, smooth).mean()


def fsiou_loss(
    logits: torch.Tensor, target: torch.Tensor, *, alpha: float = 2.0, gamma: float = 2.0, smooth: float = 1e-6
) -> torch.Tensor:
    """Focal Soft-IoU loss (Eq. 22): ``alpha * SoftIoU ** gamma`` per image, batch mean."""
    return (alpha * _soft_iou_per_image(logits, target, smooth) ** gamma).mean()


def fsiou_bce_loss(logits: torch.Tensor, target: torch.Tensor, *, alpha: float = 2.0, gamma: float = 2.0,
                   smooth: float = 1e-6, bce_weight: float = 1.0) -> torch.Tensor:
    """F-SIoU plus `bce_weight` x BCE (docs/choices.md, "Hard negatives").

    Per-image F-SIoU gives a target-free crop almost no gradient (its
    intersection is 0 and the smoothing term tiny), so a false alarm on such
    a crop costs nothing; the pixel-wise BCE term makes it cost.
    """
    return fsiou_loss(logits, target, alpha=alpha, gamma=gamma, smooth=smooth) + bce_weight * bce_loss(logits, target)


LOSSES = {"fsiou": fsiou_loss, "softiou": soft_iou_loss, "bce": bce_loss, "fsiou+bce": fsiou_bce_loss}


def make_loss(name: str, *, alpha: float = 2.0, gamma: float = 2.0, smooth: float = 1e-6):
    """The loss function called `name`, with its options bound."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss '{name}'; valid: {', '.join(LOSSES)}")
    if name == "fsiou":
        return partial(fsiou_loss, alpha=alpha, gamma=gamma, smooth=smooth)
    if name == "fsiou+bce":
        return partial(fsiou_bce_loss, alpha=alpha, gamma=gamma, smooth=smooth)
    if name == "softiou":
        return partial(soft_iou_loss, smooth=smooth)
    return bce_loss
