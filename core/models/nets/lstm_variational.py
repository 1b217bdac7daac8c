"""lstm_variational: LSTM regularised by variational dropout (Gal & Ghahramani 2016).

One dropout mask per sequence on the inputs and on the recurrent state, reused at every step,
instead of fresh noise per step (which would destroy the memory it is meant to regularise); the
registry gives it a stronger rate (0.3) than the other nets. Stepped by `LoopLSTM`; per-step
states are causal (`features`); no dropout at inference.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head
from core.models.nets._cell import LoopStack


class LSTMVariational(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = LoopStack(n_features, cfg.hidden, cfg.layers, dropout=cfg.dropout)
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])
