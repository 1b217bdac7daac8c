"""A vector autoregression (statsmodels) of a market's log return, volume change and bar range.

The forecaster contract hands one market's feature table, so the VAR runs over three series derived
from that market's candles rather than over several symbols: the return's forecast borrows from
lagged volume and range. The lag order is chosen by AIC. With the coefficients fixed, the h-bar
return's mean is the iterated forecast from the bars up to each row and its variance comes from the
moving-average representation.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from core.statistical import series
from core.statistical.base import StatisticalModel

MAX_LAGS = 24


def fit_var(y: np.ndarray, max_lags: int = MAX_LAGS) -> Any:
    """statsmodels' VAR with a constant, its order chosen by AIC up to ``max_lags``."""
    from statsmodels.tsa.api import VAR

    return VAR(y).fit(maxlags=min(max_lags, len(y) // 20), ic="aic", trend="c")


class Var(StatisticalModel):
    """VAR(p) of log return, log volume change and high-low range; p by AIC."""

    observed: ClassVar[tuple[str, ...]] = (series.RETURN, "volume_log_change_1", "range_pct")

    def _fit(self, y: np.ndarray) -> None:
        fitted = fit_var(y)
        self.coefs_, self.intercept_ = np.asarray(fitted.coefs), np.asarray(fitted.intercept)
        self.sigma_u_, self.mean_ = np.asarray(fitted.sigma_u), y.mean(axis=0)

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lags, k = self.coefs_.shape[:2]
        padded = np.vstack([np.tile(self.mean_, (lags, 1)), y])  # rows before the first bar: the fit's mean
        recent = [padded[rows + lags - i] for i in range(lags)]  # recent[i]: the bar i before each row
        total = np.zeros(len(rows))
        for _ in range(self.horizon):
            step = self.intercept_ + sum((recent[i] @ self.coefs_[i].T for i in range(lags)), np.zeros((len(rows), k)))
            total += step[:, 0]
            recent = [step, *recent[:-1]] if lags else recent
        return total, np.full(len(rows), np.sqrt(self._summed_variance()))

    def _summed_variance(self) -> float:
        """Variance of the return summed over the horizon: sum over m of (sum_{j<=h-m} Phi_j) Sigma (...)'."""
        lags, k = self.coefs_.shape[:2]
        phi = [np.eye(k)]
        for j in range(1, self.horizon):
            phi.append(sum((phi[j - i] @ self.coefs_[i - 1] for i in range(1, min(j, lags) + 1)), np.zeros((k, k))))
        cumulative = np.cumsum(phi, axis=0)
        return float(sum((c @ self.sigma_u_ @ c.T)[0, 0] for c in cumulative))

    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        for name in ("coefs_", "intercept_", "sigma_u_", "mean_"):
            arrays[name] = np.ascontiguousarray(getattr(self, name))
        return {}

    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.coefs_, self.intercept_ = arrays["coefs_"], arrays["intercept_"]
        self.sigma_u_, self.mean_ = arrays["sigma_u_"], arrays["mean_"]

    def n_parameters(self) -> int:
        return int(self.coefs_.size + self.intercept_.size)
