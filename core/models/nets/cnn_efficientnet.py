"""cnn_efficientnet: inverted residual blocks with squeeze-excitation (MBConv of EfficientNet, Tan & Le 2019).

Each MBConv block expands the channels 4x with a 1x1 convolution, filters over time depthwise,
re-weights the channels by squeeze-excitation (Hu et al. 2018: global average -> bottleneck MLP ->
sigmoid gate, so the block learns which maps matter for this window), projects back with a linear
1x1 (no activation: the "inverted" bottleneck of MobileNet v2) and adds the input. SiLU throughout,
as in EfficientNet.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._pooled import PooledCNN

EXPAND = 4  # MBConv6 in the paper; 4 keeps the default width at ~100K parameters
SQUEEZE = 4  # squeeze-excitation reduction of the block's input width


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.Linear(channels, reduced), nn.SiLU(), nn.Linear(reduced, channels), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gate(x.mean(-1)).unsqueeze(-1)


class MBConv(nn.Module):
    def __init__(self, width: int, kernel: int, dropout: float) -> None:
        super().__init__()
        wide = EXPAND * width
        self.body = nn.Sequential(
            nn.Conv1d(width, wide, 1, bias=False), nn.BatchNorm1d(wide), nn.SiLU(),
            nn.Conv1d(wide, wide, kernel, padding="same", groups=wide, bias=False), nn.BatchNorm1d(wide), nn.SiLU(),
            SqueezeExcite(wide, max(width // SQUEEZE, 4)),
            nn.Conv1d(wide, width, 1, bias=False), nn.BatchNorm1d(width), nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class CNNEfficientNet(PooledCNN):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__(n_features, cfg, lambda width, cfg: MBConv(width, cfg.kernel, cfg.dropout))
