"""GARCH(1,1), GJR-GARCH(1,1,1) and EGARCH(1,1,1) with Student-t errors and a constant mean (arch).

The h-bar log return has mean h * mu and the summed variance forecasts of the next h bars; P(up)
is read from the fitted Student-t. Forecasts use arch's fixed-parameter variance recursion
(``volatility.forecast``) over the stored history and the new bars, started from the backcast and
bounds the fit computed: the variance at t comes from returns up to t, never from the in-sample
conditional volatility of a fit that saw later bars.
"""

from __future__ import annotations

import importlib.util
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from core.errors import DataError, LydianError
from core.statistical.base import StatConfig, StatisticalModel

SCALE = 100.0  # arch's optimiser prefers percent returns
SIMULATIONS = 1000  # EGARCH has no closed-form multi-step variance: simulated with a fixed seed


class Garch(StatisticalModel):
    """GARCH(1,1), Student-t."""

    vol: ClassVar[str] = "GARCH"
    o: ClassVar[int] = 0  # asymmetric (leverage) terms

    def _library(self, returns: np.ndarray) -> Any:
        from arch import arch_model

        return arch_model(returns * SCALE, mean="Constant", vol=self.vol, p=1, o=self.o, q=1, dist="t", rescale=False)

    def _starts(self, returns: np.ndarray) -> list[np.ndarray | None]:
        """arch's own starting values, then two textbook ones (persistence 0.9 and 0.95, t with 8 and 10
        degrees of freedom): on a window with little volatility clustering the likelihood is flat and
        SLSQP can wander off from one start (EGARCH on white noise did)."""
        variance = float(np.var(returns))
        starts: list[np.ndarray | None] = [None]
        for alpha, beta, nu in ((0.1, 0.9, 8.0), (0.05, 0.95, 10.0)):
            omega = np.log(variance) * (1 - beta) if self.vol == "EGARCH" else variance * (1 - alpha - beta)
            starts.append(np.array([0.0, omega, alpha, *([0.0] * self.o), beta, nu]))
        return starts

    def _sane(self, fitted: Any, percent: np.ndarray) -> bool:
        p = fitted.params
        shocks = [abs(p[k]) for k in p.index if k.startswith(("alpha", "gamma"))]
        return (fitted.convergence_flag == 0 and np.isfinite(fitted.loglikelihood) and abs(p["mu"]) < 3 * percent.std()
                and p["beta[1]"] < 1 and 0 <= p["alpha[1]"] and max(shocks) < 2 and p["nu"] > 2.05)

    def _no_clustering(self, percent: np.ndarray) -> dict[str, float]:
        """The boundary of the model (alpha = gamma = beta = 0: constant variance), fitted with arch.

        Where the optimum leaves the admissible region (on a window without volatility clustering,
        EGARCH finds alpha < 0, whose variance then collapses), the constrained optimum is on this boundary.
        """
        from arch import arch_model

        constant = arch_model(percent, mean="Constant", vol="Constant", dist="t", rescale=False)
        mu, variance, nu = constant.fit(disp="off", show_warning=False).params.to_numpy()
        omega = np.log(variance) if self.vol == "EGARCH" else variance
        names = ["alpha[1]", *(["gamma[1]"] * self.o), "beta[1]"]
        return {"mu": float(mu), "omega": float(omega), **{name: 0.0 for name in names}, "nu": float(nu)}

    def _fit(self, y: np.ndarray) -> None:
        percent = y[:, 0] * SCALE
        fits = (self._library(y[:, 0]).fit(disp="off", show_warning=False, starting_values=start)
                for start in self._starts(percent))
        fitted = next((f for f in fits if self._sane(f, percent)), None)  # the next start only when one fails
        self.params_ = ({str(k): float(v) for k, v in fitted.params.items()} if fitted is not None
                        else self._no_clustering(percent))
        volatility = self._library(y[:, 0]).volatility
        resids = percent - self.params_["mu"]
        self.backcast_ = float(volatility.backcast(resids))  # EGARCH's is already a log variance
        self.variance_ = float(np.var(resids))

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from arch.univariate import StudentsT

        values = np.array(list(self.params_.values()))
        mu, nu, h = values[0], values[-1], self.horizon
        # one padding bar: arch forecasts from the last bar with its own bounds, every other bar with these
        model = self._library(np.r_[y[:, 0], 0.0])
        resids = np.r_[y[:, 0] * SCALE - mu, 0.0]
        bounds = np.tile([self.variance_ / 1e6, self.variance_ * 1e6], (len(resids), 1))  # from the fit: causal
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


def next_bar_volatility(close: np.ndarray, rows: np.ndarray, refit_every: int = 720,
                        max_train: int = 4000) -> np.ndarray:
    """GARCH(1,1) forecast of the next bar's volatility (sd of its log return) after each of ``rows``.

    ``rows`` are ascending positions in ``close``; the forecast after row t reads closes up to t only:
    the model is fitted on the returns up to the first row of each block of ``refit_every`` rows and
    filtered forward with those parameters (what the signal's stops and the vol_target policy use).
    """
    if importlib.util.find_spec("arch") is None:
        raise LydianError("GARCH volatility needs the arch library: pip install -e '.[stats]'")
    rows = np.asarray(rows, dtype=np.int64)
    returns = np.diff(np.log(np.asarray(close, dtype=np.float64)))[:, None]  # returns[t - 1]: into bar t
    if len(rows) == 0:
        return np.empty(0)
    if rows[0] < 100:
        raise DataError(f"GARCH volatility needs 100 bars before the first forecast, got {int(rows[0])}")
    out = np.empty(len(rows))
    for first in range(0, len(rows), refit_every):
        block = rows[first : first + refit_every]
        model = Garch("garch", StatConfig())
        model._fit(returns[max(0, block[0] - max_train) : block[0]])
        out[first : first + len(block)] = model._forecast(returns[: block[-1]], block - 1)[1]
    return out
