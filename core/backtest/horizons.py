"""The extra horizons of a multi-horizon model (capability ``multi_horizon``), scored out of sample.

A forecast made at test bar t for k bars ahead is scored against close[t + k] / close[t] - 1; a bar
whose outcome is not known yet (the last k bars of the data) is left out, never filled. The fits
behind these forecasts read no long-horizon label past their own window (their targets are purged
at every window's end: `core.models.nets._outputs`), so each figure is out of sample.

Outcomes of neighbouring bars share k - 1 bars, so the accuracy's Wilson interval counts n / k
effective bars, not n. Beside it: the best constant call chosen in hindsight (always up or always
down, whichever was right more often on these very bars), a baseline no forecaster can know in
advance, and MASE / Diebold-Mariano against the random walk's zero return.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.backtest.metrics import versus_random_walk
from core.data.timeframes import time_horizon
from core.stats import wilson_interval

PREFIX = "p_up_"  # `Model.predict_horizons` columns: p_up_<bars>, expected_return_<bars>


def horizon_columns(forecasts: pd.DataFrame) -> list[str]:
    """The per-horizon forecast columns of a walk-forward's predictions (none for single-horizon models)."""
    return [c for c in forecasts.columns if c.startswith((PREFIX, "expected_return_"))]


def horizon_scores(predictions: pd.DataFrame, close: pd.Series, timeframe: str) -> dict[str, dict[str, Any]]:
    """Per horizon ("1h", "4h", "1d"): bars, n, accuracy with its interval, the hindsight constant call, MASE, DM."""
    out = {}
    for column in (c for c in predictions.columns if c.startswith(PREFIX)):
        bars = int(column.removeprefix(PREFIX))
        realised = (close.shift(-bars) / close - 1.0).reindex(predictions.index).to_numpy()
        p_up, expected = predictions[column].to_numpy(), predictions[f"expected_return_{bars}"].to_numpy()
        known = np.isfinite(realised) & np.isfinite(p_up)
        out[time_horizon(bars, timeframe)] = _scores(p_up[known], expected[known], realised[known], bars)
    return out


def _scores(p_up: np.ndarray, expected: np.ndarray, realised: np.ndarray, bars: int) -> dict[str, Any]:
    n = len(realised)
    if n == 0:
        return {"bars": bars, "n": 0}
    up = realised > 0
    accuracy = float(np.mean((p_up > 0.5) == up))
    effective = max(1, n // bars)
    low, high = wilson_interval(round(accuracy * effective), effective)
    constant = float(max(up.mean(), 1 - up.mean()))
    scores = {"bars": bars, "n": n, "n_effective": effective, "accuracy": accuracy, "accuracy_ci_low": low,
              "accuracy_ci_high": high, "best_constant_accuracy": constant, "edge": accuracy - constant}
    scores |= versus_random_walk(expected, realised, bars)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in scores.items()}
