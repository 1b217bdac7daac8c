"""Regime and anomaly labels as a feature group, fitted inside every walk-forward training window.

Why a wrapper around the forecaster and not a block of the feature engine: the engine's columns are
stateless (bar t from bars <= t by a fixed formula) and computed once for the whole series, while a
detector is *fitted*; fitted once on the whole series it would leak later bars into every label.
So the group is a walk-forward setting (`Settings.regime_features`), like feature selection
(`core.features.selection.Reduced`): each refit fits its detectors on that refit's own rows (the
training window and its validation tail, all before the bars it forecasts), appends their labels
as columns, and labels a later bar from that bar and earlier ones only (the HMM's forward filter, a
detector's window). The detector inputs are rebuilt from the feature table's exact candle-shape
columns (`inputs_from_features`), so the wrapper needs nothing beyond the rows a forecaster gets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.regimes.base import DETECTORS, Detector, make
from core.regimes.errors import RegimeError
from core.regimes.inputs import VOL_WINDOW, inputs_from_features

DEFAULT = "hmm,isolation_forest"  # one regime model, one anomaly model
CONTEXT = VOL_WINDOW + 168  # rows a forecast bar's labels read before it: volatility window, filter warm-up


def parse(value: str) -> tuple[str, ...]:
    """Detector names from "hmm,isolation_forest"; an unknown one lists those that exist."""
    from core.regimes import methods

    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in methods()]
    if not names or unknown:
        raise RegimeError(f"regime features take detectors from {', '.join(methods())}; got {value!r}")
    return names


class RegimeFeatures:
    """Fitted detectors turned into columns: one-hot regime ids (regime detectors) or the 0/1 alarm
    (anomaly detectors), and each detector's anomaly score. Learned attributes end in ``_``."""

    def __init__(self, detectors: str = DEFAULT, n_regimes: int = 2, seed: int = 0) -> None:
        self.names, self.n_regimes, self.seed = parse(detectors), n_regimes, seed
        self.detectors_: dict[str, Detector] = {}
        self.fill_: dict[str, float] = {}

    def fit(self, features: pd.DataFrame) -> RegimeFeatures:
        """Fit every detector on these rows only; warm-up rows later get the window's typical values."""
        x = inputs_from_features(features).to_numpy()
        self.detectors_ = {n: make(n, n_regimes=self.n_regimes, seed=self.seed).fit(x) for n in self.names}
        columns = self._columns(features)
        self.fill_ = {c: (float(columns[c].median()) if c.endswith("_score") else 0.0) for c in columns}
        return self

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """The group's columns for ``features`` (each row labelled from that row and the earlier given rows)."""
        if not self.detectors_:
            raise RegimeError("regime features are not fitted")
        return self._columns(features).fillna(self.fill_)

    def _columns(self, features: pd.DataFrame) -> pd.DataFrame:
        inputs = inputs_from_features(features)
        columns: dict[str, np.ndarray] = {}
        for name, detector in self.detectors_.items():
            ids, scores = detector.label(inputs.to_numpy()) if len(inputs) else (np.zeros(0), np.zeros(0))
            if DETECTORS[name].kind == "regime":
                columns |= {f"regime_{name}_{k}": (ids == k).astype(float) for k in range(self.n_regimes)}
            else:
                columns[f"anomaly_{name}"] = ids.astype(float)
            columns[f"{DETECTORS[name].kind}_{name}_score"] = scores
        return pd.DataFrame(columns, index=inputs.index).reindex(features.index)


class WithRegimes:
    """A forecaster whose every fit first fits `RegimeFeatures` on that fit's own rows and adds its columns."""

    def __init__(self, model: Any, detectors: str = DEFAULT, n_regimes: int = 2, seed: int = 0) -> None:
        self.model, self.detectors, self.n_regimes, self.seed = model, detectors, n_regimes, seed
        parse(detectors)
        self.group_: RegimeFeatures | None = None

    @property
    def tags(self) -> frozenset[str]:
        return getattr(self.model, "tags", frozenset())

    @property
    def context_rows(self) -> int:
        return max(self.model.context_rows, CONTEXT)

    def identity(self) -> dict[str, Any]:
        return {**self.model.identity(), "regime_features": self.detectors, "n_regimes": self.n_regimes}

    def augment(self, features: pd.DataFrame) -> pd.DataFrame:
        """``features`` with the fitted group's columns appended."""
        return features.join(self.group_.transform(features))

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame,
            **kwargs: Any) -> Any:
        window = pd.concat([x_train, x_valid])
        self.group_ = RegimeFeatures(self.detectors, self.n_regimes, self.seed).fit(window)
        augmented = self.augment(window)
        return self.model.fit(augmented.loc[x_train.index], y_train, augmented.loc[x_valid.index], y_valid, **kwargs)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        return self.model.predict(self.augment(features))

    def __getattr__(self, name: str) -> Any:
        """The model's other forecasts (``predict_with_intervals``, ...) on the augmented rows; nothing else is
        forwarded, so work a model shares across refits (prepared without the group) is never used."""
        if not name.startswith("predict_") or name.startswith("__"):
            raise AttributeError(name)
        method = getattr(self.model, name)
        return lambda features, *args, **kwargs: method(self.augment(features), *args, **kwargs)
