"""Zigzag swing pivots that are only reported once they are known.

A swing high is the highest high since the last swing low; it becomes a pivot when a later bar
*closes* at least ``threshold`` below it (a low pivot mirrors that). The pivot's own bar and the
bar that confirmed it are both recorded: charting tools draw the pivot where it was, but a
strategy could only have known it at ``confirmed_at``, and every chart pattern here is built from
pivots as of their confirmation. Extremes use highs and lows; confirmation uses the close, so
there is never a question of which came first inside one bar. The last, unconfirmed swing is not
a pivot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import DataError


@dataclass(frozen=True)
class Pivot:
    """One confirmed swing point: bar positions index the candles it was found in."""

    bar: int  # position of the swing high/low bar
    price: float  # its high (kind "high") or low (kind "low")
    kind: str  # "high" or "low"
    confirmed_bar: int  # position of the bar whose close confirmed it (> bar or == bar)


def check_threshold(threshold: float) -> float:
    """Thresholds are fractions of price: 0.03 is a 3 % reversal."""
    if not (isinstance(threshold, (int, float)) and 0 < threshold < 1):
        raise DataError(f"threshold must be a fraction of price between 0 and 1 (e.g. 0.03 for 3%), got {threshold!r}")
    return float(threshold)


def find_pivots(high: np.ndarray, low: np.ndarray, close: np.ndarray, threshold: float) -> list[Pivot]:
    """Confirmed pivots, alternating high/low, in order of confirmation (which is also bar order).

    One pass, state = the running extreme of the swing in progress, so the pivots confirmed by bar
    t depend on bars 0..t only. Before the first pivot both directions are tracked; if one bar
    confirms both, the older extreme wins.
    """
    check_threshold(threshold)
    pivots: list[Pivot] = []
    n = len(close)
    if n == 0:
        return pivots
    up, down = 1.0 + threshold, 1.0 - threshold
    hi_bar = lo_bar = 0  # running extremes of the swing in progress
    mode = 0  # 0: no pivot yet, +1: rising (tracking a high), -1: falling (tracking a low)
    for t in range(n):
        if mode >= 0 and high[t] > high[hi_bar]:
            hi_bar = t
        if mode <= 0 and low[t] < low[lo_bar]:
            lo_bar = t
        top = mode >= 0 and close[t] <= high[hi_bar] * down
        bottom = mode <= 0 and close[t] >= low[lo_bar] * up
        if mode == 0 and top and bottom:
            top, bottom = hi_bar <= lo_bar, lo_bar < hi_bar
        if top:
            pivots.append(Pivot(hi_bar, float(high[hi_bar]), "high", t))
            mode, lo_bar = -1, _extreme_after(low, hi_bar, t, np.argmin)
        elif bottom:
            pivots.append(Pivot(lo_bar, float(low[lo_bar]), "low", t))
            mode, hi_bar = 1, _extreme_after(high, lo_bar, t, np.argmax)
    return pivots


def _extreme_after(values: np.ndarray, pivot: int, t: int, arg) -> int:
    """Start the next swing at the most extreme bar strictly after the pivot (or bar t itself)."""
    if pivot >= t:
        return t
    return pivot + 1 + int(arg(values[pivot + 1 : t + 1]))


def zigzag(candles: pd.DataFrame, threshold: float = 0.03) -> pd.DataFrame:
    """Confirmed swing pivots as a table: timestamp, price, kind, confirmed_at (and bar positions).

    ``threshold`` is the reversal that confirms a pivot, as a fraction of price (0.03 = 3 %).
    """
    for column in ("high", "low", "close"):
        if column not in candles.columns:
            raise DataError(f"candles lack column {column!r}")
    arrays = [candles[c].to_numpy(dtype=np.float64) for c in ("high", "low", "close")]
    pivots = find_pivots(*arrays, threshold)
    bars = np.array([p.bar for p in pivots], dtype=np.int64)
    confirmed = np.array([p.confirmed_bar for p in pivots], dtype=np.int64)
    return pd.DataFrame(
        {
            "timestamp": candles.index[bars],
            "price": np.array([p.price for p in pivots], dtype=np.float64),
            "kind": [p.kind for p in pivots],
            "confirmed_at": candles.index[confirmed],
            "bar": bars,
            "confirmed_bar": confirmed,
        }
    )
