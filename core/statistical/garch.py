"""GARCH(1,1), GJR-GARCH(1,1,1) and EGARCH(1,1,1) with Student-t errors and a constant mean (arch).

The h-bar log return has mean h * mu and the summed variance forecasts of the next h bars; P(up)
is read from the fitted Student-t. Forecasts use arch's fixed-parameter variance recursion
(``volatility.forecast``) over the stored history and the new bars, started from the backcast and
bounds the fit computed: the variance at t comes from returns up to t, never from the in-sample
conditional volatility of a fit that saw later bars.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import stats

from core.statistical.base import StatisticalModel

SCALE = 100.0  # arch's optimiser prefers percent returns
SIMULATIONS = 1000  # EGARCH has no closed-form multi-step variance: simulated with a fixed seed


class Garch(StatisticalModel):
    """GARCH(1,1), Student-t."""

    vol: ClassVar[str] = "GARCH"
    o: ClassVar[int] = 0  # asymmetric (leverage) terms

    def _library(self, returns: np.ndarray) -> Any:
        from arch import arch_model

        return arch_model(returns * SCALE, mean="Constant", vol=self.vol, p=1, o=self.o, q=1, dist="t", rescale=False)

    def _fit(self, y: np.ndarray) -> None:
        model = self._library(y[:, 0])
        fitted = model.fit(disp="off", show_warning=False)
        self.params_ = {str(k): float(v) for k, v in fitted.params.items()}
        volatility = model.volatility
        resids = y[:, 0] * SCALE - self.params_["mu"]
        self.backcast_ = float(volatility.backcast(resids))  # EGARCH's is already a log variance
        self.variance_ = float(np.var(resids))

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from arch.univariate import StudentsT

        values = np.array(list(self.params_.values()))
        mu, nu, h = values[0], values[-1], self.horizon
        model = self._library(y[:, 0])
        resids = y[:, 0] * SCALE - mu
        bounds = np.tile([self.variance_ / 1e6, self.variance_ * 1e6], (len(y), 1))  # from the fit: causal
        simulate = self.vol == "EGARCH" and h > 1
        extra = ({"method": "simulation", "simulations": SIMULATIONS,
                  "rng": StudentsT(seed=np.random.default_rng(0)).simulate([nu])} if simulate else {})
        variance = model.volatility.forecast(values[1:-1], resids, self.backcast_, bounds, start=int(rows[0]),
                                             horizon=h, **extra).forecasts
        return np.full(len(rows), h * mu / SCALE), np.sqrt(variance[rows - rows[0]].sum(axis=1)) / SCALE

    def _tail(self, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        nu = self.params_["nu"]
        return stats.t.cdf(mean / sd * np.sqrt(nu / (nu - 2)), nu)  # standardised t: unit variance

    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return {"params": self.params_, "backcast": self.backcast_, "variance": self.variance_}

    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.params_ = {str(k): float(v) for k, v in saved["params"].items()}
        self.backcast_, self.variance_ = float(saved["backcast"]), float(saved["variance"])

    def n_parameters(self) -> int:
        return len(self.params_)


class GjrGarch(Garch):
    """GJR-GARCH(1,1,1), Student-t: bad news raises volatility more than good news."""

    o = 1


class Egarch(Garch):
    """EGARCH(1,1,1), Student-t: log variance, asymmetric."""

    vol = "EGARCH"
    o = 1
