"""gru_stacked: a deeper (three-layer) GRU whose every layer feeds the head.

As in Graves (2013, "Generating sequences with recurrent neural networks", for LSTMs), each layer's final
state is connected to the output, not only the top one: lower layers keep faster, closer-to-input
dynamics, and the skip paths shorten gradient paths through the deeper stack.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class GRUStacked(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent("gru", n_features, cfg)
        self.head = Head(cfg.layers * self.encoder.width, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.encoder(x)  # (layers, batch, hidden): the state at the forecast bar of every layer
        return self.head(h_n.transpose(0, 1).flatten(1))
