"""gru_attention: a GRU whose outputs are pooled by additive attention over the time steps.

Additive (Bahdanau et al. 2015) scoring, e_t = v . tanh(W h_t), softmax over the window, lets the
net weight the bars that matter instead of trusting the last hidden state alone; the head sees the
attention context and the last output side by side. `attention_weights` returns the softmax
weights, one per bar, for the UI.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class GRUAttention(nn.Module):
    kind = "gru"  # the recurrent cell; `lstm_attention` is the same net over LSTM layers

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent(self.kind, n_features, cfg)
        width = self.encoder.width
        self.score = nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1, bias=False))
        self.head = Head(2 * width, cfg.dropout)

    def _attend(self, x: Tensor) -> tuple[Tensor, Tensor]:
        out, _ = self.encoder(x)
        weights = self.score(out).squeeze(-1).softmax(-1)  # (batch, T)
        context = (weights.unsqueeze(-1) * out).sum(1)
        return torch.cat([context, out[:, -1]], dim=-1), weights

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self._attend(x)[0])

    def attention_weights(self, x: Tensor) -> Tensor:
        """(batch, lookback) softmax weights over the bars of the window; rows sum to 1."""
        return self._attend(x)[1]
