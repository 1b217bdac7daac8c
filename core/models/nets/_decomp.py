"""Series decomposition and the real DFT as fixed matrices: what Autoformer and FEDformer share.

The DFT is written as matrix products (cosine and sine tables of the window length) rather than
``torch.fft``, because the ONNX exporter cannot export ``torch.fft``: with a 24-bar window the
matrices are tiny and the fast live path (`core.models.onnx_runtime`) stays open. The encoder is
Autoformer's: each block mixes the steps (``mixer``), removes the moving-average trend, applies a
feed-forward layer and removes the trend again, so the blocks model the seasonal part only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from core.models.nets.linear_dlinear import moving_average_matrix

KERNEL = 25  # Autoformer's moving-average length, cut to the window


class Fourier(nn.Module):
    """Real DFT of length T along dim 1: ``forward`` (batch, T, d) -> (re, im) of (batch, T // 2 + 1, d)."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        freqs = torch.arange(steps // 2 + 1, dtype=torch.float64)[:, None]
        angle = 2 * math.pi * freqs * torch.arange(steps, dtype=torch.float64)[None, :] / steps
        weight = torch.full((steps // 2 + 1,), 2.0)  # the inverse counts each conjugate pair twice
        weight[0] = 1.0
        if steps % 2 == 0:
            weight[-1] = 1.0
        self.register_buffer("cos", angle.cos().float(), persistent=False)
        self.register_buffer("sin", angle.sin().float(), persistent=False)
        self.register_buffer("inv_cos", (angle.cos() * weight[:, None] / steps).T.float().contiguous(), persistent=False)
        self.register_buffer("inv_sin", (angle.sin() * weight[:, None] / steps).T.float().contiguous(), persistent=False)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.cos @ x, -(self.sin @ x)

    def inverse(self, re: Tensor, im: Tensor) -> Tensor:
        """(re, im) of (batch, F, d) -> the real series (batch, T, d)."""
        return self.inv_cos @ re - self.inv_sin @ im


class Decomposition(nn.Module):
    """(batch, T, d) -> (seasonal, trend): trend the centred moving average with repeated ends."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.register_buffer("average", moving_average_matrix(steps, KERNEL), persistent=False)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        trend = self.average @ x
        return x - trend, trend


class DecompBlock(nn.Module):
    def __init__(self, width: int, steps: int, dropout: float, mixer: nn.Module) -> None:
        super().__init__()
        self.mixer, self.decomp = mixer, Decomposition(steps)
        self.ff = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x, _ = self.decomp(x + self.drop(self.mixer(x)))
        x, _ = self.decomp(x + self.drop(self.ff(x)))
        return x


class DecompEncoder(nn.Module):
    """Projection, then ``layers`` `DecompBlock`s; returns the seasonal states and the input's trend."""

    def __init__(self, n_features: int, width: int, steps: int, layers: int, dropout: float,
                 mixer: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.proj, self.decomp = nn.Linear(n_features, width), Decomposition(steps)
        self.blocks = nn.Sequential(*[DecompBlock(width, steps, dropout, mixer()) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.proj(x)
        seasonal, trend = self.decomp(h)
        return self.norm(self.blocks(seasonal)), trend
