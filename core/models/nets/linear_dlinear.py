"""dlinear: DLinear (Zeng et al., "Are Transformers Effective for Time Series Forecasting?", AAAI 2023).

The window of every feature is split into a trend (a centred moving average with the ends repeated,
as in the paper's ``series_decomp``) and the remainder; one Linear over the time axis per component,
shared by all channels (the paper's default, ``individual=False``), maps each channel's window to one
value, and a Linear across channels gives the two outputs. Nothing is non-linear: this is the
linear reference every complex net's leaderboard row is compared against.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.config import NetConfig

KERNEL = 25  # the paper's moving-average length, cut to the window when the window is shorter


def moving_average_matrix(steps: int, kernel: int) -> Tensor:
    """(steps, steps) matrix A with (A @ x) the centred moving average of x, ends padded by repetition."""
    kernel = min(kernel, steps)
    kernel -= 1 - kernel % 2  # odd, so the average is centred
    half = kernel // 2
    matrix = torch.zeros(steps, steps)
    for t in range(steps):
        for k in range(t - half, t + half + 1):
            matrix[t, min(max(k, 0), steps - 1)] += 1.0 / kernel
    return matrix


class DLinear(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.register_buffer("average", moving_average_matrix(cfg.lookback, KERNEL), persistent=False)
        self.trend = nn.Linear(cfg.lookback, 1)
        self.seasonal = nn.Linear(cfg.lookback, 1)
        self.head = nn.Linear(n_features, 2)

    def forward(self, x: Tensor) -> Tensor:
        series = x.transpose(1, 2)  # (batch, features, T): one series per channel
        trend = series @ self.average.T
        per_channel = self.trend(trend) + self.seasonal(series - trend)  # (batch, features, 1)
        return self.head(per_channel.squeeze(-1))

