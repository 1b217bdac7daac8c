"""cnn_inception: Inception modules with 1x1 bottlenecks and a pooling branch (GoogLeNet, Szegedy et al. 2015).

Unlike ``cnn_multiscale`` (three wide parallel kernels on the full width), each module here is the
Inception-v1 layout as InceptionTime uses it for series (Ismail Fawaz et al. 2020): a 1x1 bottleneck
shrinks the channels before the wider kernels (9, 19, 39, long enough to see a whole window), a
fourth branch max-pools (kernel 3, stride 1) then projects 1x1, and a shortcut joins every module's
output to its input. Four cheap branches cover scales from one bar to the whole window.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._pooled import PooledCNN

KERNELS = (9, 19, 39)  # InceptionTime's 10/20/40, odd so that "same" padding is symmetric


class InceptionModule(nn.Module):
    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        branch = width // 4
        self.bottleneck = nn.Conv1d(width, branch, 1, bias=False)
        self.convs = nn.ModuleList(nn.Conv1d(branch, branch, k, padding="same", bias=False) for k in KERNELS)
        self.pool = nn.Sequential(nn.MaxPool1d(3, stride=1, padding=1), nn.Conv1d(width, branch, 1, bias=False))
        self.out = nn.Sequential(nn.BatchNorm1d(4 * branch), nn.ReLU(), nn.Conv1d(4 * branch, width, 1), nn.Dropout(dropout))
        self.norm = nn.BatchNorm1d(width)

    def forward(self, x: Tensor) -> Tensor:
        thin = self.bottleneck(x)
        joined = torch.cat([*(conv(thin) for conv in self.convs), self.pool(x)], dim=1)
        return torch.relu(self.norm(x + self.out(joined)))


class CNNInception(PooledCNN):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__(n_features, cfg, lambda width, cfg: InceptionModule(width, cfg.dropout))
