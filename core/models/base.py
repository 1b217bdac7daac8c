"""The one interface every model implements, and the pipeline they all share.

A model sees a causal feature table (``core.features.build_features``) and the targets of
``core.features.targets``: ``direction`` (1.0 when close[t+h] > close[t]) and ``future_return``.
`Model.fit` validates inputs, remembers the feature list, fits the scaler on the training rows
only and hands scaled float32 arrays to the subclass's ``_fit``. `Model.predict` returns, for
every input row, P(up) and the expected return over the horizon; rows too early to have a full
look-back window are NaN. Subclasses implement four small hooks and nothing else.

Sequence models read ``lookback`` rows ending at the forecast row, so a caller predicting a
block of rows prepends `Model.context_rows` earlier rows (features only, no labels).
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from core.errors import DataError, LydianError
from core.models import capabilities as cap
from core.features.scaling import RobustScaler, Scaler
from core.models.config import _Config

TARGET_COLUMNS = ("direction", "future_return")
CLIP = 10.0  # scaled features are clipped to +-CLIP: one crash candle must not dominate a net
Progress = Callable[[dict[str, Any]], None]


class NotFittedError(LydianError, RuntimeError):
    """predict/save before fit."""


def feature_hash(names: list[str]) -> str:
    """A short fingerprint of the ordered feature list, stored with the weights and checked on load."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FoldRows:
    """Where one walk-forward refit's rows sit in the series that `Model.shared_across_folds` prepared."""

    shared: Any
    train: range
    valid: range


class Model(ABC):
    """fit / predict / save / load for one model id; see the module docstring for the contract."""

    family: ClassVar[str] = ""
    sequence: ClassVar[bool] = False  # True: sees (lookback x features) windows
    tags: ClassVar[frozenset[str]] = frozenset({cap.STORABLE, cap.TRAINABLE, cap.RETURN_FORECAST})  # see capabilities
    scaler: ClassVar[type[Scaler]] = RobustScaler  # fitted on the training rows of every fit
    clip: ClassVar[float | None] = CLIP  # scaled features are clipped to +-clip (None: not clipped)
    fold_: FoldRows | None = None  # set only while a walk-forward refit runs

    def __init__(self, model_id: str, config: _Config) -> None:
        self.model_id = model_id
        self.config = config

    # ---- what subclasses implement
    @abstractmethod
    def _fit(
        self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
        seed: int, device: str | None, progress: Progress | None,
    ) -> None:
        """Learn from scaled float32 features (rows x features) and targets (rows x [direction, return])."""

    @abstractmethod
    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(up) and expected return for each row of scaled features; NaN where no full window."""

    @abstractmethod
    def _save_weights(self, folder: Path) -> dict[str, Any]:
        """Write weight files (no pickle) into ``folder``; return JSON-able state needed to load them."""

    @abstractmethod
    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        """Rebuild the fitted model from ``folder`` and the state ``_save_weights`` returned."""

    @abstractmethod
    def n_parameters(self) -> int:
        """Trainable parameters (nets) or tree nodes (boosters), for the model card."""

    # ---- walk-forward hooks: most models share nothing and refit one at a time
    def shared_across_folds(self, features: pd.DataFrame, fit_rows: int, seed: int = 0) -> Any:
        """Work every refit of a walk-forward over ``features`` can reuse, or None.

        Only the first ``fit_rows`` rows (what the first fit sees) may shape it, so that no refit
        depends on a bar after its own window.
        """
        return None

    def parallel_refits(self) -> int:
        """How many refits may run at once without oversubscribing the cores."""
        return 1

    # ---- shared pipeline
    def identity(self) -> dict[str, Any]:
        """Everything besides code and data that changes the forecasts: what cache keys and records hash."""
        return self.config.to_dict()

    @property
    def lookback(self) -> int:
        return int(getattr(self.config, "lookback", 1)) if self.sequence else 1

    @property
    def context_rows(self) -> int:
        """Earlier rows a caller must prepend so the first row of interest gets a full window."""
        return self.lookback - 1

    def fit(
        self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame, *,
        seed: int = 0, device: str | None = None, progress: Progress | None = None, fold: FoldRows | None = None,
    ) -> Self:
        """Fit on the training window; the validation window drives early stopping and the metrics.

        ``fold`` places the two windows in a walk-forward's series, so that a model can reuse work
        prepared once for all its refits (`shared_across_folds`).
        """
        for name, frame in (("training", x_train), ("validation", x_valid)):
            if len(frame) <= self.lookback:
                raise DataError(f"{self.model_id}: {name} window has {len(frame)} rows, need more than {self.lookback}")
        self.feature_names_ = [str(c) for c in x_train.columns]
        if list(map(str, x_valid.columns)) != self.feature_names_:
            raise DataError(f"{self.model_id}: validation features differ from training features")
        self.scaler_: Scaler = self.scaler().fit(x_train)
        started = time.perf_counter()
        self.fold_ = fold
        try:
            self._fit(
                self._scaled(x_train), _targets(y_train, self.model_id), self._scaled(x_valid),
                _targets(y_valid, self.model_id), seed=seed, device=device, progress=progress,
            )
        finally:
            self.fold_ = None
        self.fit_seconds_ = time.perf_counter() - started
        self.valid_metrics_ = _direction_metrics(self.predict(x_valid)["p_up"], y_valid["direction"])
        return self

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """``p_up`` and ``expected_return`` on ``features.index``; NaN rows lack a full look-back window."""
        p_up, ret = self.predict_values(features)
        return pd.DataFrame({"p_up": p_up, "expected_return": ret}, index=features.index)

    def predict_values(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """`predict` as two arrays aligned with ``features.index``, for callers that combine many models:
        building a DataFrame per member cost more than a booster's prediction."""
        self._check_fitted()
        if len(features.columns) != len(self.feature_names_) or list(features.columns) != self.feature_names_:
            missing = [c for c in self.feature_names_ if c not in features.columns]
            if missing:
                raise DataError(
                    f"{self.model_id}: {len(missing)} feature(s) the model was trained on are missing, e.g. {missing[:3]}"
                )
            features = features[self.feature_names_]  # same columns in another order: reorder (a copy)
        return self._predict(self._scaled(features))

    def predict_horizons(self, features: pd.DataFrame) -> pd.DataFrame:
        """Models tagged ``multi_horizon``: ``p_up_<bars>`` and ``expected_return_<bars>`` per horizon forecast
        at once (`cap.HORIZON_STEPS` multiples of the model's horizon); every other model forecasts one."""
        raise LydianError(f"{self.model_id} forecasts one horizon only (no capability {cap.MULTI_HORIZON})")

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        """Features in the fitted column order -> the scaled (and clipped) float32 inputs `predict` computes on.

        Explanations attribute in this space, so they see exactly what the model sees.
        """
        self._check_fitted()
        return self._scaled(features)

    def predict_inputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(up) and expected return for each input `transform` made: a row (n, features), or for a
        sequence model a window (n, lookback, features) scored at its last bar. Explainers perturb these."""
        self._check_fitted()
        if not self.sequence:
            return self._predict(x)
        pairs = [self._predict(window) for window in x]  # a family with a batched path overrides this
        return np.array([p[-1] for p, _ in pairs]), np.array([r[-1] for _, r in pairs])

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the weights into ``folder``; return the state ``load`` needs (stored in meta.json)."""
        self._check_fitted()
        return {
            "feature_names": self.feature_names_,
            "feature_hash": feature_hash(self.feature_names_),
            "scaler": self.scaler_.to_dict(),
            "weights": self._save_weights(folder),
        }

    def load(self, folder: Path, state: dict[str, Any]) -> Self:
        """Restore a fitted model saved by `save` (the store verifies checksums before calling this)."""
        names = list(state["feature_names"])
        if feature_hash(names) != state["feature_hash"]:
            raise DataError(f"{self.model_id}: feature list does not match its hash; the model files were altered")
        self.feature_names_ = names
        self.scaler_ = Scaler.from_dict(state["scaler"])
        self._load_weights(folder, state["weights"])
        return self

    # ---- helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_"):
            raise NotFittedError(f"{self.model_id} is not trained yet; fit or load it first")

    def _scaled(self, features: pd.DataFrame) -> np.ndarray:
        values = np.asarray(self.scaler_.transform(features.to_numpy(dtype=np.float64)), dtype=np.float32)
        if not np.isfinite(values).all():
            raise DataError(f"{self.model_id}: features contain NaN or inf (drop the warm-up rows first)")
        return values if self.clip is None else np.clip(values, -self.clip, self.clip, out=values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r}, {self.config})"


def _targets(y: pd.DataFrame, model_id: str) -> np.ndarray:
    missing = [c for c in TARGET_COLUMNS if c not in y.columns]
    if missing:
        raise DataError(f"{model_id}: targets need columns {', '.join(TARGET_COLUMNS)}; missing {', '.join(missing)}")
    values = y[list(TARGET_COLUMNS)].to_numpy(dtype=np.float32)
    if not np.isfinite(values).all():
        raise DataError(f"{model_id}: targets contain NaN (the last horizon rows have no future; drop them)")
    return values


def _direction_metrics(p_up: pd.Series, direction: pd.Series) -> dict[str, float]:
    """Accuracy and log loss on the rows that have a prediction (validation window, for the model card)."""
    mask = p_up.notna().to_numpy()
    p = np.clip(p_up.to_numpy()[mask], 1e-6, 1 - 1e-6)
    y = direction.to_numpy()[mask]
    if not len(p):
        return {"n": 0, "accuracy": float("nan"), "log_loss": float("nan")}
    return {
        "n": int(len(p)),
        "accuracy": float(np.mean((p > 0.5) == (y > 0.5))),
        "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
    }


def json_ready(value: Any) -> Any:
    """Round-trip through JSON: catches non-serialisable state at save time, not at load time."""
    return json.loads(json.dumps(value))
