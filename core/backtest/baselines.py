"""The naive forecasts every model must beat, walked forward exactly like the models.

- ``always_up``: the majority direction of the training window, with its frequency as P(up).
- ``persistence``: the last bar's move continues, with P(up) its training-window hit rate (at least 51 %).
- ``buy_and_hold``: always long; its strategy row is the market itself.
- the random band: what coin-flipping would score on the same bars (`random_band`), not a forecaster.

They fit and predict through the same calls as `core.models.Model`, so the walk-forward, the
cache and the leaderboard treat them like any model.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from core.backtest.strategy import net_returns, performance
from core.errors import LydianError
from core.stats import wilson_interval

BASELINES = ("always_up", "persistence", "buy_and_hold")
LAST_MOVE = "return_1"  # the causal feature persistence reads: close[t] / close[t-1] - 1
EPS = 1e-6


class Baseline:
    """A forecaster with no parameters worth saving; ``config`` is empty so cache keys stay stable."""

    name: ClassVar[str] = ""
    sequence: ClassVar[bool] = False
    context_rows: ClassVar[int] = 0
    config: ClassVar[dict[str, Any]] = {}

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame,
            **_: Any) -> Self:
        self.up_rate_ = float(y_train["direction"].mean())
        self.mean_return_ = float(y_train["future_return"].mean())
        self._fit(x_train, y_train)
        return self

    def _fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame) -> None:
        """Anything beyond the training up-rate and mean return."""

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        p_up = np.clip(self._p_up(features), EPS, 1 - EPS)
        return pd.DataFrame({"p_up": p_up, "expected_return": self.mean_return_}, index=features.index)

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError


class AlwaysUp(Baseline):
    name = "always_up"

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        return np.full(len(features), self.up_rate_)


class Persistence(Baseline):
    name = "persistence"

    def _fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame) -> None:
        last_up = x_train[LAST_MOVE].to_numpy() > 0
        self.hit_rate_ = max(0.51, float(np.mean(last_up == (y_train["direction"].to_numpy() > 0.5))))

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        return np.where(features[LAST_MOVE].to_numpy() > 0, self.hit_rate_, 1 - self.hit_rate_)


class BuyAndHold(Baseline):
    name = "buy_and_hold"

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        return np.ones(len(features))


def create_baseline(name: str) -> Baseline:
    for cls in (AlwaysUp, Persistence, BuyAndHold):
        if cls.name == name:
            return cls()
    raise LydianError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")


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
