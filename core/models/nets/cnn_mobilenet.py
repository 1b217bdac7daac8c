"""cnn_mobilenet: depthwise-separable 1-D convolutions (MobileNet v1, Howard et al. 2017).

A standard convolution mixes time and channels at once (kernel x width^2 weights); MobileNet splits
it into a depthwise convolution over time, one filter per channel (kernel x width), and a pointwise
1x1 convolution across channels (width^2), each followed by BatchNorm and ReLU6. The same receptive
field costs about ``kernel`` times fewer weights, which keeps the net cheap to run live.
"""

from __future__ import annotations

from torch import nn

from core.models.config import NetConfig
from core.models.nets._pooled import PooledCNN


class SeparableConv(nn.Sequential):
    """Depthwise conv (groups = channels) - BN - ReLU6 - pointwise 1x1 - BN - ReLU6."""

    def __init__(self, width: int, kernel: int, dropout: float) -> None:
        super().__init__(
            nn.Conv1d(width, width, kernel, padding="same", groups=width, bias=False), nn.BatchNorm1d(width), nn.ReLU6(),
            nn.Conv1d(width, width, 1, bias=False), nn.BatchNorm1d(width), nn.ReLU6(), nn.Dropout(dropout),
        )


class CNNMobileNet(PooledCNN):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__(n_features, cfg, lambda width, cfg: SeparableConv(width, cfg.kernel, cfg.dropout))
