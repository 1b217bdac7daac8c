"""cnn_tcn: a temporal convolutional network (Bai, Kolter & Koltun 2018), read out at the last step.

Residual blocks of two causal, dilated, weight-normalised convolutions (ReLU, dropout), dilation
doubling per block. Causal means left padding only: the map at step t sees bars <= t, which
`features` exposes and the tests check. The depth is the fewest blocks whose receptive field spans
the look-back (3 blocks, 29 bars, for 24; ``layers`` is not used), so the last step, which feeds
the head, has seen the whole window.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection, dilation_levels


class CausalConv1d(nn.Conv1d):
    """Conv1d padded on the left by (kernel - 1) * dilation: output t depends on inputs <= t."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, ((self.kernel_size[0] - 1) * self.dilation[0], 0)))


class TemporalBlock(nn.Module):
    def __init__(self, width: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            weight_norm(CausalConv1d(width, width, kernel, dilation=dilation)), nn.ReLU(), nn.Dropout(dropout),
            weight_norm(CausalConv1d(width, width, kernel, dilation=dilation)), nn.ReLU(), nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.body(x))


class CNNTCN(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        levels = dilation_levels(cfg.lookback, cfg.kernel, convs_per_level=2)
        self.blocks = nn.Sequential(
            *[TemporalBlock(cfg.hidden, cfg.kernel, 2**i, cfg.dropout) for i in range(levels)]
        )
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step maps (batch, T, hidden); the map at step t depends only on x[:, : t + 1]."""
        return self.blocks(self.proj(x).transpose(1, 2)).transpose(1, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])
