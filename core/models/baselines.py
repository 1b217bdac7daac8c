"""The naive forecasts every model must beat: forecasters like the models, registered beside them.

- ``majority``: the majority direction of the training window, with its frequency as P(up) (down after a
  falling training window). Formerly ``always_up``, still read as an alias (`core.models.registry.RENAMED`).
- ``persistence``: the last bar's move continues, with P(up) its training-window hit rate (at least 51 %).
- ``buy_and_hold``: always long; its strategy row is the market itself.

They fit and predict through the same calls as `core.models.Model` and carry the ``baseline``
tag, so the walk-forward, the cache and the leaderboard treat them like any model. (The coin-flip
band is not a forecaster; it lives in `core.backtest.baselines`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from core.models import capabilities as cap
from core.models.config import _Config

LAST_MOVE = "return_1"  # the causal feature persistence reads: close[t] / close[t-1] - 1
EPS = 1e-6


@dataclass(frozen=True)
class BaselineConfig(_Config):
    """Baselines have nothing to set: an empty configuration keeps their cache keys stable."""


class Baseline:
    """A forecaster with no parameters worth saving."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    family: ClassVar[str] = "baseline"
    sequence: ClassVar[bool] = False
    context_rows: ClassVar[int] = 0
    tags: ClassVar[frozenset[str]] = frozenset({cap.BASELINE})

    def __init__(self, model_id: str = "", config: BaselineConfig | None = None) -> None:
        self.model_id = model_id or self.name
        self.config = config or BaselineConfig()

    def identity(self) -> dict[str, Any]:
        return {}

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


class Majority(Baseline):
    name = "majority"
    description = "the training window's majority direction, its frequency as P(up)"

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        return np.full(len(features), self.up_rate_)


class Persistence(Baseline):
    name = "persistence"
    description = "the last bar's move continues, P(up) its training hit rate (at least 51 %)"

    def _fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame) -> None:
        last_up = x_train[LAST_MOVE].to_numpy() > 0
        self.hit_rate_ = max(0.51, float(np.mean(last_up == (y_train["direction"].to_numpy() > 0.5))))

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        return np.where(features[LAST_MOVE].to_numpy() > 0, self.hit_rate_, 1 - self.hit_rate_)


class BuyAndHold(Baseline):
    name = "buy_and_hold"
    description = "always long: its strategy row is the market itself"

    def _p_up(self, features: pd.DataFrame) -> np.ndarray:
        return np.ones(len(features))


BASELINES: tuple[type[Baseline], ...] = (Majority, Persistence, BuyAndHold)
