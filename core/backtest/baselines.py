"""The coin-flip band: what random forecasts would score on the same bars, beside every leaderboard.

The naive forecasters themselves (always up, persistence, buy and hold) are models with the
``baseline`` tag, in `core.models.baselines`.
"""

from __future__ import annotations

import numpy as np

from core.backtest.strategy import net_returns, performance
from core.stats import wilson_interval


def random_band(hold_return: np.ndarray, direction: np.ndarray, cost_per_side: float, periods: float,
                draws: int = 200, seed: int = 0) -> dict[str, float]:
    """95 % range of a coin-flip forecaster on these bars: accuracy (Wilson) and long/short Sharpe (simulated)."""
    n = len(direction)
    low, high = wilson_interval(n // 2, n)
    rng = np.random.default_rng(seed)
    sharpes = [
        performance(net_returns(pos, hold_return, cost_per_side), pos, periods)["sharpe"]
        for pos in rng.choice([-1.0, 1.0], size=(draws, n))
    ] if n > 1 else [float("nan")]
    return {
        "n": n, "accuracy": 0.5, "accuracy_ci_low": low, "accuracy_ci_high": high,
        "sharpe_low": float(np.nanpercentile(sharpes, 2.5)), "sharpe_high": float(np.nanpercentile(sharpes, 97.5)),
    }
