"""lstm_bidirectional: an LSTM read in both directions over the past window (Schuster & Paliwal 1997).

The window ends at the forecast bar, so the backward direction reads only past bars (newest to
oldest); nothing from after the forecast bar is used. The readout joins each direction's final
state: forward after the forecast bar, backward after the oldest bar, so both have seen the whole
window. Each direction has ``hidden // 2`` units, keeping the width and parameter count of
`lstm_standard`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class LSTMBidirectional(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent("lstm", n_features, cfg, bidirectional=True)
        self.head = Head(self.encoder.width, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.encoder(x)  # (layers * 2, batch, hidden // 2); the last two rows are the top layer
        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))
