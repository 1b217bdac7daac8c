"""Causal conformal intervals around a model's forecast distribution, and scores for variance forecasts.

A model's own intervals assume its distribution is right; conformal intervals only assume that the
standardised errors |realised - mean| / sd of past forecasts are exchangeable with the next one's.
At bar t the interval is mean +- q * sd, with q the ``level`` quantile of the errors of the forecasts
whose outcome was known by t (made ``horizon`` or more bars earlier), so its coverage out of sample
is measured without ever using a later bar.
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

RISKMETRICS = 0.94  # the EWMA decay of J.P. Morgan's RiskMetrics for daily data, the usual baseline


def conformal_intervals(mean: np.ndarray, sd: np.ndarray, realised: np.ndarray, level: float = 0.9,
                        horizon: int = 1, warmup: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds per bar (NaN until ``warmup`` errors are known)."""
    scores = (np.abs(realised - mean) / sd).tolist()
    lo, hi = np.full(len(mean), np.nan), np.full(len(mean), np.nan)
    known: list[float] = []  # kept sorted: one insertion per bar instead of a sort per bar
    for t in range(len(mean)):
        if t - horizon >= 0:
            bisect.insort(known, scores[t - horizon])
        n = len(known)
        if n >= warmup:
            position = min(1.0, level * (1 + 1 / n)) * (n - 1)  # finite-sample correction; np.quantile's linear rule
            below = int(position)
            q = known[below] + (position - below) * (known[min(below + 1, n - 1)] - known[below])
            lo[t], hi[t] = mean[t] - q * sd[t], mean[t] + q * sd[t]
    return lo, hi


def coverage(lo: np.ndarray, hi: np.ndarray, realised: np.ndarray) -> float:
    """Share of the bars with an interval whose outcome fell inside it."""
    have = ~np.isnan(lo)
    return float(np.mean((realised[have] >= lo[have]) & (realised[have] <= hi[have])))


def ewma_variance(returns: np.ndarray, decay: float = RISKMETRICS, warmup: int = 30) -> np.ndarray:
    """RiskMetrics forecast of the next bar's variance after each bar, from the bars up to it.

    It starts from the mean square of the first ``warmup`` bars, so those bars get NaN.
    """
    out = np.empty(len(returns))
    variance = float(np.mean(returns[:warmup] ** 2))
    for t, r in enumerate(returns):
        variance = decay * variance + (1 - decay) * r * r
        out[t] = variance
    out[:warmup] = np.nan
    return out


def realised_variance(fine_close: pd.Series, bar: str, min_share: float = 0.9) -> pd.Series:
    """Sum of the squared log returns of finer bars inside each ``bar`` (indexed by its open time).

    A less noisy target for variance forecasts than the bar's squared return (Andersen and Bollerslev
    1998), where finer bars are bundled; a bar with under ``min_share`` of its finer returns is NaN.
    """
    returns = np.log(fine_close).diff().dropna()
    squared = (returns**2).groupby(returns.index.floor(bar))
    expected = pd.Timedelta(bar) / returns.index.to_series().diff().median()
    return squared.sum().where(squared.count() >= min_share * expected)


def qlike(forecast: np.ndarray, realised: np.ndarray) -> float:
    """Mean QLIKE loss log(f) + rv / f: robust to noise in the realised variance (Patton 2011); lower is better."""
    return float(np.mean(np.log(forecast) + realised / forecast))
