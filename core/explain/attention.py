"""Attention weights over the look-back window, for the nets whose architecture has them.

What the numbers are depends on the net (each reads its module's ``attention_weights``):
- ``gru_attention``: the softmax of the additive (Bahdanau) scores over the GRU outputs: exactly the
  weights that pool the context vector the head reads (beside the last output and the highway).
- ``transformer_standard``: the last encoder layer's attention averaged over heads and over every
  query step: how much each bar is attended to on average (the head mean-pools all steps).
- ``transformer_timeseries``: the last layer's attention from the forecast bar's query (the one the
  head reads), averaged over heads; causal, so it covers every bar of the window.
- ``transformer_informer``: the last layer's ProbSparse attention averaged over heads and queries,
  spread back from distilled positions to bars: approximate, 2 ** (layers - 1) bars per position.
The weights of one window sum to 1. They show where a net looks, not why it decides: attention is
not attribution (Jain & Wallace 2019); SHAP by lag (`explain(...).lags`) is the attribution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.explain._inputs import ExplainError, lag_names, model_inputs, resolve_at
from core.models import capabilities as cap
from core.models import registry
from core.models.base import Model


@dataclass(frozen=True)
class AttentionWeights:
    model_id: str
    time: str  # open time of the forecast bar, the last of the window
    weights: dict[str, float]  # lag_k (k bars before the forecast bar), oldest first -> weight; sums to 1
    description: str  # what the weights are for this architecture

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def attention_models() -> list[str]:
    """Registered ids tagged ``attention``."""
    return registry.forecaster_ids(having=cap.ATTENTION)


def attention(model: Model, candles: pd.DataFrame, at: str | pd.Timestamp | None = None) -> AttentionWeights:
    """Attention over the window ending at bar ``at`` (default the latest; else the last bar <= ``at``)."""
    if cap.ATTENTION not in model.tags:
        raise ExplainError(
            f"{model.model_id} has no attention weights (only {', '.join(attention_models())} do); "
            "use explain() for SHAP values by feature and by lag instead"
        )
    inputs = model_inputs(model, candles)
    when = resolve_at(candles, at)
    position = inputs.position(when)
    window = inputs.features.iloc[position - inputs.lookback + 1 : position + 1]
    weights = model.attention(window).iloc[-1].to_numpy(dtype=np.float64)
    return AttentionWeights(model.model_id, when.isoformat(), dict(zip(lag_names(inputs.lookback), weights.tolist())),
                            model.attention_description())
