"""cnn_resnet: residual 1-D convolution blocks with global average pooling.

The ResNet basic block (He et al. 2016), Conv-BN-ReLU-Conv-BN plus the identity, then ReLU, as
used for time series by Wang et al. 2017 ("Time series classification from scratch with deep
neural networks: a strong baseline"). Identity shortcuts let a deeper stack train as easily as a
shallow one; the input projection gives the residual stream its width.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection


class ResidualBlock(nn.Module):
    def __init__(self, width: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(width, width, kernel, padding="same"), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout),
            nn.Conv1d(width, width, kernel, padding="same"), nn.BatchNorm1d(width),
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.body(x))


class CNNResNet(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.blocks = nn.Sequential(*[ResidualBlock(cfg.hidden, cfg.kernel, cfg.dropout) for _ in range(cfg.layers)])
        self.head = Head(cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.blocks(self.proj(x).transpose(1, 2)).mean(-1))
