"""The two learned pattern networks: a YOLO-style 1-D detector and a 1-D U-Net, both over windows of bars.

Input: (batch, CHANNELS, window) normalised candles (`learned.window_inputs`).
- `PatternDetector` (after YOLO v1, Redmon et al. 2016, in one dimension): a strided convolutional
  backbone turns the window into ``cells`` cells; each cell predicts an objectness logit, the centre
  of a pattern's span inside the cell, the log of its length in windows, and class logits.
- `SupportResistanceUNet` (Ronneberger et al. 2015, in one dimension): an encoder that halves the time
  axis twice, a decoder that doubles it back with skip connections, and a logit per bar for
  (none, support zone, resistance zone).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

CHANNELS = 5  # log open, high, low, close relative to the window, and log relative volume
BOX = 3  # per cell: objectness, centre in the cell, log length


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(c_in, c_out, 3, stride=stride, padding=1), nn.BatchNorm1d(c_out), nn.LeakyReLU(0.1))


class PatternDetector(nn.Module):
    """(batch, CHANNELS, window) -> (batch, cells, BOX + classes); window / cells must be a power of two."""

    def __init__(self, window: int, cells: int, classes: int, width: int = 16) -> None:
        super().__init__()
        layers, c, size = [_conv(CHANNELS, width)], width, window
        while size > cells:
            layers += [_conv(c, 2 * c, stride=2), _conv(2 * c, 2 * c)]
            c, size = 2 * c, size // 2
        self.backbone = nn.Sequential(*layers)
        self.context = nn.Conv1d(c, c, 3, padding=2, dilation=2)  # a cell sees its neighbours: spans cross cells
        self.out = nn.Conv1d(c, BOX + classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.backbone(x)
        return self.out(torch.relu(h + self.context(h))).transpose(1, 2)


class SupportResistanceUNet(nn.Module):
    """(batch, CHANNELS, window) -> (batch, 3, window) logits: none, support zone, resistance zone."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.enc1 = nn.Sequential(_conv(CHANNELS, width), _conv(width, width))
        self.enc2 = nn.Sequential(_conv(width, 2 * width, stride=2), _conv(2 * width, 2 * width))
        self.bottom = nn.Sequential(_conv(2 * width, 4 * width, stride=2), _conv(4 * width, 4 * width))
        self.up2 = nn.ConvTranspose1d(4 * width, 2 * width, 2, stride=2)
        self.dec2 = _conv(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose1d(2 * width, width, 2, stride=2)
        self.dec1 = _conv(2 * width, width)
        self.out = nn.Conv1d(width, 3, 1)

    def forward(self, x: Tensor) -> Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        d2 = self.dec2(torch.cat([self.up2(self.bottom(e2)), e2], dim=1))
        return self.out(self.dec1(torch.cat([self.up1(d2), e1], dim=1)))
