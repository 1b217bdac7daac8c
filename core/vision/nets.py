"""The two image classifiers: a 2D CNN after Jiang, Kelly & Xiu's CNN blocks, and a small Vision Transformer.

Both map a batch of chart images, flattened to (batch, 1, height * width) so that the shared trainer
can batch them like one-step windows, to (batch, 2): the logit of P(up) and the standardised return.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.vision.config import ChartConfig
from core.vision.images import PX_PER_BAR, image_shape

PATCH_ROWS = 8  # a ViT patch: 8 pixel rows of one bar's three columns


class Chart2DCNN(nn.Module):
    """Three blocks of 5x3 convolution, BatchNorm, LeakyReLU and max-pooling, then one linear head on the flat maps.

    As in the paper's 20-day model, the first convolution strides 3 rows and dilates 2 (a tall bar is read
    coarsely) and channels double block to block (``hidden``, 2x, 4x; the paper uses 64, 128, 256). The
    paper pools 2x1 everywhere; blocks 2 and 3 here pool 2x2 as well, halving the width, so that a CPU
    trains it inside a walk-forward refit. Dropout 0.5 before the head, as there.
    """

    def __init__(self, cfg: ChartConfig) -> None:
        super().__init__()
        self.shape = image_shape(cfg.lookback, cfg.height)
        widths = (1, cfg.hidden, 2 * cfg.hidden, 4 * cfg.hidden)
        blocks: list[nn.Module] = []
        for i in range(3):
            first = i == 0
            blocks += [
                nn.Conv2d(widths[i], widths[i + 1], (5, 3), stride=(3, 1) if first else 1,
                          dilation=(2, 1) if first else 1, padding=(6, 1) if first else (2, 1)),
                nn.BatchNorm2d(widths[i + 1]), nn.LeakyReLU(0.01), nn.MaxPool2d((2, 1) if first else (2, 2), ceil_mode=True),
            ]
        self.blocks = nn.Sequential(*blocks)
        with torch.no_grad():
            flat = self.blocks(torch.zeros(1, 1, *self.shape)).numel()
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(flat, 2))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.blocks(x.reshape(-1, 1, *self.shape)))


class ChartViT(nn.Module):
    """A small Vision Transformer (Dosovitskiy et al. 2021) over the chart: one patch per bar and 8 pixel rows.

    Patches are embedded by a strided convolution, a learned class token and learned positions are
    added, ``layers`` pre-LayerNorm encoder layers attend over all patches, and the head reads the
    class token. Patches follow the bars, so a token is "bar j, price band i".
    """

    def __init__(self, cfg: ChartConfig) -> None:
        super().__init__()
        self.shape = image_shape(cfg.lookback, cfg.height)
        tokens = (cfg.height // PATCH_ROWS) * cfg.lookback
        self.embed = nn.Conv2d(1, cfg.hidden, (PATCH_ROWS, PX_PER_BAR), stride=(PATCH_ROWS, PX_PER_BAR))
        self.cls = nn.Parameter(torch.zeros(1, 1, cfg.hidden))
        self.position = nn.Parameter(0.02 * torch.randn(1, tokens + 1, cfg.hidden))
        layer = nn.TransformerEncoderLayer(cfg.hidden, cfg.heads, 2 * cfg.hidden, cfg.dropout, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(cfg.hidden), nn.Linear(cfg.hidden, 2))

    def forward(self, x: Tensor) -> Tensor:
        patches = self.embed(x.reshape(-1, 1, *self.shape)).flatten(2).transpose(1, 2)  # (batch, tokens, hidden)
        tokens = torch.cat([self.cls.expand(len(patches), -1, -1), patches], dim=1) + self.position
        return self.head(self.encoder(tokens)[:, 0])
