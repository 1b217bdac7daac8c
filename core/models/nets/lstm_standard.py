"""lstm_standard: a two-layer LSTM read out at the forecast bar.

The baseline recurrent net (Hochreiter & Schmidhuber 1997): the window is read oldest to newest
and the top layer's output at the last step, which has seen the whole window, feeds the head.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class LSTMStandard(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent("lstm", n_features, cfg)
        self.head = Head(self.encoder.width, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.encoder(x)
        return self.head(out[:, -1])
