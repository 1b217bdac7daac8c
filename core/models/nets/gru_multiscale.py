"""gru_multiscale: GRUs over the window at strides 1, 2 and 4, their final states merged.

Each GRU reads every s-th bar counted back from the forecast bar, so the coarse ones see the same
span in fewer, longer steps (slower dynamics, shorter gradient paths) while stride 1 keeps every
bar; the three final states are concatenated for the head (multi-scale RNNs, e.g. Chung et al. 2017).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection

STRIDES = (1, 2, 4)


class GRUMultiscale(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.grus = nn.ModuleList(nn.GRU(cfg.hidden, cfg.hidden, batch_first=True) for _ in STRIDES)
        self.head = Head(len(STRIDES) * cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        h = self.proj(x)
        last = h.size(1) - 1
        states = [gru(h[:, last % s :: s])[1][0] for s, gru in zip(STRIDES, self.grus, strict=True)]
        return self.head(torch.cat(states, dim=-1))
