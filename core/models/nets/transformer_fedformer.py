"""transformer_fedformer: a compact FEDformer (Zhou et al., ICML 2022) encoder, Fourier version.

Implements the frequency-enhanced block (FEB-f) in place of self-attention: the projected window
goes to the frequency domain, a fixed random subset of modes (the paper's random selection, seeded
so every build picks the same) is multiplied by learned complex per-head weights, every other mode
is zeroed, and the result returns to the time domain; Autoformer-style series decomposition runs
in every block. DFTs are fixed matrices so the net exports to ONNX. Not included: the decoder's
frequency-enhanced cross-attention and the wavelet version; one head reads the last step of the
seasonal states and of the trend.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from core.models.config import ConfigError, NetConfig
from core.models.nets._blocks import DecompNet
from core.models.nets._decomp import Fourier

MODES = 8  # frequency modes kept (the paper's default is 64 of far longer windows)


class FrequencyBlock(nn.Module):
    def __init__(self, width: int, heads: int, steps: int) -> None:
        super().__init__()
        if width % heads:
            raise ConfigError(f"hidden={width} must be divisible by heads={heads}")
        self.fourier, self.heads = Fourier(steps), heads
        n_freqs = steps // 2 + 1
        modes = np.sort(np.random.default_rng(0).choice(n_freqs, min(MODES, n_freqs), replace=False))
        self.register_buffer("modes", torch.as_tensor(modes), persistent=False)
        size = width // heads
        scale = 1.0 / (width * size)
        self.proj = nn.Linear(width, width)
        self.weight_re = nn.Parameter(scale * torch.rand(len(modes), heads, size, size))
        self.weight_im = nn.Parameter(scale * torch.rand(len(modes), heads, size, size))

    def forward(self, x: Tensor) -> Tensor:
        batch, _, width = x.shape
        re, im = self.fourier(self.proj(x))
        re = re[:, self.modes].view(batch, -1, self.heads, width // self.heads)
        im = im[:, self.modes].view(batch, -1, self.heads, width // self.heads)
        mix = "bmhi,mhio->bmho"
        out_re = torch.einsum(mix, re, self.weight_re) - torch.einsum(mix, im, self.weight_im)
        out_im = torch.einsum(mix, re, self.weight_im) + torch.einsum(mix, im, self.weight_re)
        f = self.fourier
        return f.inv_cos[:, self.modes] @ out_re.flatten(2) - f.inv_sin[:, self.modes] @ out_im.flatten(2)


class TransformerFEDformer(DecompNet):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__(n_features, cfg, lambda: FrequencyBlock(cfg.hidden, cfg.heads, cfg.lookback))
