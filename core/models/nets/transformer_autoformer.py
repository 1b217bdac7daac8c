"""transformer_autoformer: a compact Autoformer (Wu et al., NeurIPS 2021) encoder.

Implements the paper's two ideas at window scale: series decomposition inside every block (the
blocks see the seasonal part; the moving-average trend is set aside and read by the head) and
auto-correlation in place of self-attention: per head, the correlation of queries and keys at every
lag from the cross-spectrum (Wiener-Khinchin, DFT as fixed matrices so it exports to ONNX), the
top ``ln T`` lags per window chosen, and the values rolled by those lags averaged with softmax
weights of their correlations (time-delay aggregation). Not included: the decoder with its trend
accumulation (one two-output head reads the last step of the seasonal states and of the trend).
Lags roll within the past window only, so the forecast at a bar never reads a later bar.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from core.models.config import ConfigError, NetConfig
from core.models.nets._blocks import DecompNet
from core.models.nets._decomp import Fourier


class AutoCorrelation(nn.Module):
    def __init__(self, width: int, heads: int, steps: int) -> None:
        super().__init__()
        if width % heads:
            raise ConfigError(f"hidden={width} must be divisible by heads={heads}")
        self.heads, self.top = heads, max(1, int(math.log(steps)))
        self.qkv, self.out, self.fourier = nn.Linear(width, 3 * width), nn.Linear(width, width), Fourier(steps)

    def forward(self, x: Tensor) -> Tensor:
        batch, steps, width = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        (qr, qi), (kr, ki) = self.fourier(q), self.fourier(k)
        corr = self.fourier.inverse(qr * kr + qi * ki, qi * kr - qr * ki)  # (batch, lag, width)
        corr = corr.view(batch, steps, self.heads, -1).mean(-1)  # per head: (batch, lag, heads)
        weight, lag = corr.topk(self.top, dim=1)  # (batch, top, heads)
        weight = weight.softmax(dim=1)
        positions = torch.arange(steps, device=x.device)
        index = (positions[None, None, :, None] + lag[:, :, None, :]) % steps  # (batch, top, T, heads)
        values = v.view(batch, steps, self.heads, -1)
        rolled = torch.gather(
            values[:, None].expand(-1, self.top, -1, -1, -1), 2,
            index[..., None].expand(-1, -1, -1, -1, values.size(-1)),
        )  # (batch, top, T, heads, width / heads): v at t + lag
        mixed = (rolled * weight[:, :, None, :, None]).sum(1)
        return self.out(mixed.reshape(batch, steps, width))


class TransformerAutoformer(DecompNet):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__(n_features, cfg, lambda: AutoCorrelation(cfg.hidden, cfg.heads, cfg.lookback))
