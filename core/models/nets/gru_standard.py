"""gru_standard: a two-layer GRU read out at the forecast bar.

The gated recurrent unit (Cho et al. 2014) has two gates instead of the LSTM's three and no
separate cell state: fewer parameters, often as accurate on short windows. The top layer's output
at the last step, which has seen the whole window, feeds the head.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class GRUStandard(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent("gru", n_features, cfg)
        self.head = Head(self.encoder.width, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.encoder(x)
        return self.head(out[:, -1])
