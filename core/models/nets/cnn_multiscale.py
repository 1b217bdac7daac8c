"""cnn_multiscale: parallel convolutions with kernels 3, 5 and 7, concatenated (Inception-style).

Short and longer patterns are matched side by side instead of by depth, as in the multi-scale CNN
of Cui et al. 2016 and InceptionTime (Ismail Fawaz et al. 2020). Each block runs the three
branches, concatenates them, mixes with a 1x1 convolution, adds the block's input and normalises
the sum (without that BatchNorm the residual stream drifted and training was unstable from seed to
seed); the head reads the mean, max and last step. The kernel sizes are fixed (``kernel`` is unused).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection, POOLED, global_pool

KERNELS = (3, 5, 7)


class MultiScaleBlock(nn.Module):
    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        branch = width // 2
        self.branches = nn.ModuleList(nn.Conv1d(width, branch, k, padding=k // 2) for k in KERNELS)
        joined = branch * len(KERNELS)
        self.mix = nn.Sequential(nn.BatchNorm1d(joined), nn.ReLU(), nn.Conv1d(joined, width, 1), nn.Dropout(dropout))
        self.norm = nn.BatchNorm1d(width)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x + self.mix(torch.cat([branch(x) for branch in self.branches], dim=1)))


class CNNMultiscale(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.blocks = nn.Sequential(*[MultiScaleBlock(cfg.hidden, cfg.dropout) for _ in range(cfg.layers)])
        self.head = Head(POOLED * cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(global_pool(self.blocks(self.proj(x).transpose(1, 2))))
