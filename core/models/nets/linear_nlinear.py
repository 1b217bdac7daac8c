"""nlinear: NLinear (Zeng et al., AAAI 2023), the linear reference that first removes the last value.

Each channel's window has its last value subtracted, goes through one Linear over the time axis
(shared by all channels), and gets the last value back; a Linear across channels gives the two
outputs. The subtraction is the paper's answer to distribution shift between training and test
windows; the model stays linear end to end.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig


class NLinear(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.time = nn.Linear(cfg.lookback, 1)
        self.head = nn.Linear(n_features, 2)

    def forward(self, x: Tensor) -> Tensor:
        series = x.transpose(1, 2)  # (batch, features, T)
        last = series[..., -1:]
        return self.head((self.time(series - last) + last).squeeze(-1))
