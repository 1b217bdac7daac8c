"""The per-bar inputs every detector sees: built from bars up to and including t only.

Three numbers describe the kind of market a bar is in: its log return (direction and shocks),
its log high/low range (volatility seen within the bar, no lag) and the log of the standard
deviation of the last ``VOL_WINDOW`` returns (the volatility it has been living in). They are read
from candles, or from the feature table's exact candle-shape columns (`inputs_from_features`), so a
forecaster holding only feature rows gets the very same inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import DataError

VOL_WINDOW = 24
COLUMNS = ("ret", "range", "vol")


def regime_inputs(candles: pd.DataFrame) -> pd.DataFrame:
    """Inputs per bar; the warm-up bars (no full volatility window yet) are dropped."""
    missing = {"high", "low", "close"} - set(candles.columns)
    if missing:
        raise DataError(f"candles lack the column(s) {', '.join(sorted(missing))} that regimes are built from")
    close = candles["close"].astype(float)
    if (close <= 0).any() or (candles["low"] <= 0).any():
        raise DataError("regimes need positive prices; the candles hold a zero or negative price")
    return _inputs(np.log(close).diff(), np.log(candles["high"] / candles["low"]))


def inputs_from_features(features: pd.DataFrame) -> pd.DataFrame:
    """The same inputs from rows of the feature table (its log return and candle-shape columns), warm-up dropped."""
    from core.vision.images import CANDLE_FEATURES, log_candles_from_features

    missing = [c for c in CANDLE_FEATURES if c not in features.columns]
    if missing:
        raise DataError(f"the feature table lacks the column(s) {', '.join(missing)} that regimes are built from")
    logs = log_candles_from_features(features[list(CANDLE_FEATURES)].to_numpy())
    return _inputs(features["log_return_1"].astype(float), pd.Series(logs[:, 1] - logs[:, 2], index=features.index))


def _inputs(ret: pd.Series, log_range: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({
        "ret": ret,
        "range": np.log(log_range.clip(lower=1e-6)),
        "vol": np.log(ret.rolling(VOL_WINDOW).std().clip(lower=1e-8)),
    }, index=ret.index)
    return frame.replace([np.inf, -np.inf], np.nan).dropna()
