"""Chart images (issue 23): windows of candles drawn as pixels and the forecasters that read them.

`images` renders OHLC(V) windows in the style of Jiang, Kelly & Xiu (J. Finance 2023) with NumPy alone;
`cnn_chart2d` (their CNN blocks, in spirit) and `vit_chart` (a small Vision Transformer) classify the
images, registered here with the one registry (`core.forecasters` imports this package) so that every
face, the walk-forward and the shared contract tests see them. Torch is imported only when one is built.
"""

from __future__ import annotations

from core.models import capabilities as cap
from core.models import registry
from core.models.base import Model
from core.vision.config import ChartConfig

FAMILY = "chart"
TAGS = Model.tags | {cap.SEQUENCE}  # read by core.vision.model too; declared here so listing needs no torch
# id -> (class in core.vision.nets, description)
CHART_MODELS: dict[str, tuple[str, str]] = {
    "cnn_chart2d": ("Chart2DCNN", "2D CNN on 64x60 candlestick images (Jiang, Kelly & Xiu 2023 blocks)"),
    "vit_chart": ("ChartViT", "small Vision Transformer on candlestick images: one patch per bar and price band"),
}


def _build(model_id: str, config: ChartConfig) -> object:
    from core.vision import nets
    from core.vision.model import ChartModel

    return ChartModel(model_id, config, getattr(nets, CHART_MODELS[model_id][0]))


for _id, (_cls, _description) in CHART_MODELS.items():
    registry.register(registry.ModelSpec(
        _id, FAMILY, _description, ChartConfig(), _build, sequence=True, tags=TAGS, requires=("torch",), extra="nets",
    ))

__all__ = ["CHART_MODELS", "FAMILY", "ChartConfig"]
