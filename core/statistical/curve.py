"""Prophet: a curve of time (piecewise-linear trend, daily and weekly seasons) fitted to log price.

Prophet has no state to move forward: its forecast for a bar is the fitted curve at that bar's
time. The h-bar log return from row t is the curve at t + h bars minus the observed log price at t,
with the spread of the fit's residuals as its standard deviation: P(up) is how likely the price is
to move towards (or along) the curve. Prophet's own sampled trend intervals are switched off (slow
and random). The fitted model is stored with Prophet's own JSON serialiser, never pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError
from core.statistical import series
from core.statistical.base import StatisticalModel
from core.statistical.univariate import log_price


def _times(stamps: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"ds": pd.to_datetime(stamps, unit="ns")})  # naive UTC, as Prophet wants


class ProphetModel(StatisticalModel):
    """Prophet on log price, daily and weekly seasonality, no intervals sampled."""

    def _fit(self, y: np.ndarray) -> None:
        from cmdstanpy import disable_logging
        from prophet import Prophet

        p = log_price(y)
        self.model_ = Prophet(uncertainty_samples=0, daily_seasonality=True, weekly_seasonality=True,
                              yearly_seasonality=False)
        with disable_logging():  # cmdstanpy logs every Stan run at INFO
            self.model_.fit(_times(self.stamps_).assign(y=p))
        self.sd_ = float(np.std(p - self.model_.predict(_times(self.stamps_))["yhat"].to_numpy()))

    def distribution(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The curve h bars after each row minus the row's log price (on the log price the fit saw)."""
        self._check_fitted()
        if features.empty:
            return np.empty(0), np.empty(0)
        y, first = series.join(self.history_, self.stamps_, features, self.observed, self.bar_)
        if first == 0:
            raise DataError(f"{self.model_id}: forecasts need the bars from the start of its fit; "
                            "these rows come before it")
        ahead = features.index.tz_convert(None).asi8 + self.horizon * self.bar_.value
        curve = self.model_.predict(_times(ahead))["yhat"].to_numpy()
        return curve - log_price(y)[first:], np.full(len(features), self.sd_)

    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("Prophet forecasts by time: see distribution")

    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        from prophet.serialize import model_to_json

        arrays["prophet"] = np.frombuffer(model_to_json(self.model_).encode(), dtype=np.uint8).copy()
        return {"sd": self.sd_}

    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from prophet.serialize import model_from_json

        self.model_ = model_from_json(arrays["prophet"].tobytes().decode())
        self.sd_ = float(saved["sd"])

    def n_parameters(self) -> int:
        params = self.model_.params
        return int(sum(np.size(params[k]) for k in ("k", "m", "delta", "beta", "sigma_obs")))
