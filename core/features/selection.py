"""Feature selection (top-k by permutation importance) and reduction (PCA), fitted inside each training window.

About 250 causal columns feed every model; many carry the same information. `FeatureSelector` is
fitted on the rows one walk-forward refit may use and nothing else, then applied unchanged to the
rows it forecasts, so no test bar ever shapes which columns are kept or how they are rotated:

- ``topk``: a small scikit-learn gradient-boosted classifier is fitted on the training rows and the
  ``k`` columns whose random permutation most worsens its log loss on the window's own validation
  tail are kept (permutation importance, Breiman 2001; scikit-learn's `permutation_importance`);
- ``pca``: the training rows are standardised and rotated onto their first ``k`` principal components.

`Reduced` wraps any forecaster so the walk-forward can choose either per setting (``features=``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import LydianError

METHODS = ("all", "topk", "pca")
TOP_K = 50  # the specification's k
REPEATS = 3  # permutations per column: enough to rank, cheap enough to run at every refit


def _log_likelihood(probe: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Mean log-likelihood of P(up): scikit-learn's "neg_log_loss" scorer, without its per-call checks that
    made 750 permuted scorings take 11 s instead of 2 s."""
    p = np.clip(probe.predict_proba(x)[:, 1], 1e-6, 1 - 1e-6)
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


class SelectionError(LydianError, ValueError):
    """An unknown method or a k that cannot be used."""


def check(method: str, k: int) -> None:
    if method not in METHODS:
        raise SelectionError(f"features must be one of {', '.join(METHODS)}, got {method!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise SelectionError(f"top_k must be a whole number >= 1, got {k!r}")


@dataclass
class FeatureSelector:
    """Which columns (topk) or which rotation (pca) to apply; learned attributes end in ``_``."""

    method: str = "all"
    k: int = TOP_K
    seed: int = 0
    columns_: list[str] = field(default_factory=list)  # input columns kept (topk) or read (pca)
    importances_: dict[str, float] = field(default_factory=dict)  # topk: mean log-loss increase per column
    center_: np.ndarray | None = None  # pca: training medians (fill), means and scales
    scale_: np.ndarray | None = None
    fill_: np.ndarray | None = None
    components_: np.ndarray | None = None  # pca: k x n_columns
    explained_: float = float("nan")  # pca: share of the training variance kept

    def fit(self, x_train: pd.DataFrame, y_train: pd.Series, x_valid: pd.DataFrame | None = None,
            y_valid: pd.Series | None = None) -> FeatureSelector:
        """Learn the selection from these rows only (the training window and its validation tail)."""
        check(self.method, self.k)
        self.columns_ = list(x_train.columns)
        if self.method == "topk" and self.k < len(self.columns_):
            self._fit_topk(x_train, y_train, x_valid, y_valid)
        elif self.method == "pca":
            self._fit_pca(x_train)
        return self

    def _fit_topk(self, x_train: pd.DataFrame, y_train: pd.Series, x_valid: pd.DataFrame | None,
                  y_valid: pd.Series | None) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.inspection import permutation_importance

        if x_valid is None or y_valid is None or len(x_valid) < 10:
            x_valid, y_valid = x_train, y_train
        probe = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, early_stopping=False,
                                               random_state=self.seed)
        probe.fit(x_train.to_numpy(np.float32), y_train.to_numpy() > 0.5)
        scores = permutation_importance(probe, x_valid.to_numpy(np.float32), (y_valid.to_numpy() > 0.5).astype(float),
                                        scoring=_log_likelihood, n_repeats=REPEATS, random_state=self.seed)
        mean = scores.importances_mean
        order = sorted(range(len(mean)), key=lambda i: (-mean[i], i))[: self.k]  # ties: the earlier column
        self.importances_ = {self.columns_[i]: float(mean[i]) for i in order}
        self.columns_ = [self.columns_[i] for i in sorted(order)]

    def _fit_pca(self, x_train: pd.DataFrame) -> None:
        from sklearn.decomposition import PCA

        x = x_train.to_numpy(np.float64)
        self.fill_ = np.nan_to_num(np.nanmedian(x, axis=0))
        x = np.where(np.isnan(x), self.fill_, x)
        self.center_, scale = x.mean(axis=0), x.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        pca = PCA(n_components=min(self.k, *x.shape), random_state=self.seed).fit((x - self.center_) / self.scale_)
        self.components_, self.explained_ = pca.components_, float(pca.explained_variance_ratio_.sum())

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """The kept columns, or the principal components, of any rows (the training window's fit, unchanged)."""
        if self.method != "pca":
            return features[self.columns_]
        x = features[self.columns_].to_numpy(np.float64)
        x = (np.where(np.isnan(x), self.fill_, x) - self.center_) / self.scale_
        names = [f"pc_{i + 1}" for i in range(len(self.components_))]
        return pd.DataFrame(x @ self.components_.T, index=features.index, columns=names)


class Reduced:
    """A forecaster whose every fit first fits a `FeatureSelector` on that fit's own rows."""

    def __init__(self, model: Any, method: str, k: int = TOP_K, seed: int = 0) -> None:
        check(method, k)
        self.model, self.method, self.k, self.seed = model, method, k, seed
        self.selector_: FeatureSelector | None = None

    @property
    def tags(self) -> frozenset[str]:
        return getattr(self.model, "tags", frozenset())

    @property
    def context_rows(self) -> int:
        return self.model.context_rows

    def identity(self) -> dict[str, Any]:
        return {**self.model.identity(), "features": self.method, "top_k": self.k}

    def fit(self, x_train: pd.DataFrame, y_train: pd.DataFrame, x_valid: pd.DataFrame, y_valid: pd.DataFrame,
            **kwargs: Any) -> Any:
        self.selector_ = FeatureSelector(self.method, self.k, self.seed).fit(
            x_train, y_train["direction"], x_valid, y_valid["direction"])
        transform = self.selector_.transform
        return self.model.fit(transform(x_train), y_train, transform(x_valid), y_valid, **kwargs)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        return self.model.predict(self.selector_.transform(features))

    def __getattr__(self, name: str) -> Any:
        """The model's other forecasts (``predict_with_intervals``, ...) on the reduced features; nothing else
        is forwarded, so work a model shares across refits (prepared from all columns) is never used."""
        if not name.startswith("predict_") or name.startswith("__"):
            raise AttributeError(name)
        method = getattr(self.model, name)
        return lambda features, *args, **kwargs: method(self.selector_.transform(features), *args, **kwargs)
