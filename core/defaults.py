"""What a first run trains, so a fresh API, CLI or dashboard can answer the common requests.

The three boosters train on the last two years of a market's hourly candles in about 15 seconds
(one market, two shared cores); the ensemble of them about as long again. The nets, slower by
minutes each, are trained when asked for.
"""

from __future__ import annotations

FAST_MODELS: tuple[str, ...] = ("xgboost", "lightgbm", "catboost")
DEFAULT_MODELS: tuple[str, ...] = (*FAST_MODELS, "ensemble")  # what `lydian serve --bootstrap` trains
DEFAULT_TIMEFRAME = "1h"
DEFAULT_HORIZON = 1
RECENT_BARS = 17_520  # two years of hourly bars
