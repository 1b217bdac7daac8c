"""Hyper-parameters of the chart-image forecasters: a net's, plus the image size."""

from __future__ import annotations

from dataclasses import dataclass

from core.models.config import NetConfig


@dataclass(frozen=True)
class ChartConfig(NetConfig):
    lookback: int = 20  # bars per image, as the paper's 20-day images
    height: int = 64  # pixel rows (the paper's 20-day height); the width is 3 pixels a bar
    hidden: int = 16  # CNN: first block's channels (16, 32, 64); ViT: embedding width. Small: a CPU fits it per refit
    heads: int = 4  # ViT attention heads
    layers: int = 2  # ViT encoder layers (the CNN has the paper's three blocks)
    dropout: float = 0.1
