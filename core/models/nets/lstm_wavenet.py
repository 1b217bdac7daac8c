"""lstm_wavenet: WaveNet-style dilated causal convolutions feeding an LSTM (van den Oord et al. 2016).

Gated residual blocks (tanh x sigmoid, kernel 2, dilation 1, 2, 4, ... until the receptive field
spans the window) extract multi-scale local patterns at every bar; their summed skip outputs are
read by a one-layer LSTM, whose state at the forecast bar feeds the head. Every part is causal,
so the per-step states are too (`features`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection, dilation_levels
from core.models.nets.cnn_tcn import CausalConv1d

KERNEL = 2  # WaveNet's


class GatedBlock(nn.Module):
    """tanh(conv) * sigmoid(conv) on a dilated causal conv; a 1x1 conv to the residual and the skip path."""

    def __init__(self, width: int, dilation: int) -> None:
        super().__init__()
        self.conv = CausalConv1d(width, 2 * width, KERNEL, dilation=dilation)
        self.out = nn.Conv1d(width, 2 * width, 1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        filt, gate = self.conv(x).chunk(2, dim=1)
        residual, skip = self.out(torch.tanh(filt) * torch.sigmoid(gate)).chunk(2, dim=1)
        return x + residual, skip


class LSTMWaveNet(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        width = cfg.hidden // 2  # the convolutions run at half width to leave room for the LSTM
        self.proj = InputProjection(n_features, width)
        self.blocks = nn.ModuleList(GatedBlock(width, 2**i) for i in range(dilation_levels(cfg.lookback, KERNEL)))
        self.lstm = nn.LSTM(width, cfg.hidden, batch_first=True)
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        h, skips = self.proj(x).transpose(1, 2), 0
        for block in self.blocks:
            h, skip = block(h)
            skips = skips + skip
        return self.lstm(torch.relu(skips).transpose(1, 2))[0]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])
