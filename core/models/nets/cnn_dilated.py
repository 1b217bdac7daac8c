"""cnn_dilated: residual convolutions with dilations 1, 2, 4, 8, ... over the window.

Dilation doubles the reach of each layer at constant cost (Yu & Koltun 2016; WaveNet, van den Oord
et al. 2016), so a few layers cover the whole window: the depth is the fewest levels whose
receptive field spans the look-back (4 levels, 31 bars, for 24; ``layers`` is not used). Kernels are
centred, unlike `cnn_tcn`: each map mixes bars on both sides, all inside the past window. The head
reads the mean and max over time.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import POOLED, CentredConv1d, Head, InputProjection, dilation_levels, global_pool


class CNNDilated(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        d = cfg.hidden
        self.proj = InputProjection(n_features, d)
        self.levels = nn.ModuleList(
            nn.Sequential(
                CentredConv1d(d, cfg.kernel, dilation=2**i), nn.BatchNorm1d(d), nn.GELU(),
                nn.Dropout(cfg.dropout),
            )
            for i in range(dilation_levels(cfg.lookback, cfg.kernel))
        )
        self.head = Head(POOLED * d, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        h = self.proj(x).transpose(1, 2)
        for level in self.levels:
            h = h + level(h)
        return self.head(global_pool(h))
