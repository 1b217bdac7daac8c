"""What every explainer needs from (model, candles, at): the model's own inputs and a score function.

Explanations live in the space the model computes in: features built by `build_features`, then
scaled (and clipped) by the model's own `Model.transform`, exactly as `Model.predict` does. A
non-sequence model reads one row per forecast; a sequence model reads the ``lookback`` rows ending
at the forecast bar. The feature tables of the last two candle frames are memoised, because the
dashboard asks for SHAP, LIME and attention on the same candles one after another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import DataError, LydianError
from core.lru import Lru
from core.features import build_features
from core.fingerprint import candles_digest
from core.models.base import Model, NotFittedError

_FEATURES: Lru[pd.DataFrame] = Lru(2)  # a 60k-bar table is ~120 MB: the current frame and the one before


class ExplainError(LydianError):
    """An explanation that cannot be made: no such bar, too little history, a model without the capability."""


def resolve_at(candles: pd.DataFrame, at: str | pd.Timestamp | None) -> pd.Timestamp:
    """The open time of the latest candle at or before ``at`` (naive times are UTC); None: the last candle."""
    if not len(candles):
        raise DataError("no candles to explain")
    if at is None:
        return candles.index[-1]
    try:
        when = pd.Timestamp(at)
    except ValueError:
        raise ExplainError(f"{at!r} is not a time; write it like 2024-08-01 12:00 (UTC)") from None
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    position = int(candles.index.searchsorted(when, side="right")) - 1
    if position < 0:
        raise ExplainError(f"no candle at or before {when}; the data starts at {candles.index[0]}")
    return candles.index[position]


@dataclass(frozen=True)
class Inputs:
    """The model's features over the candles, scaled on demand, and the score that is explained.

    Only the rows an explanation reads are scaled: scaling a whole 6k-bar table cost 25 ms, most
    of a booster's local explanation.
    """

    model: Model
    features: pd.DataFrame  # raw feature values in the model's column order, one row per bar after warm-up

    @property
    def names(self) -> list[str]:
        return list(self.features.columns)

    @property
    def lookback(self) -> int:
        return self.model.lookback

    def position(self, when: pd.Timestamp) -> int:
        """Row of the bar ``when``; an error when it is in the warm-up or lacks a full look-back window."""
        first = self.lookback - 1
        position = int(self.features.index.searchsorted(when, side="right")) - 1
        if position < first or self.features.index[position] != when:
            earliest = self.features.index[first] if len(self.features) > first else None
            raise ExplainError(
                f"{self.model.model_id} cannot explain the bar of {when}: it lies in the feature warm-up or has "
                f"fewer than {self.lookback} bars of features up to it; the earliest it can explain is {earliest}"
            )
        return position

    def at(self, positions: np.ndarray) -> np.ndarray:
        """Model inputs ending at each position: rows (n, features) or windows (n, lookback, features)."""
        positions = np.asarray(positions, dtype=np.int64)
        rows = positions[:, None] + np.arange(1 - self.lookback, 1) if self.model.sequence else positions
        needed, where = np.unique(rows, return_inverse=True)
        return self.model.transform(self.features.iloc[needed])[where.reshape(rows.shape)]

    def background(self, size: int, last: int, seed: int) -> np.ndarray:
        """A seeded sample of ``size`` inputs ending at bars up to ``last``: the baseline SHAP compares with."""
        candidates = np.arange(self.lookback - 1, last + 1)
        chosen = np.random.default_rng(seed).choice(candidates, min(size, len(candidates)), replace=False)
        return self.at(np.sort(chosen))

    def scale(self, raw: np.ndarray) -> np.ndarray:
        """Raw feature values (..., features) -> the model's inputs, through its own `Model.transform`."""
        frame = pd.DataFrame(raw.reshape(-1, raw.shape[-1]), columns=self.features.columns)
        return self.model.transform(frame).reshape(raw.shape)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(up) for each model input (rows or windows, as `at` or `scale` give them)."""
        return self.model.predict_inputs(np.asarray(x, dtype=np.float32))[0]


def model_inputs(model: Model, candles: pd.DataFrame) -> Inputs:
    """Features of ``candles`` (memoised by their digest) in the columns and scaling ``model`` was fitted with."""
    if not hasattr(model, "feature_names_"):  # before the features are built: they cost seconds
        raise NotFittedError(f"{model.model_id} is not trained yet; fit or load it first")
    key = candles_digest(candles)
    features = _FEATURES.get(key)
    if features is None:
        features = build_features(candles)
        _FEATURES.put(key, features)
    missing = [c for c in model.feature_names_ if c not in features.columns]
    if missing:
        raise DataError(
            f"{model.model_id}: {len(missing)} feature(s) it was trained on are missing, e.g. {missing[:3]}"
        )
    if list(features.columns) != model.feature_names_:
        features = features[model.feature_names_]
    return Inputs(model, features)


def lag_names(lookback: int) -> list[str]:
    """``lag_<k>`` = k bars before the forecast bar, oldest first: the columns of `TorchModel.attention`."""
    return [f"lag_{k}" for k in range(lookback - 1, -1, -1)]
