"""statsforecast's ARIMA, exponential-smoothing, Theta, MSTL and TBATS models of log price.

Log price is the cumulative sum of the log returns (from an arbitrary origin: every model here is
additive, so the origin does not matter), and its h-step forecast minus the current log price is the
h-bar log return, with the model's own forecast variance. ARIMA has d = 1, i.e. it is an ARMA model
of the log returns (with drift, their mean).

AutoETS is the exception: on hourly log price it picks a random walk (alpha = 1), whose P(up) is a
constant 0.5, so it models the log returns instead (an exponentially weighted mean with a daily season).

Between refits the fitted parameters are kept and each forecast re-runs the model's filter over the
bars up to its row (statsforecast's ``forward``), starting where the fit started: the fitted initial
states, seasonal phase included, belong there. ARIMA skips ``forward``'s Kalman filter (tens of ms per
row with daily seasonal lags): its innovations are one `scipy.signal.lfilter` pass over the series with
the fitted (seasonally expanded) coefficients, and every row's forecast follows from them at once.
TBATS has no ``forward``: its linear state-space filter runs once over the series with the fitted
matrices. MSTL keeps the fitted seasonal patterns and updates only its trend model.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import stats
from scipy.signal import lfilter

from core.statistical import state
from core.statistical.base import StatisticalModel

ORIGIN = 10.0  # log price at the first stored bar (keeps Theta's decomposition away from zero)
Z80 = float(stats.norm.ppf(0.9))


def log_price(y: np.ndarray) -> np.ndarray:
    return ORIGIN + np.cumsum(y[:, 0])


def _from_interval(out: dict[str, np.ndarray], h: int, now: float) -> tuple[float, float]:
    """Mean and sd of the h-bar log return from a forecast's mean and 80 % interval at step h."""
    return out["mean"][h - 1] - now, (out["hi-80"][h - 1] - out["lo-80"][h - 1]) / (2 * Z80)


class ForwardModel(StatisticalModel):
    """A statsforecast model of log price (or of log returns), moved forward bar by bar with fixed parameters."""

    on_returns: ClassVar[bool] = False
    window: ClassVar[int | None] = None  # bars each forecast filters over; None: all, from where the fit started

    def _library(self) -> Any:
        """The unfitted statsforecast model."""
        raise NotImplementedError

    def _target(self, y: np.ndarray) -> np.ndarray:
        return y[:, 0] if self.on_returns else log_price(y)

    def _fit(self, y: np.ndarray) -> None:
        self.model_ = self._library()
        self.model_.fit(self._target(y))

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        target, h = self._target(y), self.horizon
        mean, sd = np.empty(len(rows)), np.empty(len(rows))
        for k, row in enumerate(rows):
            start = 0 if self.window is None else max(0, row + 1 - self.window)
            start -= start % self.season if self.window else 0  # whole seasons from the fit's start: same phase
            out = self.model_.forward(y=target[start : row + 1], h=h, level=[80])
            if self.on_returns:  # the h returns' means add up; their errors are treated as independent
                mean[k], sd[k] = out["mean"].sum(), np.sqrt(np.sum(((out["hi-80"] - out["lo-80"]) / (2 * Z80)) ** 2))
            else:
                mean[k], sd[k] = _from_interval(out, h, target[row])
        return mean, sd

    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return state.split(self.model_.model_, arrays)

    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.model_ = self._library()
        self.model_.model_ = state.merge(saved, arrays)

    def n_parameters(self) -> int:
        fitted = self.model_.model_
        return int(fitted["n_params"]) if "n_params" in fitted else len(fitted["par"])


class AutoArima(ForwardModel):
    """Stepwise AutoARIMA of log returns (d = 1 on log price) with daily seasonal orders, drift allowed."""

    def _library(self) -> Any:
        from statsforecast.models import AutoARIMA

        return AutoARIMA(d=1, D=0, season_length=self.season, max_P=1, max_Q=1, approximation=True, allowdrift=True)

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fitted = self.model_.model_
        phi, theta = fitted["model"]["phi"], fitted["model"]["theta"]
        shift = fitted["coef"].get("drift", 0.0) + fitted["coef"].get("intercept", 0.0)
        return arma_paths(y[:, 0] - shift, phi, theta, rows, self.horizon, float(fitted["sigma2"]), shift)

    def n_parameters(self) -> int:
        return len(self.model_.model_["coef"]) + 1  # coefficients and the innovation variance


class Sarima(AutoArima):
    """SARIMA(1,1,1)(1,0,1) of log price at the daily season, with drift."""

    def _library(self) -> Any:
        from statsforecast.models import ARIMA

        return ARIMA(order=(1, 1, 1), seasonal_order=(1, 0, 1), season_length=self.season, include_drift=True)


class AutoEts(ForwardModel):
    """AutoETS of log returns with additive errors, no trend, the daily season chosen by AICc."""

    on_returns = True

    def _library(self) -> Any:
        from statsforecast.models import AutoETS

        return AutoETS(model="ANZ", season_length=self.season)


def arma_paths(w: np.ndarray, phi: np.ndarray, theta: np.ndarray, rows: np.ndarray, h: int, sigma2: float,
               shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of the h-bar sum of ``w + shift`` after each row, for an ARMA(phi, theta) of ``w``.

    Innovations come from one filter pass (zero before the first bar: conditional sum of squares);
    the forecasts iterate the ARMA recursion for all rows at once.
    """
    e = lfilter(np.r_[1.0, -phi], np.r_[1.0, theta], w)
    pad = max(len(phi), len(theta))
    w_pad, e_pad = np.r_[np.zeros(pad), w], np.r_[np.zeros(pad), e]
    recent_w = np.column_stack([np.zeros(len(rows))] + [w_pad[rows + pad - i] for i in range(len(phi))])[:, 1:]
    recent_e = np.column_stack([np.zeros(len(rows))] + [e_pad[rows + pad - j] for j in range(len(theta))])[:, 1:]
    total = np.zeros(len(rows))
    for _ in range(h):
        step = recent_w @ phi + recent_e @ theta
        total += step
        recent_w = np.column_stack([step, recent_w[:, :-1]])[:, : len(phi)]
        recent_e = np.column_stack([np.zeros(len(rows)), recent_e[:, :-1]])[:, : len(theta)]
    psi = np.zeros(h)
    for k in range(h):  # psi weights: psi_0 = 1, psi_k = theta_k + sum_i phi_i psi_{k-i}
        psi[k] = 1.0 if k == 0 else (theta[k - 1] if k <= len(theta) else 0.0) + sum(
            phi[i - 1] * psi[k - i] for i in range(1, min(k, len(phi)) + 1))
    return total + h * shift, np.full(len(rows), np.sqrt(sigma2 * np.sum(np.cumsum(psi) ** 2)))


class HoltWinters(ForwardModel):
    """Additive Holt-Winters: level, trend and daily season."""

    def _library(self) -> Any:
        from statsforecast.models import HoltWinters as Library

        return Library(season_length=self.season, error_type="A")


class AutoTheta(ForwardModel):
    """AutoTheta (standard, optimised or dynamic Theta, chosen by MSE) after an additive seasonal test."""

    window = 1000  # its ``forward`` re-runs the seasonal test and decomposition: 22 ms a row at 4,000 bars, 4 at 1,000

    def _library(self) -> Any:
        from statsforecast.models import AutoTheta as Library

        return Library(season_length=self.season, decomposition_type="additive")

    def n_parameters(self) -> int:
        return len(self.model_.model_["par"]) + (self.season if self.model_.model_["decompose"] else 0)


class Mstl(StatisticalModel):
    """MSTL: daily and weekly seasonal patterns from the fit, kept; an additive ETS of the rest, moved forward."""

    def periods(self, bars: int) -> list[int]:
        weekly = 7 * self.season
        return [self.season, weekly] if self.season > 1 and bars >= 2 * weekly else [self.season]

    def _seasonal(self, n: int) -> np.ndarray:
        """The kept seasonal patterns at positions 0..n-1 from where the fit started."""
        at = np.arange(n)
        return sum(pattern[at % len(pattern)] for pattern in self.patterns_)

    def _fit(self, y: np.ndarray) -> None:
        from statsforecast.models import MSTL, AutoETS

        p = log_price(y)
        periods = self.periods(len(p))
        decomposition = MSTL(season_length=periods).fit(p).model_
        self.patterns_ = []
        columns = [c for c in decomposition.columns if c.startswith("seasonal")]  # in the order of the periods
        for period, column in zip(periods, columns):  # the last cycle, indexed by position modulo the period
            last = decomposition[column].to_numpy()[-period:]
            self.patterns_.append(np.roll(last, len(p) % period))
        self.trend_ = AutoETS(model="AZN").fit(p - self._seasonal(len(p)))

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, h = log_price(y), self.horizon
        seasonal = self._seasonal(len(p) + h)
        adjusted = p - seasonal[: len(p)]
        pairs = [_from_interval(self.trend_.forward(y=adjusted[: row + 1], h=h, level=[80]), h,
                                p[row] - seasonal[row + h]) for row in rows]
        return np.array([m for m, _ in pairs]), np.array([s for _, s in pairs])

    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return {"patterns": state.split(self.patterns_, arrays, "patterns"),
                "trend": state.split(self.trend_.model_, arrays)}

    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from statsforecast.models import AutoETS

        self.patterns_ = state.merge(saved["patterns"], arrays)
        self.trend_ = AutoETS(model="AZN")
        self.trend_.model_ = state.merge(saved["trend"], arrays)

    def n_parameters(self) -> int:
        return int(self.trend_.model_["n_params"]) + sum(len(p) for p in self.patterns_)


class Tbats(StatisticalModel):
    """AutoTBATS (trigonometric daily and weekly seasons, ARMA errors, no Box-Cox: log price is already logged).

    The fitted state-space matrices stay fixed; the filter runs from the fitted seed state over the bars.
    """

    periods = Mstl.periods

    def _fit(self, y: np.ndarray) -> None:
        from statsforecast.models import AutoTBATS

        p = log_price(y)
        fitted = AutoTBATS(season_length=self.periods(len(p)), use_boxcox=False).fit(p).model_
        self.matrices_ = {name: np.asarray(fitted[name], dtype=np.float64)
                          for name in ("F", "w_transpose", "g", "seed_states")}
        self.sigma2_ = float(fitted["sigma2"])
        self.n_params_ = len(fitted["optim_params"]) + len(np.ravel(fitted["seed_states"]))

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from statsforecast.tbats import _compute_sigmah, calcTBATSFaster

        m, h = self.matrices_, self.horizon
        p = log_price(y)
        _, _, x = calcTBATSFaster(p, m["w_transpose"], m["g"], m["F"], m["seed_states"])
        ahead = x[rows] @ np.linalg.matrix_power(m["F"], h - 1).T
        mean = ahead @ m["w_transpose"].ravel() - p[rows]
        sd = _compute_sigmah({"F": m["F"], "w_transpose": m["w_transpose"], "g": m["g"], "sigma2": self.sigma2_}, h)
        return mean, np.full(len(rows), sd[h - 1])

    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return {"matrices": state.split(self.matrices_, arrays, "tbats"), "sigma2": self.sigma2_,
                "n_params": self.n_params_}

    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.matrices_ = state.merge(saved["matrices"], arrays)
        self.sigma2_, self.n_params_ = float(saved["sigma2"]), int(saved["n_params"])

    def n_parameters(self) -> int:
        return self.n_params_
