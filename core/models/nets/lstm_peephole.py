"""lstm_peephole: LSTM with peephole connections (Gers & Schmidhuber 2000), read out at the forecast bar.

The input and forget gates also see the previous cell state and the output gate the new one, so the
gates can time their opening on the cell's content itself (the peephole weights start at zero: the
net starts as a plain LSTM). Stepped by `LoopLSTM`; per-step states are causal (`features`).
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head
from core.models.nets._cell import LoopStack


class LSTMPeephole(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = LoopStack(n_features, cfg.hidden, cfg.layers, peephole=True)
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])
