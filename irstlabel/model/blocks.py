"""Building blocks shared by ISPANet and the reference trunk."""

from __future__ import annotations

import torch
from torch import nn


def conv_bn_relu(in_channels: int, out_channels: int, *, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet's basic block)."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


def stage(in_channels: int, out_channels: int, blocks: int, *, stride: int) -> nn.Sequential:
    layers = [BasicBlock(in_channels, out_channels, stride=stride)]
    layers += [BasicBlock(out_channels, out_channels) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class ResidualTrunk(nn.Module):
    """A ResNet-style feature extractor returning C2..C5 (strides 4, 8, 16, 32).

    The stem is three 3x3 convolutions (the first with stride 2) and a 3x3
    max-pool: five downsamplings in all. With ``blocks=(2, 2, 2, 2)`` and
    widths ``(64, 128, 256, 512)`` it is a ResNet-18 trunk.
    """

    def __init__(self, in_channels: int, widths, blocks):
        super().__init__()
        stem_width = widths[0] // 2
        self.stem = nn.Sequential(
            conv_bn_relu(in_channels, stem_width, stride=2),
            conv_bn_relu(stem_width, stem_width),
            conv_bn_relu(stem_width, widths[0]),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.stages = nn.ModuleList()
        previous = widths[0]
        for k, (width, count) in enumerate(zip(widths, blocks)):
            self.stages.append(stage(previous, width, count, stride=1 if k == 0 else 2))
            previous = width

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        features = []
        for layer in self.stages:
            x = layer(x)
            features.append(x)
        return features

