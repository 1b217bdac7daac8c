"""Prediction targets: what happens ``horizon`` bars after each bar.

Kept apart from the features on purpose: `build_features` never receives these columns, and
this is the only module in the package allowed to look forward.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from core.errors import DataError


def targets(candles: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """``future_return`` close[t+h]/close[t]-1, ``future_log_return`` and ``direction``.

    ``direction`` is 1.0 when close[t+h] > close[t], else 0.0 (a flat move counts as down).
    The last ``horizon`` rows have no known future and are NaN in every column, so a caller
    that drops NaN targets cannot train on a made-up label.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise ValueError(f"horizon must be a positive whole number of bars, got {horizon!r}")
    if "close" not in candles.columns:
        raise DataError("candles: missing column close")
    h = int(horizon)
    close = candles["close"].to_numpy(dtype=np.float64)
    now, later = close[: max(len(close) - h, 0)], close[h:]
    future_return = np.full(len(close), np.nan)
    future_log_return = np.full(len(close), np.nan)
    direction = np.full(len(close), np.nan)
    future_return[: len(later)] = later / now - 1.0
    future_log_return[: len(later)] = np.log(later) - np.log(now)
    direction[: len(later)] = (later > now).astype(np.float64)
    return pd.DataFrame(
        {"future_return": future_return, "future_log_return": future_log_return, "direction": direction},
        index=candles.index,
    )
