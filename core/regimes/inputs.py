"""The per-bar inputs every detector sees: built from bars up to and including t only.

Three numbers describe the kind of market a bar is in: its log return (direction and shocks),
its log high/low range (volatility seen within the bar, no lag) and the log of the standard
deviation of the last ``VOL_WINDOW`` returns (the volatility it has been living in).
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
    ret = np.log(close).diff()
    frame = pd.DataFrame({
        "ret": ret,
        "range": np.log(np.log(candles["high"] / candles["low"]).clip(lower=1e-6)),
        "vol": np.log(ret.rolling(VOL_WINDOW).std().clip(lower=1e-8)),
    }, index=candles.index)
    return frame.replace([np.inf, -np.inf], np.nan).dropna()
