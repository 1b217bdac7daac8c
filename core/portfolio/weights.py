"""Portfolio weights from a window of past returns: long-only, fully invested (they sum to 1).

- ``equal``: 1/k each.
- ``inverse_vol``: proportional to 1 / volatility.
- ``min_variance``: the least-variance mix under the Ledoit-Wolf shrunk covariance.
- ``mean_variance``: maximise mu'w - (risk_aversion / 2) w' Sigma w with the window's mean returns.
- ``forecast``: the same mean-variance problem with the models' expected returns as mu.
The two quadratic problems are solved as one non-negative least-squares problem (scipy's NNLS):
with Sigma = L L', the objective is |sqrt(a) L'w - L^-1 mu / sqrt(a)|^2 up to a constant, and a
heavily weighted row of ones holds the budget.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import nnls
from sklearn.covariance import LedoitWolf

from core.errors import LydianError

METHODS = ("equal", "inverse_vol", "min_variance", "mean_variance", "forecast")
RISK_AVERSION = 5.0  # fixed, not fitted: the trade-off between mean and variance in mean-variance
BUDGET_WEIGHT = 1e4  # how hard the NNLS row of ones pulls the weights' sum to 1, relative to the risk rows


def shrunk_covariance(window: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf covariance of the window's returns (rows: bars, columns: assets)."""
    return LedoitWolf(assume_centered=False).fit(window).covariance_


def budgeted_quadratic(covariance: np.ndarray, mu: np.ndarray, risk_aversion: float) -> np.ndarray:
    """argmin (risk_aversion / 2) w' Sigma w - mu'w over w >= 0 with sum(w) = 1."""
    factor = cholesky(covariance, lower=True)
    root = np.sqrt(risk_aversion)
    scale = BUDGET_WEIGHT * np.sqrt(np.trace(covariance))
    a = np.vstack([root * factor.T, scale * np.ones((1, len(mu)))])
    b = np.concatenate([solve_triangular(factor, mu, lower=True) / root, [scale]])
    w, _ = nnls(a, b)
    return w / w.sum()


def weights(method: str, window: np.ndarray, mu: np.ndarray | None = None, risk_aversion: float = RISK_AVERSION,
            covariance: np.ndarray | None = None) -> np.ndarray:
    """Target weights of ``method`` from ``window`` (and ``mu`` for the forecast-driven portfolio).

    ``covariance`` is the window's shrunk covariance when the caller already has it.
    """
    k = window.shape[1]
    if method == "equal":
        return np.full(k, 1.0 / k)
    if method == "inverse_vol":
        inverse = 1.0 / np.maximum(window.std(axis=0, ddof=1), 1e-12)
        return inverse / inverse.sum()
    if method not in METHODS:
        raise LydianError(f"unknown portfolio method {method!r}; choose from {', '.join(METHODS)}")
    covariance = shrunk_covariance(window) if covariance is None else covariance
    if method == "min_variance":
        return budgeted_quadratic(covariance, np.zeros(k), 1.0)
    if method == "mean_variance":
        return budgeted_quadratic(covariance, window.mean(axis=0), risk_aversion)
    if mu is None:
        raise LydianError("the forecast portfolio needs each market's expected return")
    return budgeted_quadratic(covariance, np.nan_to_num(mu), risk_aversion)
