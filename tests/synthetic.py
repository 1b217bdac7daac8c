"""Synthetic candles with known answers: a random walk (nothing to learn) or AR(1) returns."""

from __future__ import annotations

import numpy as np
import pandas as pd


def ar1_candles(n: int, phi: float, seed: int = 0, sigma: float = 0.01) -> pd.DataFrame:
    """Hourly candles whose close-to-close log returns follow r_t = phi * r_{t-1} + noise.

    phi = 0 is a random walk (best direction accuracy 50%); for phi > 0 the best achievable
    one-bar direction accuracy is 0.5 + arcsin(phi) / pi (0.564 for phi = 0.2).
    """
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, n)
    returns = np.empty(n)
    returns[0] = noise[0]
    for t in range(1, n):
        returns[t] = phi * returns[t - 1] + noise[t]
    close = 100.0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, sigma / 2, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    volume = rng.lognormal(3.0, 0.5, n)
    index = pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)
