"""The frame the convolutional nets of issue 23 share: projection, a stack of blocks, pooled head.

Only the block differs between DenseNet, Inception, MobileNet and EfficientNet, so each net file
says just how its block is built; the input projection, mean/max/last pooling and the head stay
the same, which keeps their comparison about the blocks.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection, POOLED, global_pool


class PooledCNN(nn.Module):
    """Windows (batch, lookback, features) -> ``cfg.layers`` blocks of width ``cfg.hidden`` -> (batch, 2)."""

    def __init__(self, n_features: int, cfg: NetConfig, block: Callable[[int, NetConfig], nn.Module]) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.blocks = nn.Sequential(*[block(cfg.hidden, cfg) for _ in range(cfg.layers)])
        self.head = Head(POOLED * cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(global_pool(self.blocks(self.proj(x).transpose(1, 2))))
