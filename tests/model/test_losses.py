"""Autograd gradients against the closed forms of Eq. 9, 12 and 23 (single-pixel images)."""

import pytest
import torch

from irstlabel.model.losses import bce_loss, fsiou_loss, make_loss, soft_iou_loss

X = torch.linspace(-6, 6, 25, dtype=torch.float64)


def _grad(loss_fn, x, t):
    x = x.clone().requires_grad_(True)
    loss_fn(x.view(1, 1, 1, 1), torch.tensor(float(t), dtype=torch.float64).view(1, 1, 1, 1)).backward()
    return x.grad.item()


@pytest.mark.parametrize("smooth", [1e-6, 0.1, 1.0])
def test_soft_iou_gradient_is_eq_9(smooth):
    for x in X:
        p = torch.sigmoid(x).item()
        assert _grad(lambda a, b: soft_iou_loss(a, b, smooth=smooth), x, 0) == pytest.approx(
            smooth * p * (1 - p) / (p + smooth) ** 2, rel=1e-6, abs=1e-12)
        assert _grad(lambda a, b: soft_iou_loss(a, b, smooth=smooth), x, 1) == pytest.approx(
            p * (p - 1) / (1 + smooth), rel=1e-6, abs=1e-12)


def test_bce_gradient_is_eq_12():
    for x in X:
        p = torch.sigmoid(x).item()
        assert _grad(bce_loss, x, 0) == pytest.approx(p, rel=1e-9)
        assert _grad(bce_loss, x, 1) == pytest.approx(p - 1, rel=1e-9)


@pytest.mark.parametrize("alpha, gamma", [(1, 1), (1, 2), (2, 2), (2, 3)])
def test_fsiou_gradient_is_eq_23(alpha, gamma):
    for x in X:
        p = torch.sigmoid(x).item()
        fn = lambda a, b: fsiou_loss(a, b, alpha=alpha, gamma=gamma, smooth=0.0)  # noqa: E731
        assert _grad(fn, x, 1) == pytest.approx(-alpha * gamma * p * (1 - p) ** gamma, rel=1e-6, abs=1e-12)
        # t = 0: the chain rule through Eq. 9, which vanishes as lambda -> 0 (Eq. 23)
        lam = 1e-3
        smoothed = lambda a, b: fsiou_loss(a, b, alpha=alpha, gamma=gamma, smooth=lam)  # noqa: E731
        soft = p / (p + lam)
        expected = alpha * gamma * soft ** (gamma - 1) * lam * p * (1 - p) / (p + lam) ** 2
        assert _grad(smoothed, x, 0) == pytest.approx(expected, rel=1e-6, abs=1e-15)
        vanishing = lambda a, b: fsiou_loss(a, b, alpha=alpha, gamma=gamma, smooth=1e-12)  # noqa: E731
        assert abs(_grad(vanishing, x, 0)) < 1e-8


def test_losses_are_means_over_images_and_the_factory_checks_names():
    logits = torch.zeros(2, 1, 4, 4)
    target = torch.zeros(2, 1, 4, 4)
    target[0, 0, 0, 0] = 1
    both = soft_iou_loss(logits, target)
    first = soft_iou_loss(logits[:1], target[:1])
    second = soft_iou_loss(logits[1:], target[1:])
    assert both.item() == pytest.approx((first.item() + second.item()) / 2)
    assert make_loss("fsiou", alpha=2, gamma=2)(logits, target).item() == pytest.approx(
        ((2 * torch.stack([first, second]) ** 2).mean()).item())
    with pytest.raises(ValueError, match="valid: fsiou, softiou, bce"):
        make_loss("dice")
