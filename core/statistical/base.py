"""One forecaster contract for every statistical model: a predictive distribution of the h-bar log return.

A subclass fits its library's model to the observed series (log returns of close, and for VAR a few
more candle-derived series) and, with those parameters fixed, gives for any row the mean and the
standard deviation of the log return over the next ``horizon`` bars, from the bars up to that row
only. The base turns that into the contract's outputs: P(up) is the predictive probability that
the return is positive, the expected return is the mean of the implied simple return.

Between refits nothing is re-estimated: each forecast re-runs the model's filter with the fitted
parameters over the stored history and the new bars (statsforecast's ``forward``, arch's fixed-
parameter variance recursion), so a forecast at t uses the bars up to t and nothing later.

There is no early stopping, so a fit uses the training and the validation window together (the
validation metrics on the model card are therefore in-sample).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy import stats

from core.errors import DataError
from core.models import capabilities as cap
from core.models.base import NotFittedError, _direction_metrics, json_ready
from core.models.config import _Config
from core.statistical import series, state

FAMILY = "statistical"
EXTRA = "stats"
EPS = 1e-6
LEVELS = (0.8, 0.95)


@dataclass(frozen=True)
class StatConfig(_Config):
    """What every statistical model can be told; each id sets its own defaults in the catalog."""

    horizon: int = 1  # bars ahead; set by the walk-forward (`core.forecasters.create_for`)
    max_train: int = 2000  # a fit sees at most the last this many bars of its window (cost grows with it)
    season: int = 0  # bars per season; 0: one day of bars for intraday bars (24 on 1h), 7 on daily bars


class StatisticalModel(ABC):
    """fit / predict / save / load like `core.models.Model`, for a model of the observed series."""

    family: ClassVar[str] = FAMILY
    sequence: ClassVar[bool] = False
    context_rows: ClassVar[int] = 0  # the model keeps its own history; rows need no prepended context
    tags: ClassVar[frozenset[str]] = frozenset({cap.STORABLE, cap.TRAINABLE, cap.PROBABILISTIC, cap.RETURN_FORECAST})
    observed: ClassVar[tuple[str, ...]] = (series.RETURN,)  # feature columns the model filters; returns first

    def __init__(self, model_id: str, config: StatConfig) -> None:
        self.model_id = model_id
        self.config = config

    # ---- what subclasses implement
    @abstractmethod
    def _fit(self, y: np.ndarray) -> None:
        """Estimate the model on the observed series ``y`` (bars x observed)."""

    @abstractmethod
    def _forecast(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the h-bar log return after each bar in ``rows`` (positions in ``y``),
        each from ``y[: row + 1]`` alone, with the fitted parameters."""

    @abstractmethod
    def _state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        """JSON-able fitted state; arrays go into ``arrays`` (saved with safetensors)."""

    @abstractmethod
    def _restore(self, saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Rebuild the fitted model from what `_state` returned."""

    @abstractmethod
    def n_parameters(self) -> int:
        """Estimated parameters, for the model card."""

    def _tail(self, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        """P(return > 0) from the standardised mean; a Student-t model overrides this."""
        return stats.norm.cdf(mean / sd)

    # ---- the contract
    @property
    def horizon(self) -> int:
        return int(self.config.horizon)

    @property
    def season(self) -> int:
        return int(self.config.season) or series.daily_season(self.bar_)

    def identity(self) -> dict[str, Any]:
        return self.config.to_dict()

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame,
            **_: Any) -> Self:
        """Fit on the last ``max_train`` bars of the training and validation windows together."""
        started = time.perf_counter()
        self.bar_ = series.bar_length(x_train.index)
        train = series.columns_of(x_train, self.observed)
        y, _ = series.join(train, x_train.index.asi8, x_valid, self.observed, self.bar_)
        stamps = np.concatenate([x_train.index.asi8, _stamps_before(x_valid.index, len(y) - len(train), self.bar_)])
        keep = slice(max(0, len(y) - int(self.config.max_train)), None)
        self.history_, self.stamps_ = y[keep], stamps[keep]
        if len(self.history_) < 3 * max(self.season, 10):
            raise DataError(f"{self.model_id}: {len(self.history_)} bars are too few to fit (season {self.season})")
        self._fit(self.history_)
        self.fit_seconds_ = time.perf_counter() - started
        self.valid_metrics_ = _direction_metrics(self.predict(x_valid)["p_up"], y_valid["direction"])
        return self

    def distribution(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the h-bar log return after each row of ``features``."""
        self._check_fitted()
        if features.empty:
            return np.empty(0), np.empty(0)
        y, first = series.join(self.history_, self.stamps_, features, self.observed, self.bar_)
        mean, sd = self._forecast(y, np.arange(first, len(y)))
        return mean, np.maximum(sd, 1e-12)

    def predict_values(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """P(up) and the expected simple return exp(mean + sd^2 / 2) - 1, aligned with ``features.index``."""
        return self._point(*self.distribution(features))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        p_up, expected = self.predict_values(features)
        return pd.DataFrame({"p_up": p_up, "expected_return": expected}, index=features.index)

    def predict_intervals(self, features: pd.DataFrame, levels: tuple[float, ...] = LEVELS) -> pd.DataFrame:
        """The model's central prediction intervals of the h-bar simple return (normal in log return)."""
        return pd.DataFrame(_intervals(*self.distribution(features), levels), index=features.index)

    def predict_with_intervals(self, features: pd.DataFrame) -> pd.DataFrame:
        """`predict` and `predict_intervals` from one pass of the filter (the walk-forward and the fan chart)."""
        mean, sd = self.distribution(features)
        p_up, expected = self._point(mean, sd)
        return pd.DataFrame({"p_up": p_up, "expected_return": expected, **_intervals(mean, sd, LEVELS)},
                            index=features.index)

    def _point(self, mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.clip(self._tail(mean, sd), EPS, 1 - EPS), np.expm1(mean + sd**2 / 2)

    # ---- persistence: the history and array state as safetensors, the rest as JSON
    def save(self, folder: Path) -> dict[str, Any]:
        self._check_fitted()
        arrays = {"history": np.ascontiguousarray(self.history_), "stamps": np.ascontiguousarray(self.stamps_)}
        saved = self._state(arrays)
        state.write(folder, arrays)
        return json_ready({"bar_ns": self.bar_.value, "model": saved})

    def load(self, folder: Path, saved: dict[str, Any]) -> Self:
        arrays = state.read(folder, self.model_id)
        try:
            self.history_, self.stamps_ = arrays["history"].astype(np.float64), arrays["stamps"].astype(np.int64)
            self.bar_ = pd.Timedelta(int(saved["bar_ns"]), unit="ns")
            self._restore(saved["model"], arrays)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{self.model_id}: the stored state does not fit this model ({exc})") from None
        shape = (len(self.stamps_), len(self.observed))
        if self.history_.ndim != 2 or self.history_.shape != shape:
            raise DataError(f"{self.model_id}: the stored history has the wrong shape")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "history_"):
            raise NotFittedError(f"{self.model_id} is not trained yet; fit or load it first")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r}, {self.config})"


def _intervals(mean: np.ndarray, sd: np.ndarray, levels: tuple[float, ...]) -> dict[str, np.ndarray]:
    """``lo_80``, ``hi_80``, ... of the simple return, from a normal log return."""
    out = {}
    for level in levels:
        z = stats.norm.ppf(0.5 + level / 2)
        percent = round(level * 100)
        out[f"lo_{percent}"], out[f"hi_{percent}"] = np.expm1(mean - z * sd), np.expm1(mean + z * sd)
    return out


def _stamps_before(index: pd.Index, count: int, bar: pd.Timedelta) -> np.ndarray:
    """Bar times of the ``count`` bars ending at ``index``'s last: rebuilt gap bars, then the rows."""
    extra = count - len(index)
    rebuilt = index[0].value - bar.value * np.arange(extra, 0, -1)
    return np.concatenate([rebuilt, index.asi8]).astype(np.int64)
