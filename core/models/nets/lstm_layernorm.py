"""lstm_layernorm: layer-normalised LSTM (Ba, Kiros & Hinton 2016), read out at the forecast bar.

The input and recurrent contributions to the gates are normalised apart, and so is the cell before
its tanh, so the gates work on the same scale whatever the features' and the state's magnitudes:
steadier training on heavy-tailed returns. Stepped by `LoopLSTM`; per-step states are causal.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head
from core.models.nets._cell import LoopStack


class LSTMLayerNorm(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = LoopStack(n_features, cfg.hidden, cfg.layers, layer_norm=True)
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])
