"""cnn_standard: a plain stack of 1-D convolutions over time with pooling.

Each layer is Conv1d -> BatchNorm -> ReLU -> dropout -> max-pool by 2, so deeper layers see
coarser, longer patterns (the classic CNN recipe; for time series e.g. Wang et al. 2017); the head
reads the mean and max over the remaining steps. Kernels are centred: every bar of the (past)
window may inform every feature map.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection, POOLED, global_pool


class CNNStandard(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        d = cfg.hidden
        self.proj = InputProjection(n_features, d)
        self.convs = nn.Sequential(*[
            layer
            for _ in range(cfg.layers)
            for layer in (
                nn.Conv1d(d, d, cfg.kernel, padding="same"), nn.BatchNorm1d(d), nn.ReLU(),
                nn.Dropout(cfg.dropout), nn.MaxPool1d(2, ceil_mode=True),  # ceil: a short window never pools to nothing
            )
        ])
        self.head = Head(POOLED * d, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(global_pool(self.convs(self.proj(x).transpose(1, 2))))
