"""cnn_densenet: densely connected 1-D convolutions (DenseNet, Huang et al. 2017).

Each layer of a dense block sees the concatenation of every earlier layer's maps and adds
``growth`` new channels (BN-ReLU-1x1 bottleneck-BN-ReLU-conv, the DenseNet-B layer); a transition
(BN-ReLU-1x1 conv) then squeezes the stack back to the model width. Features are reused instead of
relearnt, so the net stays small for its depth. Mean, max and last-step pooling feed the head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._pooled import PooledCNN


class DenseLayer(nn.Module):
    """BN-ReLU-1x1 (4 x growth) - BN-ReLU-conv(kernel) -> ``growth`` new channels, concatenated to the input."""

    def __init__(self, channels: int, growth: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm1d(channels), nn.ReLU(), nn.Conv1d(channels, 4 * growth, 1),
            nn.BatchNorm1d(4 * growth), nn.ReLU(), nn.Conv1d(4 * growth, growth, kernel, padding="same"),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([x, self.body(x)], dim=1)


class DenseBlock(nn.Sequential):
    """``depth`` dense layers, then a 1x1 transition back to ``width`` channels."""

    def __init__(self, width: int, depth: int, kernel: int, dropout: float) -> None:
        growth = max(width // 4, 4)
        layers = [DenseLayer(width + i * growth, growth, kernel, dropout) for i in range(depth)]
        joined = width + depth * growth
        super().__init__(*layers, nn.BatchNorm1d(joined), nn.ReLU(), nn.Conv1d(joined, width, 1))


class CNNDenseNet(PooledCNN):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__(n_features, cfg, lambda width, cfg: DenseBlock(width, 3, cfg.kernel, cfg.dropout))
